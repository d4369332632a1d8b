"""requirements.lock (the whole tree, pinned with hashes, installed by `make setup`) follows requirements.txt.

Offline: every direct pin is in the lock at the same version, the lock names no direct dependency that
requirements.txt dropped, and every locked package is pinned with a hash. `make lock-check` (run by .ci/run)
goes further and re-resolves the lock from requirements.txt.
"""

from __future__ import annotations

import re

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from lessons.core.settings import ROOT

PINNED = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+?)(?:\s*;.*?)?\s*\\?$")


def direct() -> dict[str, set[str]]:
    """requirements.txt's pins: {name: versions} (two for a package pinned per platform, with exclusive markers)."""
    pins: dict[str, set[str]] = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            (specifier,) = requirement.specifier
            assert specifier.operator == "==", f"requirements.txt pins with ==: {line}"
            pins.setdefault(canonicalize_name(requirement.name), set()).add(specifier.version)
    return pins


def locked() -> tuple[dict[str, set[str]], set[str], list[str]]:
    """The lock's pins {name: versions}, the names it says come from requirements.txt, and entries without hashes."""
    pins: dict[str, set[str]] = {}
    via_requirements: set[str] = set()
    unhashed: list[str] = []
    current = None
    lines = (ROOT / "requirements.lock").read_text().splitlines()
    for number, line in enumerate(lines):
        if match := PINNED.match(line):
            current = canonicalize_name(match[1])
            pins.setdefault(current, set()).add(match[2])
            if "--hash=sha256:" not in (lines[number + 1] if number + 1 < len(lines) else ""):
                unhashed.append(line)
        elif current and re.match(r"^\s+#\s+(via\s+)?-r requirements\.txt$", line):
            via_requirements.add(current)
    return pins, via_requirements, unhashed


def test_every_direct_pin_is_locked_at_its_version() -> None:
    pins, _, _ = locked()
    wrong = {name: (versions, pins.get(name)) for name, versions in direct().items() if pins.get(name) != versions}
    assert not wrong, f"requirements.txt and requirements.lock disagree (run make lock): {wrong}"


def test_the_lock_takes_no_direct_dependency_that_requirements_dropped() -> None:
    _, via_requirements, _ = locked()
    assert via_requirements == set(direct()), "requirements.lock is stale: run make lock"


def test_every_locked_package_has_a_hash() -> None:
    pins, _, unhashed = locked()
    assert len(pins) > len(direct()), "the lock holds the whole tree, not only the direct pins"
    assert not unhashed, unhashed


def test_the_lock_says_how_it_was_made() -> None:
    assert "#    make lock" in (ROOT / "requirements.lock").read_text().splitlines()[1]

"""A pytest plugin loaded before every other (``-p tests.lazy_imports`` in pyproject.toml's addopts).

nbval's plugin imports nbformat, nbformat imports jsonschema, and jsonschema imports ``rfc3987_syntax`` at once,
which builds a lark grammar: about 1.5 s of CPU in every pytest process (the controller, each xdist worker, each
pytest a test starts), though nothing here validates an IRI. This module puts a stand-in for ``rfc3987_syntax``
in ``sys.modules`` first: the first time anything uses it (``is_valid_syntax`` or any other name), the real module
is imported and used from then on. Nothing is left out: an IRI is checked exactly as before, only later.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

_NAME = "rfc3987_syntax"


def _real() -> types.ModuleType:
    if isinstance(sys.modules.get(_NAME), _Deferred):
        del sys.modules[_NAME]
    return importlib.import_module(_NAME)


class _Deferred(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # the import system asks for __path__ and the like: not a use
            raise AttributeError(name)
        return getattr(_real(), name)


def _is_valid_syntax(term: str, value: str) -> Any:
    return _real().is_valid_syntax(term, value)


def _defer() -> None:
    # Not a global of this module: pytest looks through a plugin's globals (getattr), which would load the real one.
    spec = None if _NAME in sys.modules else importlib.util.find_spec(_NAME)
    if spec is not None:
        stand_in = _Deferred(_NAME)
        stand_in.__spec__ = spec
        stand_in.is_valid_syntax = _is_valid_syntax  # type: ignore[attr-defined]  # jsonschema imports it by name
        sys.modules[_NAME] = stand_in


_defer()

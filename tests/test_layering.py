"""The library's layout holds: each layer of ``lessons/`` imports only the layers below it, no two modules import
each other (directly or round a circle), and a lesson notebook imports only the surface ``lessons/__init__.py``
documents. Read from the source (every ``import``, inside functions too), never by importing it."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import lessons
from lessons.core.settings import ROOT

LIBRARY = ROOT / "lessons"
#: Bottom to top. A module may import its own layer and the layers below it.
LAYERS = ["core", "lens", "scenery", "blog", "exercises", "tooling"]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in sorted(LIBRARY.rglob("*.py"))}


def layer_of(module: str) -> int:
    """The layer's rank; the package root ``lessons`` (the notebook surface) stands above every layer."""
    parts = module.split(".")
    if len(parts) == 1:
        return len(LAYERS)
    assert parts[1] in LAYERS, f"{module}: every module of lessons/ belongs to one of {LAYERS}"
    return LAYERS.index(parts[1])


def _in_type_checking(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def imports_of(module: str) -> set[str]:
    """The library modules ``module`` imports, at any depth of its code (``from pkg import sub`` names ``pkg.sub``)."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(), str(path))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom) or _in_type_checking(node, parents):
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            for alias in node.names:
                found.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in MODULES else target)
    return {name for name in found if name == "lessons" or name.startswith("lessons.")}


GRAPH = {module: imports_of(module) for module in MODULES}


def test_every_module_sits_in_a_layer() -> None:
    loose = [module for module in MODULES if module.count(".") == 1 and module.split(".")[1] not in LAYERS]
    assert not loose, f"modules outside the layers {LAYERS}: {loose}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_module_imports_only_its_layer_and_those_below(module: str) -> None:
    upward = sorted(target for target in GRAPH[module] if layer_of(target) > layer_of(module))
    assert not upward, f"{module} ({LAYERS[layer_of(module)]}) imports upward: {upward}"


def test_the_library_never_imports_the_notebook_surface() -> None:
    offenders = sorted(module for module, targets in GRAPH.items() if "lessons" in targets and module != "lessons")
    assert not offenders, f"import from lessons.<layer>.<module>, not from the surface `lessons`: {offenders}"


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in graph:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circles() -> None:
    # A package's __init__ re-exporting its own modules is not a circle of jobs: leave package → own-child edges out.
    graph = {
        module: {target for target in targets if not target.startswith(f"{module}.")}
        for module, targets in GRAPH.items()
    }
    assert circles(graph) == []


def test_the_circle_finder_finds_a_circle() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_surface_lists_what_it_serves() -> None:
    assert sorted(lessons.__all__) == sorted({*lessons._SURFACE, *lessons._MODULES})
    for name in lessons.__all__:
        assert getattr(lessons, name) is not None, name


def test_importing_the_surface_imports_nothing_else() -> None:
    # `python -m lessons.tooling.lab` runs on a bare Python: the package root must not pull in SQLAlchemy.
    code = "import sys, lessons; print(sorted(m for m in sys.modules if m.startswith(('lessons.', 'sqlalchemy'))))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert result.stdout.strip() == "[]"


# ---------------------------------------------------------------------------------------------------------------
# The notebook surface
# ---------------------------------------------------------------------------------------------------------------

NOTEBOOKS = sorted([*(ROOT / "solutions").glob("*.ipynb"), *(ROOT / "notebooks").glob("*.ipynb")])


def _dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for an attribute chain on a name, else ``None``."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return ".".join([node.id, *reversed(parts)]) if isinstance(node, ast.Name) else None


def notebook_imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) for every import of a ``lessons`` module in the notebook's code cells.

    ``from lessons.pkg import sub`` of a module counts as an import of ``lessons.pkg.sub``, and after an
    ``import lessons…`` (which binds the name ``lessons``), ``lessons.a.b.name`` in the code as an import of the
    longest module it names (``lessons.core.pristine``), else of ``name`` from ``lessons``.
    """
    found = []
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        source = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
        tree = compile(source, str(path), "exec", flags=ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.extend((alias.name, []) for alias in node.names if alias.name.split(".")[0] == "lessons")
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "lessons":
                module = node.module or ""
                names = [alias.name for alias in node.names]
                submodules = [(f"{module}.{name}", []) for name in names if f"{module}.{name}" in MODULES]
                plain = [name for name in names if f"{module}.{name}" not in MODULES]
                found.extend(submodules)
                if plain or not submodules:
                    found.append((module, plain))
            elif isinstance(node, ast.Attribute) and not isinstance(parents.get(node), ast.Attribute):
                dotted = _dotted(node) or ""
                if dotted.split(".")[0] != "lessons":
                    continue
                prefixes = [".".join(dotted.split(".")[:n]) for n in range(dotted.count(".") + 1, 1, -1)]
                module = next((prefix for prefix in prefixes if prefix in MODULES), None)
                found.append((module, []) if module else ("lessons", [dotted.split(".")[1]]))
    return found


def surface_problem(lesson: str, module: str, names: list[str]) -> str | None:
    """Why ``from module import names`` is not allowed in lesson ``lesson`` (e.g. ``08a``), or ``None``."""
    if module == "lessons":
        unknown = [name for name in names if name not in lessons.__all__]
        return f"`lessons` does not serve {unknown}" if unknown else None
    if module == "lessons.exercises" or module == "lessons.blog" or module.startswith("lessons.blog."):
        return None
    # lesson08_… serves 08a and 08b; lesson08b_… serves 08b alone; lesson15_reference serves 15
    scenery = re.fullmatch(r"lessons\.scenery\.lesson(\d\d[a-z]?)_\w+", module)
    if scenery:
        return None if lesson.startswith(scenery.group(1)) else f"{module} is another lesson's scenery"
    practice = re.fullmatch(r"lessons\.exercises\.lesson(\d\d[a-z]?)(_\w+)?", module)
    if practice:
        return None if lesson.startswith(practice.group(1)) else f"{module} is another lesson's practice"
    return f"{module} is not on the notebook surface (lessons/__init__.py)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_a_notebook_imports_only_the_surface(path: Path) -> None:
    lesson = path.stem.split("-")[0]
    problems = [
        f"{module}: {problem}"
        for module, names in notebook_imports(path)
        if (problem := surface_problem(lesson, module, names))
    ]
    assert not problems, f"{path.relative_to(ROOT)}: {problems}"


def test_the_surface_check_refuses_what_it_should() -> None:
    assert surface_problem("03", "lessons.core.database", ["fresh_database"])
    assert surface_problem("03", "lessons", ["pristine"])
    assert surface_problem("08a", "lessons.scenery.lesson08b_races", ["Race"])
    assert surface_problem("08a", "lessons.scenery.lesson08_sqlite_locking", ["sqlite_engine"]) is None
    assert surface_problem("12", "lessons.exercises.lesson07", ["x"])
    assert surface_problem("13b", "lessons.scenery.lesson13_member_table", ["x"]) is None
    assert surface_problem("12", "lessons.blog.routes.posts", ["router"]) is None
    assert surface_problem("14a", "lessons.exercises.lesson14b", ["x"])
    assert surface_problem("14b", "lessons.exercises.lesson14b", ["x"]) is None
    assert surface_problem("08a", "lessons.exercises.lesson08", ["x"]) is None
    assert surface_problem("15", "lessons.exercises.lesson15_reference", ["x"]) is None
    assert surface_problem("12", "lessons.exercises.differential", ["Differential"])


def test_every_spelling_of_an_import_is_seen(tmp_path: Path) -> None:
    cells = [
        "from lessons.exercises import lesson07",  # another lesson's practice, imported from its package
        "from lessons.scenery import lesson08b_races",
        "from lessons import exercises, User",
        "import lessons.blog\nlessons.core.pristine.stable_names('x')",  # `import lessons…` binds `lessons`
        "lessons.blog.app.create_app",
    ]
    notebook = {"cells": [{"cell_type": "code", "source": source} for source in cells]}
    (tmp_path / "12-x.ipynb").write_text(json.dumps(notebook))
    assert notebook_imports(tmp_path / "12-x.ipynb") == [
        ("lessons.exercises.lesson07", []),
        ("lessons.scenery.lesson08b_races", []),
        ("lessons.exercises", []),
        ("lessons", ["User"]),
        ("lessons.blog", []),
        ("lessons.core.pristine", []),
        ("lessons.blog.app", []),
    ]


def test_every_scenery_module_serves_a_lesson() -> None:
    used = {module for path in NOTEBOOKS for module, _ in notebook_imports(path)}
    used |= {target for targets in GRAPH.values() for target in targets}
    scenery = [module for module in MODULES if module.startswith("lessons.scenery.")]
    assert all(re.fullmatch(r"lessons\.scenery\.lesson\d\d[a-z]?_\w+", module) for module in scenery), scenery
    assert sorted(module for module in scenery if module not in used) == []

"""The tree shows the architecture: dependencies point one way, pure modules stay pure,
no module imports itself back through others, and ``__all__`` says what is public."""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["server", "channels", "presence", "persistence", "loadtests"]

# What each layer may not import: `server` uses the others, never the reverse,
# and domain logic in `persistence` knows nothing of HTTP or the broker.
FORBIDDEN = {
    "persistence": {"server", "channels", "presence", "loadtests", "starlette", "redis", "websockets"},
    "channels": {"server", "persistence", "presence", "loadtests", "starlette"},
    "presence": {"server", "persistence", "loadtests", "starlette"},
    "server": {"loadtests"},
}

# Pure modules (rules, codecs, state machines) are tested by feeding them inputs:
# they import no I/O library and nothing of persistence but other rules.
PURE = ["persistence/rules", "server/live/protocol.py", "server/live/sequencer.py", "presence/timing.py"]
IO_LIBRARIES = {
    "sqlalchemy",
    "asyncio",
    "redis",
    "starlette",
    "websockets",
    "alembic",
    "asyncpg",
    "aiosqlite",
}


def _modules(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts)


def _name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _top_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements run on import: into module-level if/try, not into TYPE_CHECKING blocks."""
    for node in body:
        if isinstance(node, ast.If):
            if not _is_type_checking(node):
                yield from _top_level(node.body)
                yield from _top_level(node.orelse)
        elif isinstance(node, ast.Try):
            yield from _top_level(node.body)
            for handler in node.handlers:
                yield from _top_level(handler.body)
            yield from _top_level(node.orelse)
            yield from _top_level(node.finalbody)
        else:
            yield node


def _absolute(path: Path, node: ast.ImportFrom) -> str:
    """The absolute module an ``from ... import`` names (relative imports resolved)."""
    if node.level == 0:
        return node.module or ""
    package = _name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _module_edges(path: Path, known: set[str]) -> set[str]:
    """The project modules ``path`` imports when it is imported (lazy imports in functions excepted)."""
    edges: set[str] = set()
    for node in _top_level(ast.parse(path.read_text()).body):
        if isinstance(node, ast.Import):
            edges.update(alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(path, node)
            for alias in node.names:
                target = f"{module}.{alias.name}"
                if target in known:
                    edges.add(target)
                elif module in known:
                    edges.add(module)
    return edges


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (a depth-first search), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def _defined(tree: ast.Module) -> tuple[set[str], set[str], list[str] | None]:
    """(names defined at top level, names imported, ``__all__``) of a module."""
    defined: set[str] = set()
    imported: set[str] = set()
    exported: list[str] | None = None
    for node in _top_level(tree.body):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            imported.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
            if "__all__" in names:
                assert node.value is not None
                exported = [
                    str(ast.literal_eval(e)) for e in ast.walk(node.value) if isinstance(e, ast.Constant)
                ]
            elif not _is_plumbing(node.value):
                defined |= names
    return defined, imported, exported


def _is_plumbing(value: ast.expr | None) -> bool:
    """``logging.getLogger(...)`` and ``TypeVar(...)``: module machinery, never imported by name."""
    if not isinstance(value, ast.Call):
        return False
    func = value.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name in {"getLogger", "TypeVar", "ParamSpec"}


def _public_api_problems(path: Path) -> list[str]:
    defined, imported, exported = _defined(ast.parse(path.read_text()))
    if exported is None:
        return ["has no __all__"]
    public = {name for name in defined if not name.startswith("_")}
    problems = []
    if missing := sorted(public - set(exported)):
        problems.append(f"__all__ lacks public names {missing} (list them, or name them _private)")
    if private := sorted(name for name in exported if name.startswith("_")):
        problems.append(f"__all__ lists private names {private}")
    if unknown := sorted(set(exported) - defined - imported):
        problems.append(f"__all__ lists names the module neither defines nor imports: {unknown}")
    return problems


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_dependencies_point_one_way(package: str) -> None:
    offenders = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _modules(package)
        for name in _imports(path) & FORBIDDEN[package]
    }
    assert not offenders


def test_no_module_imports_itself_back_through_others() -> None:
    paths = [path for package in PACKAGES for path in _modules(package)]
    known = {_name(path) for path in paths}
    graph = {_name(path): _module_edges(path, known) - {_name(path)} for path in paths}
    cycle = _cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_reports_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycle(graph) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("pure", PURE)
def test_pure_modules_import_no_io_and_no_impure_persistence(pure: str) -> None:
    target = ROOT / pure
    paths = _modules(pure) if target.is_dir() else [target] if target.exists() else []
    offenders = []
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [_absolute(path, node)]
            else:
                continue
            for module in modules:
                root = module.split(".")[0]
                impure = root == "persistence" and not module.startswith("persistence.rules")
                if root in IO_LIBRARIES or impure:
                    offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not offenders


@pytest.mark.parametrize("package", PACKAGES)
def test_every_name_a_module_exports_exists(package: str) -> None:
    for path in _modules(package):
        if path.name == "__main__.py":
            continue
        module = importlib.import_module(_name(path))
        missing = [n for n in getattr(module, "__all__", []) if not hasattr(module, n)]
        assert not missing, f"{_name(path)}.__all__ names {missing}"


@pytest.mark.parametrize("package", PACKAGES)
def test_all_lists_exactly_the_public_names(package: str) -> None:
    """Public: defined at top level and not ``_private``; an imported name only when re-exported."""
    problems = {
        str(path.relative_to(ROOT)): found
        for path in _modules(package)
        if (found := _public_api_problems(path))
    }
    assert not problems


def test_the_public_name_rule_sees_a_missing_and_a_stray_name() -> None:
    tree = ast.parse(
        "import logging\nfrom x import y\nlogger = logging.getLogger('x')\n"
        "__all__ = ['f', 'y', 'gone']\ndef f(): pass\nclass C: pass\n_hidden = 1\n"
    )
    defined, imported, exported = _defined(tree)
    assert defined == {"f", "C", "_hidden"}
    assert imported == {"logging", "y"}
    assert exported == ["f", "y", "gone"]

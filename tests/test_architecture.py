"""The tree shows the architecture: dependencies point one way, and public names are real."""

from __future__ import annotations

import ast
import importlib
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


def _modules(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_dependencies_point_one_way(package: str) -> None:
    offenders = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _modules(package)
        for name in _imports(path) & FORBIDDEN[package]
    }
    assert not offenders


@pytest.mark.parametrize("package", PACKAGES)
def test_every_name_a_module_exports_exists(package: str) -> None:
    for path in _modules(package):
        if path.name == "__main__.py":
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        module = importlib.import_module(name)
        missing = [n for n in getattr(module, "__all__", []) if not hasattr(module, n)]
        assert not missing, f"{name}.__all__ names {missing}"

"""The package layering, checked on the source: no import cycles between opsloop's
top-level packages, the SDK stays off the server's layers, and modules stay small."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import opsloop

ROOT = Path(opsloop.__file__).parent
MAX_LINES = 400
# What the SDK may import: shared definitions, and the embedded composition root (the one
# door to the server's code, for when no server URI is set).
CLIENT_MAY_IMPORT = {
    "app",
    "config",
    "content_hash",
    "errors",
    "export",
    "file_urls",
    "schemas",
    "security",
    "specs",
}
SERVER_LAYERS = {"api", "services", "serving", "store", "execution", "runner", "background"}


def _modules() -> Iterator[Path]:
    yield from sorted(ROOT.rglob("*.py"))


def _package_of(path: Path) -> str:
    relative = path.relative_to(ROOT)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def _imported_packages(path: Path) -> set[str]:
    """Top-level opsloop packages a module imports, at module level or inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
            if node.module == "opsloop":  # from opsloop import specs
                names = [f"opsloop.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        found.update(name.split(".")[1] for name in names if name.startswith("opsloop."))
    return found


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in _modules():
        package = _package_of(path)
        targets = graph.setdefault(package, set())
        targets.update(_imported_packages(path) - {package})
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path that starts and ends at the same node, or None."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        for target in sorted(graph.get(node, ())):
            cycle = visit(target, [*path, node])
            if cycle:
                return cycle
        done.add(node)
        return None

    for start in sorted(graph):
        cycle = visit(start, [])
        if cycle:
            return cycle
    return None


def test_find_cycle_finds_one_and_only_one() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_imports_reach_function_level_and_from_opsloop(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "from opsloop.api.app import create_app\n"
        "def f():\n    import opsloop.serving.online.runtime\n    from opsloop import specs\n"
    )
    assert _imported_packages(module) == {"api", "serving", "specs"}


def test_no_package_import_cycle() -> None:
    cycle = find_cycle(package_graph())
    assert cycle is None, "package import cycle: " + " -> ".join(cycle or [])


def test_client_imports_no_server_layer() -> None:
    imported = package_graph()["client"]
    assert not imported & SERVER_LAYERS, sorted(imported & SERVER_LAYERS)
    assert imported <= CLIENT_MAY_IMPORT, sorted(imported - CLIENT_MAY_IMPORT)


def test_api_imports_no_serving() -> None:
    assert "serving" not in package_graph()["api"]


def test_services_import_no_serving_nor_runner() -> None:
    assert not package_graph()["services"] & {"serving", "runner", "api", "app"}


@pytest.mark.parametrize("path", list(_modules()), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_is_under_the_size_limit(path: Path) -> None:
    lines = len(path.read_text().splitlines())
    assert lines < MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines"

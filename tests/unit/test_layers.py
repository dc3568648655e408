"""The import graph of bot/ a newcomer relies on: no circle, and no part importing a part above it (README)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.paths import ROOT

# From the bottom; a part may import its own layer and those below (README, "How it is built").
LAYERS = [
    {"config", "conversation", "keyspace", "nlp"},
    {"notices", "rasa_client", "dialogue"},
    {"channels", "learn"},
    {"insights"},
    {"handoff", "comments"},
    {"boards"},
    {"gateway"},
    {"doctor", "bench", "local", "cli", "__main__"},
]


def modules() -> dict[str, Path]:
    found = {}
    for path in (ROOT / "bot").rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        found[name] = path
    return found


def imports(path: Path, known: dict[str, Path]) -> set[str]:
    """The project modules ``path`` imports, at any level (function-level imports count too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot"):
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        found.update(next(([n] for n in names if n in known), []))
    return found


def part(module: str) -> str:
    return module.split(".")[1] if "." in module else module


def layer(module: str) -> int:
    return next(i for i, parts in enumerate(LAYERS) if part(module) in parts)


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(path, known) - {name} for name, path in known.items()}


def test_every_part_of_bot_has_a_layer() -> None:
    assert {part(m) for m in graph() if m != "bot"} <= set().union(*LAYERS)


def test_no_part_imports_a_part_above_it() -> None:
    upward = [(a, b) for a, deps in graph().items() if a != "bot" for b in deps if layer(b) > layer(a)]
    assert upward == []


def test_there_is_no_import_circle() -> None:
    edges = graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> list[str] | None:
        state[module] = 1
        for dep in sorted(edges[module]):
            if state.get(dep) == 1:
                return [*path, module, dep]
            if dep not in state and (circle := visit(dep, [*path, module])):
                return circle
        state[module] = 2
        return None

    circles = [c for m in sorted(edges) if m not in state and (c := visit(m, []))]
    assert circles == []

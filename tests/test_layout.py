"""The package's layers, checked from the imports: each layer uses only the layers below it.

formats (bytes -> parsed objects) < signals (parsed objects -> evidence) < the verdict model and
evaluator < site policy < middlewares and the command line. A module that imports upwards would
make the layers a convention instead of a fact, and brings back import cycles.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "optout_middleware"

# What each layer may import from the package (besides itself and the small shared utilities).
UTILITIES = {"errors", "memo"}
ALLOWED: dict[str, set[str]] = {
    "formats": UTILITIES,
    "signals": UTILITIES | {"formats", "verdict", "agents", "inputs", "plugin"},
    "sitepolicy": UTILITIES | {"formats", "inputs", "verdict", "agents"},
    "report": UTILITIES,  # audit files in, HTML out: reads records, not the verdict model
    # stored crawls: the evaluator and site policy, never Scrapy, the middlewares or the CLI;
    # signals for where RSL documents are named (as the middleware's fetchers find them)
    "warc": UTILITIES
    | {"formats", "inputs", "verdict", "agents", "evaluate", "plugin", "sitepolicy", "signals"},
}


def _layer(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def _package_imports(path: Path) -> set[str]:
    """Top-level package parts (``formats``, ``verdict``, ...) that ``path`` imports."""
    return _imports_of(path.read_text(encoding="utf-8"), path.relative_to(PACKAGE))


def _imports_of(source: str, relative: Path) -> set[str]:
    """The package parts imported by ``source``, a module at ``relative`` inside the package."""
    tree = ast.parse(source)
    found: set[str] = set()
    depth = len(relative.parts) - 1  # 0 for top-level modules
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                if node.level - 1 > depth:
                    continue
                base = list(relative.parts[: depth - (node.level - 1)])
                parts = base + (node.module.split(".") if node.module else [])
                if parts:
                    found.add(parts[0])
                else:
                    found.update(alias.name for alias in node.names)
            elif node.module and node.module.startswith("optout_middleware."):
                found.add(node.module.split(".")[1])
            elif node.module == "optout_middleware":
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("optout_middleware."):
                    found.add(alias.name.split(".")[1])
    return found


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_layers_below_it(layer: str) -> None:
    """formats import no signal, verdict or Scrapy code; signals no site policy or middleware."""
    offenders = {}
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        upward = _package_imports(path) - ALLOWED[layer] - {layer}
        if upward:
            offenders[str(path.relative_to(PACKAGE))] = sorted(upward)
    assert offenders == {}


def test_core_modules_do_not_import_the_scrapy_layers() -> None:
    """The verdict model, inputs, plugin protocol and evaluator work without middlewares or CLI."""
    for name in ("verdict", "inputs", "plugin", "evaluate", "agents"):
        imported = _package_imports(PACKAGE / f"{name}.py")
        assert not imported & {"middlewares", "cli", "sitepolicy"}, name


def test_the_import_checker_sees_an_upward_import() -> None:
    """The checker itself: relative and absolute imports are resolved to their layer."""
    source = (
        "from ..signals import robotsai\n"
        "from .robotstxt import parse\n"
        "from optout_middleware.middlewares.fetch import x\n"
        "from optout_middleware import verdict\n"
    )
    found = _imports_of(source, Path("formats/probe.py"))
    assert found == {"signals", "formats", "middlewares", "verdict"}

"""An older version of the library, measured side by side with this one: ``--baseline DIR``.

``DIR`` is a source tree of the library (e.g. ``git worktree add /tmp/old 7f912cc``, or ``git
archive 7f912cc | tar -x -C /tmp/old``). For the crawl it is put first on ``PYTHONPATH`` of a
third crawl mode; for the in-process parts (per-page evaluation, cache memory) its package is
copied under another name, ``optout_baseline``, with its absolute imports renamed, so both
versions load in one process and are timed in turn, under the same load.
"""

from __future__ import annotations

import importlib
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types import ModuleType

__all__ = ["BASELINE_PACKAGE", "PACKAGE", "import_from", "load_baseline"]

PACKAGE = "optout_middleware"
BASELINE_PACKAGE = "optout_baseline"
_NAME = re.compile(rb"\boptout_middleware\b")
_loaded: dict[Path, str] = {}


def load_baseline(tree: Path) -> str:
    """Make ``tree``'s package importable as :data:`BASELINE_PACKAGE`; return that name."""
    tree = tree.resolve()
    if tree in _loaded:
        return _loaded[tree]
    source = tree / PACKAGE
    if not (source / "__init__.py").is_file():
        raise SystemExit(f"--baseline {tree}: no {PACKAGE}/ package there")
    target_root = Path(tempfile.mkdtemp(prefix="optout-baseline-"))
    target = target_root / BASELINE_PACKAGE
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    for path in target.rglob("*.py"):
        path.write_bytes(_NAME.sub(BASELINE_PACKAGE.encode(), path.read_bytes()))
    sys.path.insert(0, str(target_root))
    importlib.invalidate_caches()
    _loaded[tree] = BASELINE_PACKAGE
    return BASELINE_PACKAGE


def import_from(package: str, module: str) -> ModuleType:
    """``package.module`` (``module`` relative to the package root, e.g. ``"evaluate"``)."""
    return importlib.import_module(f"{package}.{module}")

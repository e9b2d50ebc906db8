"""``python -m optout_middleware``: the ``optout`` command line."""

from __future__ import annotations

from .cli import main

raise SystemExit(main())

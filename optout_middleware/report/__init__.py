"""Compliance reports: audit files in, one self-contained HTML page out (``optout report``).

:func:`summarize` folds any number of JSON Lines audit files into an :class:`AuditSummary` in
bounded memory; :func:`render_page` draws it as HTML with inline SVG charts. No Scrapy here.
"""

from __future__ import annotations

from .aggregate import summarize
from .model import AuditSummary
from .page import render_page

__all__ = ["AuditSummary", "render_page", "summarize"]

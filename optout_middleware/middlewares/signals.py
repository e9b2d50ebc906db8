"""Scrapy signals sent by the opt-out middlewares (connect with ``crawler.signals.connect``).

Both are sent with ``send_catch_log``: a failing handler is logged, never raised into the crawl.
Handlers may take only the keyword arguments they need.
"""

from __future__ import annotations

__all__ = ["optout_decided", "optout_stats_requested", "site_policy_fetched"]

optout_decided = object()
"""Sent once per URL decided. Keywords: ``verdict`` (:class:`~optout_middleware.Verdict`),
``request``, ``response`` (None when decided before download), ``action`` ("dropped",
"forbidden", "tagged" or "passed")."""

site_policy_fetched = object()
"""Sent when the site files of an origin have been fetched (once per origin per cache TTL).
Keywords: ``origin`` (``"https://example.com:443"``), ``site``
(:class:`~optout_middleware.inputs.SiteFiles`)."""

optout_stats_requested = object()
"""Send it (no keywords) to have the middlewares add their batched counts to Scrapy's stats
collector now, e.g. before reading ``optout/...`` stats mid-crawl (the log extension does)."""

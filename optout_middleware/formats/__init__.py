"""File formats: bytes in, parsed objects out.

Each module here reads one format that publishers use to state an opt-out (robots.txt and its
rules, Spawning ai.txt, tdmrep.json, HTTP structured fields, the HTML ``<head>``, RSL XML) and
knows nothing about purposes, verdicts or Scrapy. Every parser takes any bytes and returns a
result or raises :class:`~optout_middleware.errors.ParseError`; none touches the network.
The signal families in :mod:`optout_middleware.signals` turn these objects into evidence.
"""

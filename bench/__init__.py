"""Benchmarks of optout_middleware: crawl overhead, parser speed, policy-cache memory.

One entry point, ``python -m bench`` (``--quick`` for a smoke run, ``--json PATH`` for the
results). Every input is generated from fixed seeds (``bench.sitegen``), so runs compare.
"""

"""Signal families: parsed files and responses in, evidence out, one module per family.

Each family implements :class:`~optout_middleware.plugin.SignalParser`: ``site_evidence`` reads
the origin's parsed site files (:mod:`optout_middleware.formats`) for one URL, and
``response_evidence`` reads one response's headers and ``<head>``. A family states what a
signal says per purpose; it never decides a verdict (:mod:`optout_middleware.verdict` does).
"""

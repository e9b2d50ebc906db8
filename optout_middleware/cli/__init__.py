"""The ``optout`` command line: thin commands over the evaluator and the site-policy rules."""

from .main import main

__all__ = ["main"]

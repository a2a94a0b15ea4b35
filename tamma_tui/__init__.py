"""Tamma Bench: benchmark AI coding-agent configurations."""

__version__ = "0.1.0"

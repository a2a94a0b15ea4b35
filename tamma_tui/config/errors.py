"""Kept for imports written before the error tree moved to ``tamma_tui.errors``."""

from tamma_tui.errors import BadInput

__all__ = ["BadInput"]

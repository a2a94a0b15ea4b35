"""Why a batch of trials could not be written, in terms the engine can act on.

The store translates driver errors into these (no SQLAlchemy type leaves ``store/``);
the engine's writer retries ``StoreBusy`` and stops on ``StoreFull``.
"""

from __future__ import annotations


class StoreBusy(Exception):
    """Another writer held the database lock past the busy timeout: try again later."""


class StoreFull(Exception):
    """The disk (or the database's size limit) is full: nothing more fits."""

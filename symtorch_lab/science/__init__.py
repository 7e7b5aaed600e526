"""Helpers for case studies: checking that a law was *recovered*, not just fitted."""

from .recovery import recovers, snap_constants

__all__ = ["recovers", "snap_constants"]

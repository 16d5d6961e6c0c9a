"""Errors raised by the ui package; handlers show :class:`UIError` messages to the user."""

from __future__ import annotations


class UIError(Exception):
    """Base class of every error this package raises on purpose."""

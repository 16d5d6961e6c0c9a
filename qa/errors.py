"""Errors raised by the qa package; the CLI and UI show :class:`QAError` messages."""

from __future__ import annotations


class QAError(Exception):
    """Base class of every error this package raises on purpose."""


class InvalidQuestionError(QAError, ValueError):
    """The question is empty, too long or not text."""


class InvalidSettingsError(QAError, ValueError):
    """An :class:`~qa.AnswerSettings` field has a value the engine cannot use."""


class InvalidHistoryError(QAError, TypeError):
    """``history`` is not a list of chat turns."""


class QuoteIntegrityError(QAError):
    """A quote did not match its document at its offsets (a bug: never shown as an answer)."""

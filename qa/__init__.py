"""corpus-qa: answers about a corpus of articles, made of verbatim, cited quotes.

>>> import qa
>>> qa.answer("Who is Cuba's foreign minister?").quotes[0].text  # doctest: +SKIP
"""

from .api import (
    answer,
    engine_for,
    open_collection,
    open_corpus,
    open_index,
    open_store_reader,
    retrieve,
    shared_embedder,
)
from .confidence import ConfidenceModel
from .engine import CorpusQA, Evidence, check_quotes
from .errors import (
    InvalidHistoryError,
    InvalidQuestionError,
    InvalidSettingsError,
    QAError,
    QuoteIntegrityError,
)
from .protocols import CorpusReader, Embedder, Snapshot
from .records import Answer, Passage, Quote
from .render import NOT_IN_ARTICLES
from .settings import AnswerSettings

__all__ = [
    "NOT_IN_ARTICLES",
    "Answer",
    "AnswerSettings",
    "ConfidenceModel",
    "CorpusQA",
    "CorpusReader",
    "Embedder",
    "Evidence",
    "InvalidHistoryError",
    "InvalidQuestionError",
    "InvalidSettingsError",
    "Passage",
    "QAError",
    "Quote",
    "QuoteIntegrityError",
    "Snapshot",
    "answer",
    "check_quotes",
    "engine_for",
    "open_collection",
    "open_corpus",
    "open_index",
    "open_store_reader",
    "retrieve",
    "shared_embedder",
]

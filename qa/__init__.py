"""corpus-qa: answers about a corpus of articles, made of verbatim, cited quotes.

>>> import qa
>>> qa.answer("Who is Cuba's foreign minister?").quotes[0].text  # doctest: +SKIP
"""

from .api import answer, engine_for, open_corpus, retrieve, shared_embedder
from .engine import NOT_IN_ARTICLES, AnswerSettings, CorpusQA, check_quotes
from .errors import InvalidHistoryError, InvalidQuestionError, QAError, QuoteIntegrityError
from .records import Answer, Passage, Quote

__all__ = [
    "NOT_IN_ARTICLES",
    "Answer",
    "AnswerSettings",
    "CorpusQA",
    "InvalidHistoryError",
    "InvalidQuestionError",
    "Passage",
    "QAError",
    "Quote",
    "QuoteIntegrityError",
    "answer",
    "check_quotes",
    "engine_for",
    "open_corpus",
    "retrieve",
    "shared_embedder",
]

"""Loading, chunking, embedding and Chroma storage of article corpora."""

from .chroma_store import ChromaStore, close_client, open_client, validate_collection_name
from .chunking import CHUNKER_VERSION, chunk_document
from .config import (
    DEFAULT_COLLECTION,
    ENV_CHROMA_URL,
    ENV_STORE_DIR,
    StoreSettings,
    collection_for,
    default_corpus_dir,
    default_store_dir,
    open_store,
)
from .embedding import (
    MODEL_NAME,
    Embedder,
    OnnxEmbedder,
    SentenceTransformerEmbedder,
    bundled_model_path,
    default_embedder,
)
from .errors import (
    CorpusNotFoundError,
    CorpusRefusedError,
    CorpusUnreadableError,
    InvalidNameError,
    InvalidSettingError,
    StoreDamagedError,
    StoreInUseError,
    StoreMismatchError,
    StoreReadOnlyError,
    StoreUnavailableError,
    TooManyFilesError,
    UnreadableFileError,
    VectorStoreError,
)
from .index import CorpusIndex, IndexSnapshot, Source, SyncReport
from .loading import SUPPORTED_SUFFIXES, FileProblem, load_document, load_folder
from .reader import IndexReader
from .records import Chunk, Document, Span
from .sentences import quotable_sentences, split_sentences

__all__ = [
    "CHUNKER_VERSION",
    "DEFAULT_COLLECTION",
    "ENV_CHROMA_URL",
    "ENV_STORE_DIR",
    "MODEL_NAME",
    "SUPPORTED_SUFFIXES",
    "ChromaStore",
    "Chunk",
    "CorpusIndex",
    "CorpusNotFoundError",
    "CorpusRefusedError",
    "CorpusUnreadableError",
    "Document",
    "Embedder",
    "FileProblem",
    "IndexReader",
    "IndexSnapshot",
    "InvalidNameError",
    "InvalidSettingError",
    "OnnxEmbedder",
    "SentenceTransformerEmbedder",
    "Source",
    "Span",
    "StoreDamagedError",
    "StoreInUseError",
    "StoreMismatchError",
    "StoreReadOnlyError",
    "StoreSettings",
    "StoreUnavailableError",
    "SyncReport",
    "TooManyFilesError",
    "UnreadableFileError",
    "VectorStoreError",
    "bundled_model_path",
    "chunk_document",
    "close_client",
    "collection_for",
    "default_corpus_dir",
    "default_embedder",
    "default_store_dir",
    "load_document",
    "load_folder",
    "open_client",
    "open_store",
    "quotable_sentences",
    "split_sentences",
    "validate_collection_name",
]

"""Every environment variable corpus-qa reads, named once (README "Configuration" lists them)."""

from __future__ import annotations

import os
from pathlib import Path

ENV_STORE_DIR = "CORPUS_QA_STORE_DIR"
"""Embedded Chroma folder (default: the user data dir)."""
ENV_CHROMA_URL = "CORPUS_QA_CHROMA_URL"
"""A Chroma server instead of the folder."""
ENV_INDEX_DIR = "CORPUS_QA_INDEX_DIR"
"""Where per-revision indexes (chunk layout, BM25) are kept (default: beside the store, or the user cache)."""
ENV_MAX_FILES = "CORPUS_QA_MAX_FILES"
"""Most article files a corpus folder may hold."""
ENV_MAX_FILE_BYTES = "CORPUS_QA_MAX_FILE_BYTES"
"""Largest article file, in bytes, a corpus folder may hold; larger files are skipped with a reason."""
ENV_BACKEND = "CORPUS_QA_BACKEND"
"""Embedding runtime: onnx (default), onnx-int8 or torch."""
ENV_DEVICE = "CORPUS_QA_DEVICE"
"""Where the model runs: auto (default: a CUDA GPU when one is usable, else the CPU), cpu or cuda."""
ENV_MODEL = "CORPUS_QA_MODEL"
"""Embedding model: qa-tuned (default, shipped) or minilm (the plain bundled all-MiniLM-L6-v2), or a folder."""
ENV_UPLOAD_DIR = "CORPUS_QA_UPLOAD_DIR"
"""Where the chat keeps uploaded articles when the corpus folder is the shipped one."""
ENV_AUTH = "CORPUS_QA_AUTH"
"""user:password for the chat's login."""
ENV_AUTH_LOCKOUT_S = "CORPUS_QA_AUTH_LOCKOUT_S"
"""Seconds a client address stays locked out after too many wrong passwords."""
ENV_ALLOWED_HOSTS = "CORPUS_QA_ALLOWED_HOSTS"
"""Comma-separated host names the chat answers to besides loopback."""
ENV_UPLOAD_CACHE_S = "CORPUS_QA_UPLOAD_CACHE_S"
"""How long Gradio's upload cache keeps a file."""

ALL = (
    ENV_STORE_DIR,
    ENV_CHROMA_URL,
    ENV_INDEX_DIR,
    ENV_MAX_FILES,
    ENV_MAX_FILE_BYTES,
    ENV_BACKEND,
    ENV_DEVICE,
    ENV_MODEL,
    ENV_UPLOAD_DIR,
    ENV_AUTH,
    ENV_AUTH_LOCKOUT_S,
    ENV_ALLOWED_HOSTS,
    ENV_UPLOAD_CACHE_S,
)


def env_path(name: str) -> Path | None:
    """The folder an environment variable names, or None when unset or empty."""
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser() if value else None

"""Loading article files (.txt, .md, .html) into :class:`Document` records."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import CorpusNotFoundError, UnreadableFileError
from .records import Document
from .sentences import split_sentences

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES
DEFAULT_MAX_FILE_BYTES = 5 * 1024 * 1024

_BYLINE = re.compile(r"^(by|from|words by)\s+\S.{0,100}$", re.IGNORECASE)
_HANDLE = re.compile(r"^@\w{1,40}$")
_MD_HEADING = re.compile(r"^#{1,6}\s+")
_TITLE_WORDS = 12


@dataclass(frozen=True)
class FileProblem:
    """A file that was skipped, and why: shown to the user as one line."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def iter_article_paths(folder: Path) -> Iterator[Path]:
    """Every supported file under ``folder``, sorted, hidden files skipped."""
    if not folder.exists():
        raise CorpusNotFoundError(
            f"Corpus folder {folder} does not exist: create it or pass another folder with --corpus."
        )
    if not folder.is_dir():
        raise CorpusNotFoundError(f"{folder} is not a folder: pass the folder that holds the articles.")
    found: list[Path] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if name.startswith("."):
                continue
            path = Path(root) / name
            if path.suffix.lower() in SUPPORTED_SUFFIXES:
                found.append(path)
    yield from sorted(found)


def load_document(
    path: Path, root: Path, *, max_bytes: int = DEFAULT_MAX_FILE_BYTES, id_prefix: str = ""
) -> Document:
    """Load one article; raise :class:`UnreadableFileError` naming what is wrong."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableFileError(path, f"unsupported file type {suffix or '(none)'}: use .txt, .md or .html")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise UnreadableFileError(
                path,
                f"file is {size:,} bytes, over the {max_bytes:,}-byte limit: split it or raise the limit",
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise UnreadableFileError(path, f"cannot be read ({exc.strerror or exc})") from exc
    if b"\x00" in raw:
        raise UnreadableFileError(
            path, "looks like a binary file (it holds NUL bytes): save the article as text"
        )
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(
            path, f"is not valid UTF-8 (byte {exc.start}): re-save the file as UTF-8"
        ) from exc

    meta_title: str | None = None
    meta_byline: str | None = None
    if suffix in HTML_SUFFIXES:
        text, meta_title, meta_byline = _extract_html(decoded)
    else:
        text = decoded
    if not text.strip():
        raise UnreadableFileError(path, "holds no article text (the file is empty)")

    title, byline = describe(text, markdown=suffix in {".md", ".markdown"})
    rel = path.relative_to(root).as_posix()
    return Document(
        doc_id=f"{id_prefix}{rel}",
        title=meta_title or title,
        byline=meta_byline or byline,
        text=text,
        content_hash=content_hash(text),
        source_path=str(path.resolve()),
    )


def _extract_html(html: str) -> tuple[str, str | None, str | None]:
    """Main text of an HTML article, with its title and author when marked up."""
    import trafilatura  # imported lazily: it is slow to import and only HTML needs it

    text = trafilatura.extract(
        html, include_comments=False, include_tables=False, include_links=False, favor_precision=True
    )
    if not text:
        # Short pages fail trafilatura's boilerplate heuristics; fall back to all visible text.
        text = trafilatura.html2txt(html) or ""
    meta = trafilatura.extract_metadata(html)
    title = (meta.title or None) if meta else None
    author = (meta.author or None) if meta else None
    return text, title, (f"By {author}" if author else None)


def describe(text: str, *, markdown: bool = False) -> tuple[str, str | None]:
    """Title and byline of an article, taken from its own lines (never invented).

    The title is the first non-empty line unless that is a byline or too long
    to be a headline; then a short title is cut from the first sentence.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    byline = next((line for line in lines[:6] if _BYLINE.match(line)), None)
    first = lines[0] if lines else ""
    if markdown:
        first = _MD_HEADING.sub("", first)
    if first and not _BYLINE.match(first) and not _HANDLE.match(first) and len(first) <= 150:
        return first, byline
    body = [line for line in lines if not _BYLINE.match(line) and not _HANDLE.match(line)]
    if not body:
        return (first[:80] or "Untitled"), byline
    spans = split_sentences(body[0])
    sentence = body[0][spans[0].start : spans[0].end] if spans else body[0]
    words = sentence.split()
    if len(words) <= _TITLE_WORDS:
        return sentence, byline
    return " ".join(words[:_TITLE_WORDS]) + "…", byline


def load_folder(
    folder: Path, *, max_bytes: int = DEFAULT_MAX_FILE_BYTES, id_prefix: str = ""
) -> tuple[list[Document], list[FileProblem]]:
    """Every readable article under ``folder`` plus one problem per unreadable file."""
    documents: list[Document] = []
    problems: list[FileProblem] = []
    for path in iter_article_paths(folder):
        try:
            documents.append(load_document(path, folder, max_bytes=max_bytes, id_prefix=id_prefix))
        except UnreadableFileError as exc:
            problems.append(FileProblem(f"{id_prefix}{path.relative_to(folder).as_posix()}", exc.reason))
    return documents, problems

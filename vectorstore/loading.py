"""Loading article files (.txt, .md, .html) into :class:`Document` records.

A corpus folder is not trusted: only regular files that really live inside
it are articles. Symbolic links, FIFOs, devices and sockets are skipped with
a reason, files are opened without following links and read up to the size
limit only, and HTML is checked for structures that would pin the parser
before it is parsed (once per content).
"""

from __future__ import annotations

import codecs
import errno
import hashlib
import os
import re
import stat
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from tqdm import tqdm

from .env import ENV_MAX_FILE_BYTES, ENV_MAX_FILES
from .errors import (
    CorpusNotFoundError,
    CorpusRefusedError,
    CorpusUnreadableError,
    InvalidSettingError,
    TooManyFilesError,
    UnreadableFileError,
)
from .records import Document
from .sentences import line_end, next_line_start, split_sentences

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
TEXT_SUFFIXES = frozenset({".txt"}) | MARKDOWN_SUFFIXES
HTML_SUFFIXES = frozenset({".html", ".htm"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES
DEFAULT_MAX_FILE_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_FILES = 10_000
# What each file type's loader makes of a file, versioned: bump one when its text changes for the
# same bytes, and the next sync re-reads files of that type once (re-embedding only those whose text
# really changed), while the other types stay unread. Plain text has never changed: "".
# html-2 / md-2: HTML keeps tables, lists and trailing text; Markdown drops its YAML front matter.
_LOADER_VERSIONS = {**dict.fromkeys(HTML_SUFFIXES, "html-2"), **dict.fromkeys(MARKDOWN_SUFFIXES, "md-2")}


def loader_version(path: Path | str) -> str:
    """The version of what loading makes of a file of this type ("" for plain text)."""
    return _LOADER_VERSIONS.get(Path(path).suffix.lower(), "")


# HTML structure limits, checked by a linear scan before parsing. Real news pages stay far below
# them (a few thousand tags, tens of attributes on a tag, nesting depth well under 100); past them
# the HTML parser's cost grows quadratically (attributes) or explodes (tags), pinning a CPU.
MAX_HTML_TAGS = 50_000
MAX_HTML_ATTRIBUTES = 256
MAX_HTML_DEPTH = 512

_BYLINE = re.compile(r"^(by|from|words by)\s+\S.{0,100}$", re.IGNORECASE)
_HANDLE = re.compile(r"^@\w{1,40}$")
_MD_HEADING = re.compile(r"^#{1,6}\s+")
_TITLE_WORDS = 12

ProblemKind = Literal["unreadable", "skipped", "folder"]


@dataclass(frozen=True)
class FileProblem:
    """A file (or folder) that was skipped, and why: shown to the user as one line.

    ``kind`` says what happens to what was stored for it: an ``unreadable``
    article keeps its stored records, a ``folder`` that cannot be listed keeps
    everything stored under it (``path`` ends with ``/``), and a ``skipped``
    entry (a link, a FIFO, a device) is not an article, so nothing is kept.
    """

    path: str
    reason: str
    kind: ProblemKind = "unreadable"

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(frozen=True)
class FolderScan:
    """The article files of a folder, and the entries that were skipped with a reason."""

    paths: tuple[Path, ...]
    problems: tuple[FileProblem, ...]


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- which folders may be scanned ----------------------------------------------

# Folders that are never a corpus: scanning them would read the whole disk (or endless
# pseudo-files). Their sub-folders are allowed, except under the pseudo-filesystems.
_SYSTEM_ROOTS = frozenset(
    {
        "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32",
        "/media", "/mnt", "/opt", "/proc", "/root", "/run", "/sbin", "/snap", "/srv", "/sys",
        "/tmp", "/usr", "/usr/local", "/var", "/Applications", "/Library", "/System", "/Users",  # noqa: S108
        "/Volumes", "/private", "/private/etc", "/private/tmp", "/private/var",
    }
)  # fmt: skip
_PSEUDO_FILESYSTEMS = ("/proc", "/sys", "/dev")


def check_corpus_folder(folder: Path) -> Path:
    """``folder`` if it may be scanned as a corpus; a clear error naming the fix if not."""
    folder = Path(folder).expanduser()
    if not folder.exists():
        raise CorpusNotFoundError(
            f"Corpus folder {folder} does not exist: create it or pass another folder with --corpus."
        )
    if not folder.is_dir():
        raise CorpusNotFoundError(f"{folder} is not a folder: pass the folder that holds the articles.")
    resolved = folder.resolve()
    try:
        home: Path | None = Path.home().resolve()
    except (RuntimeError, KeyError):  # no HOME and no password entry
        home = None
    refused = (
        str(resolved) in _SYSTEM_ROOTS
        or (home is not None and (resolved == home or resolved in home.parents))
        or any(resolved.is_relative_to(p) for p in _PSEUDO_FILESYSTEMS)
    )
    if refused:
        what = "your home folder" if resolved == home else "a system folder"
        raise CorpusRefusedError(
            f"Refusing to use {folder} as a corpus: it is {what}, and scanning it would read "
            "far more than articles. Put the articles in a folder of their own and pass that "
            "folder instead (e.g. --corpus ~/articles)."
        )
    return folder


def resolve_max_files(max_files: int | None = None) -> int:
    """The article-file limit: ``max_files`` if given, else ``CORPUS_QA_MAX_FILES``, else 10,000."""
    return _limit(
        max_files, ENV_MAX_FILES, DEFAULT_MAX_FILES, field="max_files",
        what="the article-file limit", unit="", meaning="the most article files a corpus may hold", example=50000,
    )  # fmt: skip


def resolve_max_file_bytes(max_file_bytes: int | None = None) -> int:
    """The per-file size limit: ``max_file_bytes`` if given, else ``CORPUS_QA_MAX_FILE_BYTES``,
    else 5 MiB."""
    return _limit(
        max_file_bytes, ENV_MAX_FILE_BYTES, DEFAULT_MAX_FILE_BYTES, field="max_file_bytes",
        what="the per-file size limit", unit=" byte", meaning="the largest article file in bytes", example=20000000,
    )  # fmt: skip


def _limit(
    value: int | None, env: str, default: int, *, field: str, what: str, unit: str, meaning: str, example: int
) -> int:
    """A positive limit: ``value`` if given, else the environment variable ``env``, else ``default``."""
    if value is None:
        raw = os.environ.get(env, "").strip()
        if not raw:
            return default
        try:
            value = int(raw.replace("_", "").replace(",", ""))
        except ValueError:
            raise InvalidSettingError(
                f"{env}={raw!r} is not a number: set it to {meaning}, e.g. {env}={example}."
            ) from None
    if value < 1:
        raise InvalidSettingError(
            f"{what[0].upper()}{what[1:]} must be at least 1{unit}, got {value}: fix {env} "
            f"or StoreSettings({field}=...)."
        )
    return value


def _not_regular(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


_LINK_REASON = (
    "is a symbolic link: skipped, since corpus-qa reads only regular files inside the corpus "
    "folder; copy the article into the folder instead"
)


def _special_reason(what: str) -> str:
    return f"is {what}, not a regular file: skipped; save the article as an ordinary file"


def scan_folder(folder: Path, *, max_files: int | None = None, progress: bool = False) -> FolderScan:
    """Every article file under ``folder`` (sorted), plus a problem per entry that was skipped.

    Hidden files and folders are ignored. Symbolic links (to files or
    folders) are never followed, special files are never opened, and a
    folder that cannot be listed is reported, not silently passed over.
    Past ``max_files`` article files the scan stops with an error.
    """
    folder = check_corpus_folder(folder)
    limit = resolve_max_files(max_files)
    found: list[Path] = []
    problems: list[FileProblem] = []
    bar = tqdm(desc=f"Scanning {folder}", unit=" entries", disable=not progress, leave=False)
    pending: list[tuple[str, Path]] = [("", folder)]
    try:
        while pending:
            rel_dir, directory = pending.pop()
            try:
                with os.scandir(directory) as listing:
                    entries = sorted(listing, key=lambda e: e.name)
            except OSError as exc:
                if not rel_dir:
                    raise CorpusUnreadableError(
                        f"Cannot read the corpus folder {folder} ({exc.strerror or exc}): "
                        "give this user read access to it, or pass another folder."
                    ) from exc
                problems.append(
                    FileProblem(
                        f"{rel_dir}/",
                        f"folder cannot be read ({exc.strerror or exc}): its articles were skipped "
                        "and what was stored for them is kept; give this user read access to it",
                        kind="folder",
                    )
                )
                continue
            for entry in entries:
                bar.update()
                if entry.name.startswith("."):
                    continue
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                article = Path(entry.name).suffix.lower() in SUPPORTED_SUFFIXES
                try:
                    if entry.is_symlink():
                        # A link to a folder is reported whatever its name; a link to a file only
                        # when it would otherwise have been read as an article.
                        if article or entry.is_dir(follow_symlinks=True):
                            problems.append(FileProblem(rel, _LINK_REASON, kind="skipped"))
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        pending.append((rel, Path(entry.path)))
                        continue
                    if not article:
                        continue
                    what = _not_regular(entry.stat(follow_symlinks=False).st_mode)
                except OSError as exc:
                    if article:
                        problems.append(FileProblem(rel, f"cannot be read ({exc.strerror or exc})"))
                    continue
                if what is not None:
                    problems.append(FileProblem(rel, _special_reason(what), kind="skipped"))
                    continue
                found.append(Path(entry.path))
                bar.set_postfix_str(f"{len(found):,} articles", refresh=False)
                if len(found) > limit:
                    raise TooManyFilesError(
                        f"{folder} holds more than {limit:,} article files (.txt, .md, .html); "
                        "stopped scanning. Pass the folder that holds just the articles, or raise "
                        f"the limit with {ENV_MAX_FILES}=N (or StoreSettings(max_files=N))."
                    )
    finally:
        bar.close()
    return FolderScan(tuple(sorted(found)), tuple(sorted(problems, key=lambda p: p.path)))


def iter_article_paths(
    folder: Path, *, max_files: int | None = None, progress: bool = False
) -> Iterator[Path]:
    """Every article file under ``folder``, sorted; hidden files, links and special files skipped."""
    yield from scan_folder(folder, max_files=max_files, progress=progress).paths


# -- reading one file ------------------------------------------------------------------

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: opening a FIFO swapped in after the check must not block; it does nothing to files.
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


def _relative_parts(path: Path, root: Path) -> tuple[str, ...]:
    """``path``'s parts below ``root``, or an error when it is not inside it."""
    try:
        rel = path.relative_to(root)
    except ValueError:
        try:  # the same file named another way (relative vs absolute, a linked root)
            rel = path.absolute().relative_to(root.absolute())
        except ValueError:
            rel = None
    parts = rel.parts if rel is not None else ()
    if not parts or any(p in {"", ".", ".."} for p in parts):
        raise UnreadableFileError(
            path, f"is not inside the corpus folder {root}: only files in that folder are read"
        )
    return parts


def _too_big(size: int, max_bytes: int) -> str:
    return (
        f"file is {size:,} bytes, over the {max_bytes:,}-byte limit: split it, or raise the limit "
        f"with {ENV_MAX_FILE_BYTES}=N (or StoreSettings(max_file_bytes=N))"
    )


def read_article_bytes(path: Path, root: Path, *, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> bytes:
    """The bytes of ``path``, a regular file inside ``root``; never more than ``max_bytes``.

    Each folder below ``root`` and the file itself are opened relative to
    their parent with ``O_NOFOLLOW``, so a link swapped in anywhere on the
    way cannot lead outside the folder; the file's type is checked before
    and (with ``fstat``) after opening, so a FIFO or a device is never read.
    """
    parts = _relative_parts(path, root)
    try:
        dir_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise UnreadableFileError(path, f"cannot be read ({exc.strerror or exc})") from exc
    try:
        for part in parts[:-1]:
            try:
                next_fd = os.open(part, _DIR_FLAGS, dir_fd=dir_fd)
            except OSError as exc:
                if exc.errno in {errno.ELOOP, errno.ENOTDIR}:
                    raise UnreadableFileError(path, _LINK_REASON) from exc
                raise UnreadableFileError(path, f"cannot be read ({exc.strerror or exc})") from exc
            os.close(dir_fd)
            dir_fd = next_fd
        try:
            before = os.stat(parts[-1], dir_fd=dir_fd, follow_symlinks=False)
        except OSError as exc:
            raise UnreadableFileError(path, f"cannot be read ({exc.strerror or exc})") from exc
        _check_regular(path, before.st_mode)
        if before.st_size > max_bytes:
            raise UnreadableFileError(path, _too_big(before.st_size, max_bytes))
        try:
            fd = os.open(parts[-1], _FILE_FLAGS, dir_fd=dir_fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise UnreadableFileError(path, _LINK_REASON) from exc
            raise UnreadableFileError(path, f"cannot be read ({exc.strerror or exc})") from exc
    finally:
        os.close(dir_fd)
    try:
        after = os.fstat(fd)  # what was opened, which may not be what was checked a moment ago
        _check_regular(path, after.st_mode)
        if after.st_size > max_bytes:
            raise UnreadableFileError(path, _too_big(after.st_size, max_bytes))
        chunks: list[bytes] = []
        remaining = max_bytes + 1  # one byte over tells a file that grew past the limit
        while remaining > 0:
            block = os.read(fd, min(remaining, 1 << 20))
            if not block:
                break
            chunks.append(block)
            remaining -= len(block)
    except OSError as exc:
        raise UnreadableFileError(path, f"cannot be read ({exc.strerror or exc})") from exc
    finally:
        os.close(fd)
    raw = b"".join(chunks)
    if len(raw) > max_bytes:
        raise UnreadableFileError(path, _too_big(len(raw), max_bytes))
    return raw


def _check_regular(path: Path, mode: int) -> None:
    what = _not_regular(mode)
    if what == "a symbolic link":
        raise UnreadableFileError(path, _LINK_REASON)
    if what is not None:
        raise UnreadableFileError(path, _special_reason(what))


def load_document(
    path: Path, root: Path, *, max_bytes: int = DEFAULT_MAX_FILE_BYTES, id_prefix: str = ""
) -> Document:
    """Load one article; raise :class:`UnreadableFileError` naming what is wrong."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableFileError(path, f"unsupported file type {suffix or '(none)'}: use .txt, .md or .html")
    raw = read_article_bytes(path, root, max_bytes=max_bytes)
    decoded = _decode(path, raw, html=suffix in HTML_SUFFIXES)

    if not decoded.replace("\ufeff", "").strip():
        raise UnreadableFileError(path, "holds no article text (the file is empty)")

    markdown = suffix in MARKDOWN_SUFFIXES
    meta_title: str | None = None
    meta_byline: str | None = None
    if suffix in HTML_SUFFIXES:
        extracted = html_article(raw, decoded)
        if isinstance(extracted, str):
            raise UnreadableFileError(path, extracted)
        text, meta_title, meta_byline = extracted  # never empty: _extract_html says NO_VISIBLE_TEXT then
    elif markdown and (front := front_matter(decoded)) is not None:
        # Front matter is metadata, not prose: it must never be quoted as an answer.
        body_start, fields = front
        text = decoded[body_start:]
        meta_title = fields.get("title")
        author = fields.get("author")
        meta_byline = (author if _BYLINE.match(author) else f"By {author}") if author else None
        if not text.strip():
            raise UnreadableFileError(
                path,
                "holds no article text, only YAML front matter (the block between the leading "
                "--- lines): add the article's text below the front matter",
            )
    else:
        text = decoded

    title, byline = describe(text, markdown=markdown)
    rel = "/".join(_relative_parts(path, root))
    return Document(
        doc_id=f"{id_prefix}{rel}",
        title=meta_title or title,
        # The article's own byline line first: it is what a "who wrote" quote starts with, verbatim
        # (trafilatura's author field rewrites "By Tom Becker, Coastal Gazette staff" with a ";").
        byline=byline or meta_byline,
        text=text,
        content_hash=content_hash(text),
        source_path=str(path.resolve()),
    )


_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def _decode(path: Path, raw: bytes, *, html: bool) -> str:
    """The file's text: UTF-8; UTF-16 with a byte-order mark (Notepad's "Unicode", PowerShell 5's
    ``>``); an HTML page in the encoding its ``<meta charset>`` declares. Anything else is refused,
    naming the encoding problem and the fix. Offsets point into this text, so quotes stay verbatim."""
    if raw.startswith(_UTF16_BOMS):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise UnreadableFileError(
                path, f"starts as UTF-16 but is not valid UTF-16 (byte {exc.start}): re-save the file as UTF-8"
            ) from exc
    if b"\x00" in raw:
        head = raw[:400]
        if len(head) >= 8 and (head[1::2].count(0) > len(head) * 0.4 or head[0::2].count(0) > len(head) * 0.4):
            reason = "looks like UTF-16 text without a byte-order mark: re-save the file as UTF-8"
        else:
            reason = "looks like a binary file (it holds NUL bytes): save the article as text"
        raise UnreadableFileError(path, reason)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        declared = _META_CHARSET.search(raw[:4096]) if html else None
        if declared is not None:
            name = declared.group(1).decode("ascii")
            try:
                if codecs.lookup(name).name != "utf-8":
                    return raw.decode(name)
            except LookupError:
                raise UnreadableFileError(
                    path, f"declares the unknown encoding {name!r} and is not valid UTF-8: re-save it as UTF-8"
                ) from exc
            except UnicodeDecodeError as bad:
                raise UnreadableFileError(
                    path, f"is not valid {name} as its <meta charset> declares (byte {bad.start}): re-save it as UTF-8"
                ) from bad
        raise UnreadableFileError(
            path, f"is not valid UTF-8 (byte {exc.start}): re-save the file as UTF-8"
        ) from exc


# -- HTML ---------------------------------------------------------------------------

# One token per comment opening or tag; a tag's attribute part may hold quoted '<' or '>'.
# No nested quantifiers, so matching stays linear in the page's length.
_HTML_TOKEN = re.compile(r"""<!--|<(/?)([a-z][a-z0-9:_-]*)((?:"[^"]*"|'[^']*'|[^<>"'])*)""")
_QUOTED = re.compile(r""""[^"]*"|'[^']*'""")
_ATTRIBUTE = re.compile(r"""[^\s"'=/<>]+(?:\s*=\s*[^\s>]*)?""")
# Elements that never hold children, or whose end tag is usually left out: they do not nest.
_NO_NESTING = frozenset(
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
        "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "thead", "tbody",
        "tfoot", "colgroup", "rb", "rt", "rtc", "rp",
    }
)  # fmt: skip
_RAW_TEXT = frozenset({"script", "style", "textarea", "title", "xmp", "noscript", "template"})


def html_structure_problem(html: str) -> str | None:
    """Why ``html`` is refused before parsing (too many tags, attributes or levels), or None.

    A single linear scan: tags are counted, the attributes of long tags
    counted, and the nesting depth estimated from start and end tags.
    """
    low = html.lower()
    tags = depth = deepest = 0
    pos = 0
    while (match := _HTML_TOKEN.search(low, pos)) is not None:
        pos = match.end()
        if match.group(0) == "<!--":
            end = low.find("-->", pos)
            pos = len(low) if end < 0 else end + 3
            continue
        tags += 1
        if tags > MAX_HTML_TAGS:
            return (
                f"HTML has more than {MAX_HTML_TAGS:,} tags (the limit for one article page): "
                "refused before parsing; save the article's text as .txt instead"
            )
        closing, name, attributes = match.groups()
        # Every attribute takes at least two characters, so short tags need no count.
        if len(attributes) > 2 * MAX_HTML_ATTRIBUTES:
            count = len(_ATTRIBUTE.findall(_QUOTED.sub('""', attributes)))
            if count > MAX_HTML_ATTRIBUTES:
                return (
                    f"HTML tag <{name}> has {count:,} attributes, over the limit of "
                    f"{MAX_HTML_ATTRIBUTES} per tag: refused before parsing; save the article's "
                    "text as .txt instead"
                )
        if name in _NO_NESTING:
            continue
        if closing:
            depth = max(0, depth - 1)
        elif name in _RAW_TEXT:
            end = low.find(f"</{name}", pos)
            pos = len(low) if end < 0 else end
        elif not attributes.rstrip().endswith("/"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_HTML_DEPTH:
                    return (
                        f"HTML nests more than {MAX_HTML_DEPTH} levels deep (the limit for one "
                        "article page): refused before parsing; save the article's text as .txt instead"
                    )
    return None


HtmlResult = tuple[str, str | None, str | None]
_HTML_CACHE_ENTRIES = 2048
_HTML_CACHE_CHARS = 64 * 1024 * 1024
_html_cache: OrderedDict[str, HtmlResult | str] = OrderedDict()
_html_cache_chars = 0
_html_cache_lock = threading.Lock()


def clear_html_cache() -> None:
    """Forget every parsed page (tests; hosts that want the memory back)."""
    global _html_cache_chars
    with _html_cache_lock:
        _html_cache.clear()
        _html_cache_chars = 0


def html_article(raw: bytes, html: str) -> HtmlResult | str:
    """Text, title and byline of an HTML page, or the reason it was refused.

    Parsed at most once per content (keyed by the bytes' SHA-256) while the
    result stays in a bounded in-process cache, so an upload that is checked
    and then synced, or a re-sync of unchanged files, does not parse again.
    """
    global _html_cache_chars
    key = hashlib.sha256(raw).hexdigest()
    with _html_cache_lock:
        if key in _html_cache:
            _html_cache.move_to_end(key)
            return _html_cache[key]
    html = _scripted_digits(html)
    result: HtmlResult | str = html_structure_problem(html) or _extract_html(html)
    size = len(result) if isinstance(result, str) else len(result[0])
    with _html_cache_lock:
        if key not in _html_cache and size <= _HTML_CACHE_CHARS // 8:
            _html_cache[key] = result
            _html_cache_chars += size
            while len(_html_cache) > _HTML_CACHE_ENTRIES or _html_cache_chars > _HTML_CACHE_CHARS:
                _, old = _html_cache.popitem(last=False)
                _html_cache_chars -= len(old) if isinstance(old, str) else len(old[0])
    return result


# "10<sup>3</sup> tonnes" reads "103 tonnes" as text, "m<sup>2</sup>" "m2", and a note number glued to
# a full stop ("…at dawn.<sup>2</sup> The…") hides the sentence's end: digits set as a superscript or
# subscript become the Unicode characters a reader sees ("10³", "m²", "CO₂", "dawn.²"). A footnote
# link ("<sup><a href="#n1">[1]</a></sup>") keeps its "[1]", which the sentence splitter reads as a note.
_SCRIPTED = re.compile(r"<(sup|sub)\b[^>]*>\s*([0-9+\-−=()]{1,8})\s*</\1\s*>", re.IGNORECASE)
_SUPERSCRIPT = str.maketrans("0123456789+-−=()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾")
_SUBSCRIPT = str.maketrans("0123456789+-−=()", "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎")


def _scripted_digits(html: str) -> str:
    return _SCRIPTED.sub(
        lambda m: m.group(2).translate(_SUPERSCRIPT if m.group(1).lower() == "sup" else _SUBSCRIPT), html
    )


NO_VISIBLE_TEXT = (
    "holds no visible article text: everything on the page is markup, scripts or styles (perhaps "
    "it builds its text with JavaScript); save the article's text as .txt instead"
)
# Below this much visible text a page is kept whole: trafilatura's boilerplate detection needs
# more text than that to be reliable (its own MIN_EXTRACTED_SIZE is 250), and it drops headings
# and short pages outright, while such a page is mostly its article anyway.
SHORT_PAGE_CHARS = 250


def _extract_html(html: str) -> HtmlResult | str:
    """Main text of an HTML article, with its title and author when marked up; or why it has none.

    Each block (paragraph, heading, list item, table row) is a line of its own, paragraphs are
    apart by a blank line, and a row's cells are joined by `` | ``.
    """
    import trafilatura  # imported lazily: it is slow to import and only HTML needs it
    from trafilatura.settings import Document as Extracted

    root = _parse_page(html)
    visible = _visible_text(root)
    if not visible:
        return NO_VISIBLE_TEXT
    text = visible
    if len(visible) >= SHORT_PAGE_CHARS:
        # Recall over precision: tables, and text in divs after the paragraphs, are often the
        # answer; scripts, styles, comments, navigation and footers are still removed.
        found = trafilatura.bare_extraction(
            html,
            favor_recall=True,
            include_tables=True,
            include_comments=False,
            include_links=False,
            include_images=False,
            prune_xpath=_INVISIBLE_XPATH,
        )
        if isinstance(found, Extracted) and found.body is not None:
            extracted = _block_text(found.body, _EXTRACTED_BLOCKS)
            text = _with_lede(root, extracted) if extracted else visible
    meta = trafilatura.extract_metadata(html)
    title = _without_site_name(meta.title, text) if meta and meta.title else None
    author = _author_names(meta.author) if meta and meta.author else None
    return text, title, (f"By {author}" if author else None)


def _author_names(authors: str) -> str | None:
    """trafilatura's author field as a byline reads it: its ";" joins several authors ("Ana Ruiz; Tom
    Lee") and the parts of one byline ("Tom Becker; Coastal Gazette staff"), so a comma, which reads
    right for both, takes its place."""
    return ", ".join(n.strip() for n in authors.split(";") if n.strip()) or None


_TITLE_PARTS = re.compile(r"\s+(?:\||-|–|—|·|::|»)\s+")


def _without_site_name(title: str, text: str) -> str:
    """The page title less the site's name ("Dog rescued from ice | Velby Daily"), when the part
    left is the article's own headline (its first line); otherwise the title as it stands."""
    headline = " ".join(next((line for line in text.splitlines() if line.strip()), "").split()).casefold()
    for part in _TITLE_PARTS.split(title):
        if " ".join(part.split()).casefold() == headline and part.strip() != title.strip():
            return part.strip()
    return title


# How each element breaks the text: a paragraph of its own, a line of its own, a table cell
# (joined to its row's other cells), or left out with everything in it. Other elements are inline.
_BlockKind = Literal["paragraph", "line", "cell", "skip"]
_HTML_BLOCKS: dict[str, _BlockKind] = {
    **dict.fromkeys(
        ["p", "h1", "h2", "h3", "h4", "h5", "h6", "div", "article", "section", "main", "header",
         "hgroup", "blockquote", "pre", "table", "ul", "ol", "dl", "menu", "figure", "address",
         "details", "fieldset", "form", "center", "hr"],
        "paragraph",
    ),
    **dict.fromkeys(["li", "dt", "dd", "tr", "br", "caption", "figcaption", "summary", "legend"], "line"),
    **dict.fromkeys(["td", "th"], "cell"),
    # Never visible, or not the article: code, embedded objects, form controls, site chrome.
    **dict.fromkeys(
        ["head", "title", "script", "style", "noscript", "template", "iframe", "object", "embed",
         "svg", "math", "canvas", "audio", "video", "button", "select", "textarea", "input", "nav",
         "footer", "aside"],
        "skip",
    ),
}  # fmt: skip
# trafilatura's own element names for what it extracted (its XML output format).
_EXTRACTED_BLOCKS: dict[str, _BlockKind] = {
    **dict.fromkeys(["p", "head", "list", "table", "quote", "code", "div", "main"], "paragraph"),
    **dict.fromkeys(["item", "row", "lb"], "line"),
    "cell": "cell",
    "graphic": "skip",
}
_DISPLAY_NONE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
# What trafilatura must drop too: it keeps <template> text, and text a browser hides.
_INVISIBLE_XPATH = [
    "//template",
    "//noscript",
    "//*[@hidden]",
    "//*[translate(@aria-hidden, 'TRUE', 'true')='true']",
    "//*[contains(translate(@style, 'DISPLAYNOE ', 'displaynoe'), 'display:none')]",
    "//*[contains(translate(@style, 'VISIBLITYHDN ', 'visiblityhdn'), 'visibility:hidden')]",
    "//dialog[not(@open)]",
]


def _parse_page(html: str) -> Any:
    """The page's lxml document root, or None when it holds nothing to parse."""
    import lxml.html
    from lxml import etree

    # From bytes with the encoding named, so an XML declaration in the page cannot refuse the text.
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        return lxml.html.document_fromstring(html.encode("utf-8"), parser=parser)
    except (etree.ParserError, ValueError):  # nothing but comments or whitespace
        return None


def _visible_text(root: Any) -> str:
    """All text a browser would show in the page's body, less site chrome; "" if none."""
    body = root.find("body") if root is not None else None
    return _block_text(body, _HTML_BLOCKS) if body is not None else ""


# At most this many lines of an article's opening are put back before the extracted text.
_MAX_LEDE_LINES = 8


def _with_lede(root: Any, text: str) -> str:
    """``text`` with the opening of the page's one ``<article>`` (or ``<main>``) put back in front.

    trafilatura drops an article's own ``<header>`` (its headline, the standfirst under it, the
    byline), and often text before the first body paragraph, yet the standfirst is where news puts
    its key fact. The lines of the article element that come before the first extracted line are
    taken back, a few at most, in order; a line the extraction already holds is not repeated.
    """
    containers = root.xpath("//article") or root.xpath("//main")
    if len(containers) != 1:
        return text
    lines = [line for line in _block_text(containers[0], _HTML_BLOCKS).splitlines() if line.strip()]
    kept = [line for line in text.splitlines() if line.strip()]
    if not kept or kept[0] not in lines:
        return text
    have = set(kept)
    lede = [line for line in lines[: lines.index(kept[0])] if line not in have][:_MAX_LEDE_LINES]
    return "\n\n".join([*lede, text]) if lede else text


class _TextBuilder:
    """Plain text built from a tree's text runs: whitespace collapsed, blocks broken into lines."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.breaks = 0  # newlines due before the next text
        self.cell_gap = False  # a cell separator is due before the next text
        self.space = False  # a space is due before the next text

    def block(self, newlines: int) -> None:
        self.breaks = max(self.breaks, newlines)
        self.cell_gap = self.space = False

    def soft(self) -> None:
        """A block inside a table cell: the cell stays on its row's line, so only a space."""
        if not self.breaks and not self.cell_gap:
            self.space = bool(self.parts)

    def cell(self) -> None:
        # Only between cells that hold text: a row's first cell, or one after empty cells, needs none.
        if self.parts and not self.breaks:
            self.cell_gap = True

    def add(self, run: str | None, *, pre: bool = False) -> None:
        if not run:
            return
        if pre:  # preformatted text keeps its lines
            for i, line in enumerate(run.split("\n")):
                if i:
                    self.block(1)
                self.add(line)
            return
        words = run.replace("\u00ad", "").split()  # a soft hyphen shows only where a line breaks
        if not words:
            self.space = self.space or bool(self.parts)
            return
        if self.parts:
            if self.breaks:
                self.parts.append("\n" * self.breaks)
            elif self.cell_gap:
                self.parts.append(" | ")
            elif self.space or run[0].isspace():
                self.parts.append(" ")
        self.parts.append(" ".join(words))
        self.breaks = 0
        self.cell_gap = False
        self.space = run[-1].isspace()

    def text(self) -> str:
        return "".join(self.parts)


def _hidden(element: Any) -> bool:
    """Not shown: ``hidden``, ``aria-hidden="true"`` (any case), an inline ``display: none`` or
    ``visibility: hidden``, a ``<dialog>`` that is not open."""
    return (
        element.get("hidden") is not None
        or (element.get("aria-hidden") or "").strip().lower() == "true"
        or bool(_DISPLAY_NONE.search(element.get("style") or ""))
        or (isinstance(element.tag, str) and element.tag.lower() == "dialog" and element.get("open") is None)
    )


def _block_text(root: Any, kinds: dict[str, _BlockKind]) -> str:
    """The text under ``root`` (an lxml element), a line per block and a blank line per paragraph.

    Walked with an explicit stack, not recursion, so a deeply nested page cannot overflow it.
    """
    out = _TextBuilder()
    pre = 0  # open <pre> elements
    cells = 0  # open table cells: a <p> or <div> inside one must not break its row's line
    stack: list[tuple[Any, bool]] = [(root, False)]

    def brk(kind: _BlockKind | None) -> None:
        """A block's edge (its start or its end): a line or paragraph break, or inside a cell a space."""
        if kind in ("paragraph", "line"):
            if cells:
                out.soft()
            else:
                out.block(2 if kind == "paragraph" else 1)

    while stack:
        node, closing = stack.pop()
        tag = node.tag if isinstance(node.tag, str) else None  # None: a comment or instruction
        kind = kinds.get(tag.lower()) if tag else "skip"
        if closing:
            if kind == "cell":
                cells -= 1
            brk(kind)
            if tag is not None and tag.lower() == "pre":
                pre -= 1
        elif kind == "skip" or _hidden(node):
            pass  # nothing inside is shown; its tail is, below
        else:
            brk(kind)
            if kind == "cell":
                if not cells:
                    out.cell()
                cells += 1
            if tag is not None and tag.lower() == "pre":
                pre += 1
            out.add(node.text, pre=pre > 0)
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(node))
            continue
        if node is not root:
            out.add(node.tail, pre=pre > 0)
    return out.text().strip()


# -- Markdown front matter -------------------------------------------------------------

# A YAML line: a comment, an indented continuation, a list item or a ``key:``; a TOML line (Hugo's
# ``+++`` blocks): a comment, a continuation, a ``[table]`` or a ``key =``. Prose between two
# horizontal rules at the top of a file is none of these, so it is never taken for front matter.
_YAML_LINE = re.compile(r"^(?:#|\s|-(?:\s|$)|[^\s:#][^:]*:(?:\s|$))")
_YAML_FIELD = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s+(\S.*)$")
_TOML_LINE = re.compile(r"^(?:#|\s|\[|[\w.\"'-]+\s*=)")
_TOML_FIELD = re.compile(r"^([A-Za-z_][\w-]*)\s*=\s*(\S.*)$")
_KEY = re.compile(r"^([^\s:#=][^:=]*?)\s*[:=]")
_YAML_COMMENT = re.compile(r"\s+#.*$")
_YAML_QUOTED = re.compile(r"""^(?:"([^"\\]*)"|'((?:[^']|'')*)')\s*(?:#.*)?$""")
# Keys that only front matter has: one of them makes a block front matter whatever else it holds.
_FRONT_MATTER_KEYS = frozenset(
    [
        "title", "subtitle", "author", "authors", "byline", "date", "published", "updated", "lastmod",
        "modified", "layout", "tags", "categories", "category", "draft", "slug", "permalink", "description",
        "summary", "excerpt", "keywords", "lang", "language", "image", "cover", "series", "weight", "aliases",
        "source", "canonical",
    ]
)  # fmt: skip
_KEY_NAME = re.compile(r"^[a-z_][a-z0-9_-]*$")
_PROSE = re.compile(r"(?:\S+\s+){7,}\S*[.!?][\"'”’)]*$")
_FENCES = {"---": ("yaml", ("---", "...")), "+++": ("toml", ("+++",))}


def front_matter(text: str) -> tuple[int, dict[str, str]] | None:
    """Where a Markdown article starts after its leading front matter, and its scalar fields.

    Front matter is a ``---`` line (YAML, closed by ``---`` or ``...``) or a ``+++`` line (TOML,
    closed by ``+++``) at the very start, after a byte-order mark if any. None when there is none,
    when it is never closed or holds lines that are neither, or when it does not look like front
    matter (no key front matter uses, and a key that is not a lowercase name or a value that reads as
    a sentence: "Update: the mayor has resigned, her office confirmed on Tuesday evening."): then it is
    article text, not a block that swallows the article.
    """
    begin = 1 if text.startswith("\ufeff") else 0
    first = line_end(text, begin)
    pos = next_line_start(text, first)
    fence = _FENCES.get(text[begin:first].rstrip()) if pos > first else None
    if fence is None:
        return None
    syntax, closers = fence
    line_ok, field_re = (_YAML_LINE, _YAML_FIELD) if syntax == "yaml" else (_TOML_LINE, _TOML_FIELD)
    fields: dict[str, str] = {}
    keys: list[str] = []
    prose = False
    while pos < len(text):
        end = line_end(text, pos)
        after = next_line_start(text, end)
        line = text[pos:end].rstrip()
        if line in closers:
            named = any(k.lower() in _FRONT_MATTER_KEYS for k in keys)
            if not named and (prose or not all(_KEY_NAME.match(k) for k in keys)):
                return None
            return after, fields
        if line and not line_ok.match(line):
            return None
        if line and not line[0].isspace() and (key := _KEY.match(line)) is not None:
            keys.append(key.group(1).strip("\"'"))
            prose = prose or bool(_PROSE.search(line[key.end() :].strip()))
        field = field_re.match(line)
        if field is not None and (value := _yaml_scalar(field.group(2))):
            fields.setdefault(field.group(1).lower(), value)
        pos = after
    return None


def _yaml_scalar(raw: str) -> str | None:
    """A one-line YAML value as text (quotes and a trailing comment removed); None if not a plain one."""
    if (quoted := _YAML_QUOTED.match(raw)) is not None:
        double, single = quoted.groups()
        value = double if double is not None else single.replace("''", "'")
    elif raw[0] in "\"'[{|>&*!%@`":  # a list, a mapping, a block scalar, an alias: not a title
        return None
    else:
        value = _YAML_COMMENT.sub("", raw)
    value = " ".join(value.split())
    return value if value and value.lower() not in {"null", "~"} else None


_RULE = re.compile(r"^(?:[-+*_=~]\s*){3,}$")


def describe(text: str, *, markdown: bool = False) -> tuple[str, str | None]:
    """Title and byline of an article, taken from its own lines (never invented).

    The title is the first non-empty line unless that is a byline or too long
    to be a headline; then a short title is cut from the first sentence.
    """
    # A byte-order mark is invisible, and a line that is only a rule ("---", "+++", "***") is an
    # ornament: neither may become the title.
    lines = [
        line for raw in text.splitlines() if (line := raw.replace("\ufeff", "").strip()) and not _RULE.match(line)
    ]
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
    folder: Path,
    *,
    max_bytes: int = DEFAULT_MAX_FILE_BYTES,
    id_prefix: str = "",
    max_files: int | None = None,
    progress: bool = False,
) -> tuple[list[Document], list[FileProblem]]:
    """Every readable article under ``folder`` plus one problem per file (or folder) skipped."""
    scan = scan_folder(folder, max_files=max_files, progress=progress)
    documents: list[Document] = []
    problems = [FileProblem(f"{id_prefix}{p.path}", p.reason, p.kind) for p in scan.problems]
    for path in tqdm(scan.paths, desc="Reading", unit="file", disable=not progress, leave=False):
        try:
            documents.append(load_document(path, folder, max_bytes=max_bytes, id_prefix=id_prefix))
        except UnreadableFileError as exc:
            rel = path.relative_to(folder).as_posix()
            problems.append(FileProblem(f"{id_prefix}{rel}", exc.reason))
    return documents, problems

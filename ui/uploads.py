"""Adding uploaded articles: safe names, checks before anything is kept, never overwriting a file.

An upload is copied to a hidden staging file in the upload folder, checked (type, size, readable
text), then linked under its name; when that name is taken, it is stored as ``name-2.txt``,
``name-3.txt``, … and the status message says so. An upload identical to an article already
stored, under any name, is not stored twice. Gradio's cached copy of each upload is deleted once
it has been handled.
"""

from __future__ import annotations

import contextlib
import filecmp
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from qa.render import escape_markdown
from vectorstore import SUPPORTED_SUFFIXES, VectorStoreError
from vectorstore.index import plural
from vectorstore.loading import load_document

from .errors import UIError

MAX_UPLOAD = "5mb"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_SAME_NAME = 1000  # name-2 … name-1000; beyond that the upload is refused
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")
_PLACEHOLDER = re.compile(r"tmp[a-z0-9_]{8}")


@dataclass(frozen=True)
class Stored:
    """Where an accepted upload went: ``path``; ``requested`` is the (safe) name it came with."""

    path: Path
    requested: str
    duplicate: bool = False  # the same bytes were already stored under that name: nothing was added
    given: str = ""  # the file's own base name, before unsafe characters and leading dots were dropped

    @property
    def renamed(self) -> bool:
        return not self.duplicate and self.path.name != self.requested

    @property
    def sanitised(self) -> bool:
        """The name was changed to be safe (characters, a leading dot), not because it was taken."""
        return bool(self.given) and self.given != self.requested


def _base_name(original: str) -> str:
    """The last part of a path, by either separator (a browser may send a Windows path)."""
    return re.split(r"[/\\]", original)[-1]


def safe_upload_name(original: str) -> str:
    """The base name only, in safe characters: "../../x.txt" is stored as "x.txt", inside the folder."""
    name = _SAFE_NAME.sub("_", _base_name(original)).strip(" .")
    return name if name and not name.startswith(".") else "upload.txt"


def default_uploads() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("corpus-qa", appauthor=False)) / "uploads"


def _candidates(name: str) -> Iterable[str]:
    stem, suffix = Path(name).stem, Path(name).suffix
    yield name
    for n in range(2, MAX_SAME_NAME + 1):
        yield f"{stem}-{n}{suffix}"


def _same_text_as(staging: Path, folder: Path) -> Path | None:
    """An article in ``folder`` with the very bytes of ``staging``, under whatever name."""
    size = staging.stat().st_size
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith(".") or Path(entry.name).suffix.lower() not in SUPPORTED_SUFFIXES:
                continue
            with contextlib.suppress(OSError):
                same_size = entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_size == size
                if same_size and filecmp.cmp(staging, entry.path, shallow=False):
                    return Path(entry.path)
    return None


def _store_without_overwriting(staging: Path, folder: Path, name: str) -> Stored:
    """Link ``staging`` under the first free name; ``os.link`` fails rather than replace a file.
    The same text already stored, under any name, is not stored again."""
    same = _same_text_as(staging, folder)
    if same is not None:
        staging.unlink(missing_ok=True)
        return Stored(same, name, duplicate=True)
    for candidate in _candidates(name):
        target = folder / candidate
        try:
            os.link(staging, target)  # atomic and never overwrites; a half-copied file is never seen
        except FileExistsError:
            continue
        staging.unlink(missing_ok=True)
        return Stored(target, name)
    staging.unlink(missing_ok=True)
    raise UIError(f"{name}: too many articles with this name already; rename the file and upload it again.")


def accept_upload(source: Path, upload_dir: Path, original_name: str | None = None) -> Stored:
    """Check one upload and keep it in ``upload_dir`` under a name no other article has."""
    given = _base_name(original_name or source.name)
    name = safe_upload_name(given)
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UIError(f"{name}: unsupported type; upload .txt, .md or .html files.")
    try:
        size = source.stat().st_size
    except OSError:
        raise UIError(
            f"{name}: the upload is gone (already added, or expired); choose the file again."
        ) from None
    if size > MAX_UPLOAD_BYTES:
        raise UIError(f"{name}: over the {MAX_UPLOAD} upload limit.")
    upload_dir.mkdir(parents=True, exist_ok=True)
    staging = upload_dir / f".incoming-{os.getpid()}-{threading.get_ident()}{suffix}"
    shutil.copyfile(source, staging)
    try:
        load_document(staging, upload_dir, max_bytes=MAX_UPLOAD_BYTES)
    except VectorStoreError as exc:
        staging.unlink(missing_ok=True)
        reason = getattr(exc, "reason", str(exc))
        raise UIError(f"{name}: {reason}") from None
    return replace(_store_without_overwriting(staging, upload_dir, name), given=given)


def _cache_root() -> Path:
    from gradio.utils import get_upload_folder

    return Path(get_upload_folder()).resolve()


def discard_cached(path: Path, tracked: Iterable[set[str]] = ()) -> None:
    """Delete Gradio's cached copy of an upload (and its folder when empty); nothing outside the cache."""
    try:
        resolved = path.resolve()
        root = _cache_root()
    except (OSError, ImportError):
        return
    if not resolved.is_relative_to(root) or resolved == root:
        return
    resolved.unlink(missing_ok=True)
    for known in tracked:  # Gradio's own sweep never forgets paths that are already gone
        known.discard(str(path))
        known.discard(str(resolved))
    parent = resolved.parent
    if parent != root and parent.is_relative_to(root):
        with contextlib.suppress(OSError):  # not empty: the cache sweep takes the rest
            parent.rmdir()


def sweep_placeholders() -> None:
    """Delete the empty ``tmpXXXXXXXX`` files gr.File's preprocessing leaves in the cache root (one per file).

    Gradio 6 creates them with ``NamedTemporaryFile(delete=False)`` and never uses them; nothing in
    this app writes any other file there, and only empty ones with that name pattern are touched.
    """
    try:
        root = _cache_root()
        entries = list(os.scandir(root))
    except (OSError, ImportError):
        return
    for entry in entries:
        if _PLACEHOLDER.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
            with contextlib.suppress(OSError):
                if entry.stat(follow_symlinks=False).st_size == 0:
                    os.unlink(entry.path)


#: Sets of cached paths Gradio keeps (``Blocks.upload_file_set``), registered by ``ui.launch``.
CACHE_SETS: list[set[str]] = []


def add_uploads(files: list[Any] | None, upload_dir: Path, sync: Callable[[], Any]) -> str:
    """Accept each file, then sync once; returns the status message (Markdown)."""
    if not files:
        return "Choose one or more .txt, .md or .html files first."
    messages: list[str] = []
    stored: list[Stored] = []
    for item in files:
        source = Path(getattr(item, "name", None) or str(item))
        original = getattr(item, "orig_name", None)
        try:
            stored.append(accept_upload(source, upload_dir, original))
        except UIError as exc:
            messages.append(f"✗ {exc}")
        finally:
            discard_cached(source, CACHE_SETS)
    sweep_placeholders()
    for s in stored:
        if s.duplicate:
            messages.append(f"= {s.requested}: already in the corpus with the same text as {s.path.name}.")
            continue
        why = []
        if s.sanitised:
            why.append(
                "stored names keep to letters, digits, spaces, '-', '_' and '.', and never start "
                "with a dot (a hidden file is never read)"
            )
        if s.renamed:
            why.append(f"an article named {s.requested} already exists and was kept")
        if why:
            given = escape_markdown(s.given or s.requested)
            messages.append(f"↪ {given} was stored as **{s.path.name}**: {'; '.join(why)}.")
    added = [s for s in stored if not s.duplicate]
    if added:
        report = sync()
        messages.insert(0, f"✓ {plural(len(added), 'file')} added: {report.summary()}.")
        names = {s.path.name for s in added}
        messages.extend(f"✗ {p}" for p in report.problems if p.path.rsplit("/", 1)[-1] in names)
    return "\n\n".join(messages)

"""The embedded store under stress: read-only, corrupt, partly damaged.

What is really damaged is repaired in the same run; what is merely not
writable is left alone with an error naming the fix; one corpus's damage
never costs another corpus its collections.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.fakes import HashingEmbedder
from vectorstore import (
    ChromaStore,
    CorpusIndex,
    Source,
    StoreDamagedError,
    StoreReadOnlyError,
    StoreSettings,
    StoreUnavailableError,
    VectorStoreError,
    close_client,
    open_store,
)
from vectorstore.config import sqlite_damage

ARTICLE = "Harbour news {n}\n\nThe harbour of {n} reopened on Monday after the storm. Ferries sail again.\n"
NO_PRIVILEGES = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner,-linux_immutable"]


def corpus_of(root: Path, name: str) -> Path:
    folder = root / name
    folder.mkdir()
    for i in range(3):
        (folder / f"{name}{i}.txt").write_text(ARTICLE.format(n=f"{name}-{i}"), encoding="utf-8")
    return folder


def ingest(corpus: Path, store: Path, collection: str, embedder: HashingEmbedder) -> CorpusIndex:
    index = CorpusIndex(
        [Source(corpus)], open_store(StoreSettings(store_dir=store), collection, embedder), embedder
    )
    index.sync()
    return index


@pytest.fixture
def two_corpora(tmp_path: Path, store_dir: Path) -> tuple[Path, Path, int]:
    """A store holding two corpora's collections, closed; returns both folders and a's chunk count."""
    embedder = HashingEmbedder()
    a = ingest(corpus_of(tmp_path, "a"), store_dir, "corpus-a", embedder)
    ingest(corpus_of(tmp_path, "b"), store_dir, "corpus-b", embedder)
    count = a.store.count()
    close_client(path=store_dir)
    return tmp_path / "a", tmp_path / "b", count


def set_aside(store: Path) -> list[str]:
    return sorted(p.name for p in store.parent.iterdir() if ".damaged-" in p.name)


def reopen(store: Path, collection: str) -> ChromaStore:
    return open_store(StoreSettings(store_dir=store), collection, HashingEmbedder())


@contextmanager
def immutable(path: Path) -> Iterator[None]:
    """``chattr +i``: not writable even by root (tests run as root, where chmod binds nobody)."""
    if shutil.which("chattr") is None:
        pytest.skip("chattr is not installed")
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"chattr +i does not work here: {done.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def without_privileges(script: str) -> subprocess.CompletedProcess[str]:
    """Run ``script`` as root without the capabilities that bypass file permissions."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to drop privileges")
    code = f"import sys\nsys.path.insert(0, {str(REPO)!r})\n" + textwrap.dedent(script)
    return subprocess.run(
        [*NO_PRIVILEGES, sys.executable, "-c", code], capture_output=True, text=True, timeout=180
    )


OPEN_AND_REPORT = """
import json
from tests.fakes import HashingEmbedder
from vectorstore import StoreSettings, VectorStoreError, open_store
try:
    open_store(StoreSettings(store_dir={store!r}), "corpus-a", HashingEmbedder())
    print(json.dumps(["opened", ""]))
except VectorStoreError as exc:
    print(json.dumps([type(exc).__name__, str(exc)]))
"""


# -- 6. a store that cannot be written ---------------------------------------------------


def test_read_only_store_folder_says_what_to_do(two_corpora: tuple[Path, Path, int], store_dir: Path) -> None:
    before = sorted(p.name for p in store_dir.iterdir())
    store_dir.chmod(0o555)
    try:
        done = without_privileges(OPEN_AND_REPORT.format(store=str(store_dir)))
    finally:
        store_dir.chmod(0o755)
    assert done.returncode == 0, done.stderr  # an error the CLI can show, not a traceback
    kind, message = json.loads(done.stdout)
    assert kind == "StoreReadOnlyError"
    assert str(store_dir) in message and "not writable" in message
    assert "--store" in message and "CORPUS_QA_STORE_DIR" in message
    assert sorted(p.name for p in store_dir.iterdir()) == before and set_aside(store_dir) == []


def test_read_only_store_folder_in_process(two_corpora: tuple[Path, Path, int], store_dir: Path) -> None:
    with immutable(store_dir), pytest.raises(StoreReadOnlyError, match="CORPUS_QA_STORE_DIR") as info:
        reopen(store_dir, "corpus-a")
    assert str(store_dir) in str(info.value)
    assert set_aside(store_dir) == []
    assert reopen(store_dir, "corpus-a").count() == two_corpora[2]  # and it opens once writable again


def test_store_folder_that_cannot_be_created(tmp_path: Path) -> None:
    parent = tmp_path / "locked"
    parent.mkdir()
    with immutable(parent), pytest.raises(StoreReadOnlyError, match="cannot be created") as info:
        reopen(parent / "store", "corpus-a")
    assert "--store" in str(info.value)


@pytest.mark.parametrize("below", ["", "store"], ids=["the file itself", "a folder under the file"])
def test_store_path_that_is_a_file(tmp_path: Path, below: str) -> None:
    target = tmp_path / "plain-file"
    target.write_text("not a folder", encoding="utf-8")
    with pytest.raises(StoreUnavailableError, match="is a file") as info:
        reopen(target / below if below else target, "corpus-a")
    assert "--store" in str(info.value)
    assert target.read_text(encoding="utf-8") == "not a folder"


# -- 8. a healthy database is never moved aside ------------------------------------------


def test_read_only_database_is_not_treated_as_damaged(
    two_corpora: tuple[Path, Path, int], store_dir: Path
) -> None:
    database = store_dir / "chroma.sqlite3"
    original = database.read_bytes()
    with immutable(database), pytest.raises(StoreReadOnlyError, match="read-only") as info:
        reopen(store_dir, "corpus-a")
    assert str(database) in str(info.value) and "--store" in str(info.value)
    assert set_aside(store_dir) == [] and database.read_bytes() == original
    assert reopen(store_dir, "corpus-b").count() > 0  # every corpus still has its collections


def test_read_only_database_without_root_privileges(
    two_corpora: tuple[Path, Path, int], store_dir: Path
) -> None:
    database = store_dir / "chroma.sqlite3"
    database.chmod(0o444)
    try:
        done = without_privileges(OPEN_AND_REPORT.format(store=str(store_dir)))
    finally:
        database.chmod(0o644)
    assert done.returncode == 0, done.stderr
    kind, message = json.loads(done.stdout)
    assert kind == "StoreReadOnlyError" and "read-only" in message
    assert set_aside(store_dir) == []
    assert reopen(store_dir, "corpus-a").count() == two_corpora[2]


def test_chroma_failing_on_a_sound_database_moves_nothing(
    two_corpora: tuple[Path, Path, int], store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import chromadb

    def failing(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk I/O error")

    monkeypatch.setattr(chromadb, "PersistentClient", failing)
    with pytest.raises(StoreUnavailableError, match="integrity check") as info:
        reopen(store_dir, "corpus-a")
    assert "disk I/O error" in str(info.value) and "--store" in str(info.value)
    assert set_aside(store_dir) == []
    monkeypatch.undo()
    assert reopen(store_dir, "corpus-a").count() == two_corpora[2]


def test_sqlite_damage_tells_corrupt_from_unreadable(tmp_path: Path) -> None:
    good = tmp_path / "good.sqlite3"
    with sqlite3.connect(good) as connection:
        connection.execute("create table t (x)")
    assert sqlite_damage(good) is None
    assert sqlite_damage(tmp_path / "missing.sqlite3") is None
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"not a database at all " * 200)
    assert "not a database" in str(sqlite_damage(garbage))


# -- 7. a corrupt database is rebuilt in the same run --------------------------------------


def corrupt(database: Path, how: str) -> None:
    data = database.read_bytes()
    if how == "garbage":
        database.write_bytes(b"this is not a database " * 1000)
    elif how == "truncated":
        database.write_bytes(data[: len(data) // 3])
    else:  # pages in the middle overwritten
        database.write_bytes(data[:8192] + b"\xff" * 8192 + data[16384:])


@pytest.mark.parametrize("how", ["garbage", "truncated", "overwritten"])
def test_corrupt_database_is_set_aside_and_rebuilt_in_the_same_run(
    two_corpora: tuple[Path, Path, int], store_dir: Path, how: str, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus_a, _, count = two_corpora
    corrupt(store_dir / "chroma.sqlite3", how)
    embedder = HashingEmbedder()
    store = open_store(StoreSettings(store_dir=store_dir), "corpus-a", embedder)
    report = CorpusIndex([Source(corpus_a)], store, embedder).sync()
    assert len(report.added) == 3 and store.count() == count
    (aside,) = set_aside(store_dir)
    assert (store_dir.parent / aside / "chroma.sqlite3").exists()  # kept for inspection
    assert "damaged" in capsys.readouterr().err


def test_corrupt_database_that_cannot_be_moved_aside(
    two_corpora: tuple[Path, Path, int], tmp_path: Path
) -> None:
    store_dir = tmp_path / "store"
    corrupt(store_dir / "chroma.sqlite3", "garbage")
    with immutable(tmp_path), pytest.raises(StoreDamagedError, match="could not be moved aside") as info:
        reopen(store_dir, "corpus-a")
    assert "move it away yourself" in str(info.value) and "--store" in str(info.value)


# -- 8. one corpus's damage stays that corpus's ----------------------------------------------


def damage_collection(store: Path, collection: str, how: str) -> None:
    with sqlite3.connect(store / "chroma.sqlite3") as db:
        (cid,) = db.execute("select id from collections where name = ?", (collection,)).fetchone()
        if how == "segment":
            db.execute("delete from segments where collection = ? and scope = 'VECTOR'", (cid,))
        else:
            db.execute("update collections set config_json_str = '{not json' where id = ?", (cid,))


def test_one_corpus_with_damaged_collections_is_rebuilt_alone(
    two_corpora: tuple[Path, Path, int], store_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus_a, _, count = two_corpora
    b_count = reopen(store_dir, "corpus-b").count()
    close_client(path=store_dir)
    damage_collection(store_dir, "corpus-a", "segment")
    assert sqlite_damage(store_dir / "chroma.sqlite3") is None  # the file itself is sound

    embedder = HashingEmbedder()
    store = open_store(StoreSettings(store_dir=store_dir), "corpus-a", embedder)
    report = CorpusIndex([Source(corpus_a)], store, embedder).sync()
    assert len(report.added) == 3 and store.count() == count
    assert set_aside(store_dir) == []
    assert "other corpora in the store are untouched" in capsys.readouterr().err
    assert reopen(store_dir, "corpus-b").count() == b_count


def test_damaged_collections_that_cannot_be_dropped_leave_the_rest_alone(
    two_corpora: tuple[Path, Path, int], store_dir: Path
) -> None:
    damage_collection(store_dir, "corpus-a", "config")
    with pytest.raises(StoreDamagedError, match="could not be dropped") as info:
        reopen(store_dir, "corpus-a")
    assert "--store" in str(info.value) and "Other corpora" in str(info.value)
    assert set_aside(store_dir) == []
    assert reopen(store_dir, "corpus-b").count() > 0


def test_errors_are_vector_store_errors() -> None:
    for error in (StoreReadOnlyError, StoreDamagedError, StoreUnavailableError):
        assert issubclass(error, VectorStoreError)


# -- clients -------------------------------------------------------------------------


def test_closing_one_store_leaves_other_stores_open(tmp_path: Path) -> None:
    embedder = HashingEmbedder()
    first = ingest(corpus_of(tmp_path, "a"), tmp_path / "one", "corpus-a", embedder)
    second = ingest(corpus_of(tmp_path, "b"), tmp_path / "two", "corpus-b", embedder)
    first_count = first.store.count()
    try:
        close_client(path=tmp_path / "one")
        # Before: close_client cleared chromadb's system cache for every folder in the process.
        assert second.store.count() > 0
        assert second.store.query_chunks(embedder.encode(["harbour b-1"])[0], 1)
        assert reopen(tmp_path / "one", "corpus-a").count() == first_count
    finally:
        close_client(path=tmp_path / "one")
        close_client(path=tmp_path / "two")


def test_a_linked_lock_file_is_not_written_through(tmp_path: Path) -> None:
    """The lock file is truncated and written: through a link, that would clobber any file."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    store = tmp_path / "store"
    store.mkdir()
    (store / "corpus-qa.lock").symlink_to(victim)
    try:
        with pytest.raises(StoreUnavailableError, match="symbolic link") as info:
            reopen(store, "corpus-a")
        assert "--store" in str(info.value)
        assert victim.read_text(encoding="utf-8") == "precious"
    finally:
        close_client(path=store)

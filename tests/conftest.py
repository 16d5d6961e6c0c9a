"""Shared fixtures: fakes for fast tests, the real model once per session for the rest."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
# Per-revision indexes (by default beside an embedded store, or in the user cache folder for a
# server) go to the session's own folder, so tests never write into the user's cache.
os.environ["CORPUS_QA_INDEX_DIR"] = tempfile.mkdtemp(prefix="corpus-qa-test-indexes-")

from tests.fakes import FakeReader

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SEED_DEV = SHARED / "eval" / "seed-dev.json"
SQUAD = SHARED / "bench" / "squad2-dev"


NEWS = {
    "cuba.txt": (
        "Cuba seeks help from Russia\n"
        "By Jane Doe, Havana\n"
        "Cuba's Foreign Minister Bruno Rodriguez met Sergei Lavrov in Moscow on Thursday.\n"
        "Lavrov, the foreign minister of Russia, promised more oil deliveries to Havana.\n"
        "The Soviet Union gave Cuba an economic lifeline during the cold war.\n"
        "Trade between the two countries reached 450 million dollars in 2024.\n"
        "Short line.\n"
        "The talks lasted until late in the evening, officials said.\n"
    ),
    "moscow.txt": (
        "Diaz-Canel visits Moscow\n"
        "Cuban President Miguel Diaz-Canel arrived in Moscow on Wednesday for a state visit.\n"
        "He met President Vladimir Putin at the Kremlin to discuss energy and trade.\n"
        "Putin promised more oil deliveries to Havana, officials said.\n"
        "The visit ended with a joint statement on sanctions.\n"
    ),
}


@pytest.fixture
def news(tmp_path: Path) -> Path:
    """A corpus folder holding the two NEWS articles."""
    folder = tmp_path / "news"
    folder.mkdir()
    for name, text in NEWS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def fake_reader() -> FakeReader:
    """Two small news articles behind an in-memory reader: no model, no Chroma."""
    return FakeReader(NEWS)


@pytest.fixture
def store_dir(tmp_path: Path) -> Iterator[Path]:
    """A fresh embedded Chroma folder; its client and lock are released afterwards."""
    from vectorstore import close_client

    folder = tmp_path / "store"
    yield folder
    close_client(path=folder)


@pytest.fixture(scope="session")
def real_embedder():  # type: ignore[no-untyped-def]
    """The bundled all-MiniLM-L6-v2 on the default (ONNX) backend, loaded once per session."""
    from vectorstore import default_embedder

    return default_embedder()


@pytest.fixture(scope="session")
def default_engine(real_embedder, tmp_path_factory):  # type: ignore[no-untyped-def]
    """The shipped corpus indexed with the real model in a temporary store."""
    from qa import open_corpus
    from vectorstore import StoreSettings, close_client

    folder = tmp_path_factory.mktemp("default-store")
    engine = open_corpus(store=StoreSettings(store_dir=folder), embedder=real_embedder)
    yield engine
    close_client(path=folder)

"""Property: every chunk, sentence and quote is verbatim at its offsets."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa import check_quotes
from tests.fakes import HashingEmbedder
from vectorstore import Document, chunk_document
from vectorstore.loading import content_hash

WORDS = st.sampled_from(
    [
        "Putin",
        "Cuba",
        "said",
        "the",
        "oil",
        "Mr.",
        "U.S.",
        "W.",
        "“quoted”",
        "(more…)",
        "@handle",
        "2001,",
        "café",
        "—",
        "e.g.",
    ]
)
SENTENCE = st.builds(
    lambda words, end: " ".join(words) + end,
    st.lists(WORDS, min_size=1, max_size=40),
    st.sampled_from([".", "!", "?", "…", ".”", "", ";"]),
)
SEPARATOR = st.sampled_from([" ", "  ", "\n", "\n\n", "\r\n", "\t", " \n "])


@st.composite
def documents(draw: st.DrawFn) -> Document:
    sentences = draw(st.lists(SENTENCE, min_size=1, max_size=30))
    seps = draw(st.lists(SEPARATOR, min_size=len(sentences), max_size=len(sentences)))
    text = draw(SEPARATOR) + "".join(s + sep for s, sep in zip(sentences, seps, strict=True))
    return Document("d.txt", "t", None, text, content_hash(text), "/d.txt")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=documents(), budget=st.integers(min_value=3, max_value=60))
def test_chunks_and_sentences_are_exact_slices(doc: Document, budget: int) -> None:
    counter = HashingEmbedder().count_tokens
    chunks = chunk_document(doc, counter, max_tokens=budget)
    previous_end = -1
    for i, chunk in enumerate(chunks):
        assert chunk.index == i
        assert doc.text[chunk.start : chunk.end] == chunk.text
        assert chunk.text == chunk.text.strip() and chunk.text
        assert chunk.start >= previous_end  # in order, never overlapping
        previous_end = chunk.end
        assert chunk.sentences[0].start == chunk.start and chunk.sentences[-1].end == chunk.end
        for span in chunk.sentences:
            sentence = doc.text[span.start : span.end]
            assert sentence and sentence == sentence.strip()
            assert chunk.start <= span.start < span.end <= chunk.end
        assert sum(counter([doc.text[s.start : s.end] for s in chunk.sentences])) <= budget


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(docs=st.lists(documents(), min_size=1, max_size=4), question=st.lists(WORDS, min_size=1, max_size=6))
def test_quotes_are_verbatim_at_their_offsets(
    tmp_path_factory, docs: list[Document], question: list[str]
) -> None:
    from qa import open_corpus
    from vectorstore import StoreSettings, close_client

    root = tmp_path_factory.mktemp("prop")
    corpus = root / "corpus"
    corpus.mkdir()
    for i, doc in enumerate(docs):
        (corpus / f"a{i}.txt").write_bytes(doc.text.encode("utf-8"))
    store = root / "store"
    try:
        engine = open_corpus(corpus, store=StoreSettings(store_dir=store), embedder=HashingEmbedder())
        texts = {d.doc_id: d.text for d in engine.reader.index.snapshot.documents.values()}
        for doc_id, text in texts.items():
            assert text == (corpus / doc_id).read_bytes().decode("utf-8")
        answer = engine.answer(" ".join(question) + "?")
        check_quotes(answer.quotes, texts)
        for passage in engine.retrieve(" ".join(question), k=3):
            assert texts[passage.doc_id][passage.start : passage.end] == passage.text
    finally:
        close_client(path=Path(store))

"""The real model on both backends: same vectors, same token counts, offline."""

from __future__ import annotations

import numpy as np
import pytest

from vectorstore import MODEL_NAME, OnnxEmbedder, SentenceTransformerEmbedder
from vectorstore.embedding import TUNED_MODEL_NAME, resolve_model

pytestmark = pytest.mark.slow
TEXTS = [
    "Cuba’s Foreign Minister Bruno Rodriguez Parrilla sat down in the Kremlin on Thursday.",
    "@bears_with",
    "During the cold war, the Soviet Union provided communist Cuba with an economic lifeline. " * 20,
    "é",
]


@pytest.fixture(scope="module")
def torch_embedder() -> SentenceTransformerEmbedder:
    name, path = resolve_model()  # the default: the shipped tuned model
    return SentenceTransformerEmbedder(path, model_name=name)


def test_onnx_matches_sentence_transformers(real_embedder, torch_embedder) -> None:  # type: ignore[no-untyped-def]
    assert isinstance(real_embedder, OnnxEmbedder)
    onnx = real_embedder.encode(TEXTS)
    torch = torch_embedder.encode(TEXTS)
    assert onnx.shape == torch.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)
    assert float(np.abs(onnx - torch).max()) < 1e-4  # long text truncated at 256 tokens by both
    assert real_embedder.count_tokens(TEXTS) == torch_embedder.count_tokens(TEXTS)
    assert real_embedder.model_name == torch_embedder.model_name
    assert real_embedder.model_name.startswith(TUNED_MODEL_NAME + "@")  # the weights' fingerprint follows
    assert real_embedder.max_tokens == torch_embedder.max_tokens == 256


def test_similar_sentences_are_closer(real_embedder) -> None:  # type: ignore[no-untyped-def]
    q, near, far = real_embedder.encode(
        [
            "Who is Cuba's foreign minister?",
            "Cuba's foreign minister is Bruno Rodriguez.",
            "Steam engines use coal.",
        ]
    )
    assert float(q @ near) > float(q @ far) + 0.3


def test_the_plain_minilm_stays_selectable() -> None:
    from vectorstore import default_embedder

    plain = default_embedder("minilm")
    assert plain.model_name == MODEL_NAME
    q, near, far = plain.encode(["Who is Cuba's foreign minister?", "Cuba's foreign minister is Bruno Rodriguez.", "Steam engines use coal."])
    assert float(q @ near) > float(q @ far) + 0.3

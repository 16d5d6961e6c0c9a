"""The real model on both backends: same vectors, same token counts, offline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO
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


def test_int8_quantization_leaves_logging_as_it_found_it(tmp_path: Path) -> None:
    # onnxruntime's advice went through the root logger, which then printed bm25s's debug lines.
    # In a fresh interpreter: pytest's own log capture would hide a handler added to the root logger.
    script = """
import logging, sys
from pathlib import Path
import numpy as np, onnx
from onnx import TensorProto, helper, numpy_helper
from vectorstore.embedding import quantize_onnx
weights = numpy_helper.from_array(np.arange(64, dtype=np.float32).reshape(8, 8) / 64, name="W")
graph = helper.make_graph(
    [helper.make_node("MatMul", ["x", "W"], ["y"])], "tiny",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8])], initializer=[weights],
)
folder = Path(sys.argv[1])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(folder / "tiny.onnx"))
assert quantize_onnx(folder / "tiny.onnx", folder / "tiny-int8.onnx").is_file()
logging.getLogger("bm25s").debug("a library's debug line")
print(len(logging.getLogger().handlers))
"""
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0" and done.stderr == "", done.stderr

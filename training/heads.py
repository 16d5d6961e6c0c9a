"""What the two experimental heads on the tuned MiniLM share (``train_reranker``, ``train_reader``):
the encoder with a new linear layer, its optimiser and schedule, and a seeded, logged run."""

from __future__ import annotations

import argparse
import logging
import random
import sys
from pathlib import Path
from typing import Any

import numpy as np

from training.evaluate_embedder import REPO

DEFAULT_TRAIN = REPO.parent / "shared" / "train" / "squad2-train"
DEFAULT_INIT = REPO / "vectorstore" / "models" / "minilm-qa-squad"
DEFAULT_RUNS = Path(__file__).resolve().parent / "runs"


class EncoderWithHead:
    """The MiniLM encoder of ``folder`` and a new ``outputs``-wide linear layer on its token states."""

    def __init__(self, folder: Path, device: str, max_length: int, outputs: int) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        self.torch = torch
        self.device = device
        self.max_length = max_length
        self.tokenizer = AutoTokenizer.from_pretrained(str(folder), use_fast=True)
        self.encoder = AutoModel.from_pretrained(str(folder), torch_dtype=torch.float32).to(device)
        self.head = torch.nn.Linear(self.encoder.config.hidden_size, outputs).to(device)
        torch.nn.init.normal_(self.head.weight, std=0.02)
        torch.nn.init.zeros_(self.head.bias)

    def parameters(self) -> list[Any]:
        return list(self.encoder.parameters()) + list(self.head.parameters())

    def train(self, mode: bool = True) -> None:
        self.encoder.train(mode)
        self.head.train(mode)


def optimiser_and_schedule(model: EncoderWithHead, lr: float, steps: int) -> tuple[Any, Any]:
    """AdamW (the new head at 20× the encoder's rate), 10% linear warm-up, then linear decay to 0."""
    torch = model.torch
    optimiser = torch.optim.AdamW(
        [
            {"params": list(model.encoder.parameters()), "lr": lr},
            {"params": list(model.head.parameters()), "lr": lr * 20},
        ],
        weight_decay=0.01,
    )
    warm = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm)))
    )
    return optimiser, schedule


def add_run_arguments(parser: argparse.ArgumentParser, run_name: str) -> None:
    """The options both scripts take: data, initial model, held-out article, seed, device, run name."""
    parser.add_argument("--train", type=Path, default=DEFAULT_TRAIN)
    parser.add_argument("--init", type=Path, default=DEFAULT_INIT)
    parser.add_argument(
        "--holdout",
        default="The_Legend_of_Zelda__Twilight_Princess",
        help="article held out for the learning curve (one with unanswerable questions)",
    )
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--run-name", default=run_name)


def start_run(run: Path, log_name: str, seed: int, threads: int) -> None:
    """Log to stderr and ``run/log_name``; seed Python, NumPy and torch; cap torch's threads."""
    import torch

    run.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(message)s",
        handlers=[logging.StreamHandler(sys.stderr), logging.FileHandler(run / log_name, mode="w")],
    )
    torch.set_num_threads(threads)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)

"""Train a small cross-encoder that scores (question, sentence) pairs: does this sentence answer it?

A verifier on top of the engine's ranking (issue 10): it reads the question and
the candidate sentence together, which a bi-encoder cannot. Initialised from
the shipped tuned MiniLM (``vectorstore/models/minilm-qa-squad``): its
encoder, mean-pooled over the joint ``[CLS] question [SEP] sentence [SEP]``
input, feeds one new linear unit.

Data: the SQuAD 2.0 *training* articles (``shared/train/squad2-train``), one
article held out for the learning curve. For each question its article's
sentences are ranked as the engine's candidates are (BM25 fused with the tuned
model's cosine); the top ``--candidates`` form its group. Labels: 1 for a
sentence holding a gold answer, 0 otherwise; an unanswerable question's group
is all zeros, which teaches "nothing here answers it".

Loss: binary cross-entropy on every pair (absolute scores, for abstaining) plus
a listwise softmax cross-entropy over each answerable group (ranking).

Every ``--eval-every`` steps the held-out article is scored and one line of
the learning curve is logged: top-1 accuracy of the reranked group, and the
AUC separating answerable from unanswerable questions by their best score.

Usage (repository root)::

    .venv/bin/python -m training.train_reranker --run-name ce1 --steps 600
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from training.data import (
    ArticleRanking,
    Question,
    Sentence,
    contains_answer,
    encode,
    load_questions,
    load_sentences,
)
from training.evaluate_embedder import _auc
from training.heads import (
    DEFAULT_RUNS,
    EncoderWithHead,
    add_run_arguments,
    optimiser_and_schedule,
    start_run,
)

if TYPE_CHECKING:
    import torch


log = logging.getLogger("reranker")


@dataclass(frozen=True)
class Group:
    qid: str
    question: str
    texts: tuple[str, ...]
    labels: tuple[int, ...]
    answerable: bool


def mine_groups(
    questions: Sequence[Question], sentences: Sequence[Sentence], vectors: np.ndarray, q_vectors: np.ndarray, size: int
) -> list[Group]:
    """Each question's ``size`` best sentences of its article (BM25 ⊕ cosine by RRF), labelled."""
    ranking = ArticleRanking(sentences, vectors)
    groups = []
    for q, qv in zip(questions, q_vectors, strict=True):
        ranked = ranking.order(q.doc, q.text, qv)
        if not ranked:
            continue
        order = ranked[:size]
        labels = [int(q.answerable and contains_answer(sentences[i].text, q.answers)) for i in order]
        if q.answerable and not any(labels):
            # The answer sentence fell outside the candidates: put it in, as the engine's
            # sentence query would usually find it.
            holders = [i for i in ranked if contains_answer(sentences[i].text, q.answers)]
            if not holders:
                continue
            order[-1], labels[-1] = min(holders), 1  # the article's first such sentence
        groups.append(Group(q.qid, q.text, tuple(sentences[i].text for i in order), tuple(labels), q.answerable))
    return groups


class CrossEncoder(EncoderWithHead):
    """Mean-pooled MiniLM over a (question, sentence) pair and one linear unit: a relevance logit."""

    def __init__(self, folder: Path, device: str = "cpu", max_length: int = 192) -> None:
        super().__init__(folder, device, max_length, outputs=1)
        head_file = folder / "head.json"
        if head_file.is_file():
            data = json.loads(head_file.read_text())
            with self.torch.no_grad():
                self.head.weight.copy_(self.torch.tensor([data["weight"]]))
                self.head.bias.copy_(self.torch.tensor([data["bias"]]))

    def logits(self, questions: Sequence[str], texts: Sequence[str]) -> torch.Tensor:
        batch = self.tokenizer(
            list(questions), list(texts), padding=True, truncation="only_second",
            max_length=self.max_length, return_tensors="pt",
        ).to(self.device)
        hidden = self.encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.head(pooled).squeeze(-1)

    def score(self, question: str, texts: Sequence[str]) -> np.ndarray:
        with self.torch.inference_mode():
            return self.logits([question] * len(texts), texts).float().cpu().numpy()

    def save(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        self.encoder.half().save_pretrained(str(out), safe_serialization=True)
        self.encoder.float()
        self.tokenizer.save_pretrained(str(out))
        config = json.loads((out / "config.json").read_text())
        config["torch_dtype"] = "float32"
        (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
        head = {"weight": self.head.weight.detach().cpu()[0].tolist(), "bias": float(self.head.bias.detach().cpu()[0])}
        (out / "head.json").write_text(json.dumps({**head, "pooling": "mean", "max_length": self.max_length}) + "\n")


def evaluate(model: CrossEncoder, groups: Sequence[Group], batch: int = 64) -> dict[str, float]:
    """Top-1 accuracy over answerable groups; AUC of the best logit, answerable vs unanswerable."""
    model.train(False)
    best: list[tuple[float, bool]] = []
    hits = total = 0
    for g in groups:
        scores = np.concatenate(
            [model.score(g.question, g.texts[i : i + batch]) for i in range(0, len(g.texts), batch)]
        )
        best.append((float(scores.max()), g.answerable))
        if g.answerable:
            total += 1
            hits += g.labels[int(np.argmax(scores))]
    model.train(True)
    positives = np.asarray([s for s, a in best if a])
    negatives = np.asarray([s for s, a in best if not a])
    return {"top1": hits / max(total, 1), "auc": _auc(positives, negatives)}


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_run_arguments(p, run_name="reranker")
    p.add_argument("--candidates", type=int, default=8, help="sentences per question group")
    p.add_argument("--groups-per-batch", type=int, default=4)
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--lr", type=float, default=4e-5)
    p.add_argument("--max-length", type=int, default=160)
    p.add_argument("--eval-every", type=int, default=100)
    p.add_argument("--out", type=Path, default=None, help="save the model folder here at the end")
    args = p.parse_args(argv)

    import torch
    from sentence_transformers import SentenceTransformer

    run = DEFAULT_RUNS / args.run_name
    start_run(run, "train.log", args.seed, args.threads)

    sentences = load_sentences(args.train / "corpus")
    questions = load_questions(args.train / "questions.json")
    bi = SentenceTransformer(str(args.init), device=args.device)
    vectors = encode(bi, [s.text for s in sentences])
    q_vectors = encode(bi, [q.text for q in questions])
    del bi
    groups = mine_groups(questions, sentences, vectors, q_vectors, args.candidates)
    by_qid = {q.qid: q for q in questions}
    train = [g for g in groups if by_qid[g.qid].doc != args.holdout]
    held = [g for g in groups if by_qid[g.qid].doc == args.holdout]
    first = [g.labels[0] for g in held if g.answerable]
    log.info("groups: %d train (%d answerable), %d held out (article %s); fused order's top1 there %.3f",
             len(train), sum(g.answerable for g in train), len(held), args.holdout, np.mean(first))

    model = CrossEncoder(args.init, args.device, args.max_length)
    optimiser, schedule = optimiser_and_schedule(model, args.lr, args.steps)
    bce = torch.nn.BCEWithLogitsLoss()
    rng = random.Random(args.seed)
    order: list[Group] = []
    curve = [{"step": 0, **evaluate(model, held), "loss": math.nan, "seconds": 0.0}]
    log.info("step %5d  top1 %.3f  auc %.3f", 0, curve[0]["top1"], curve[0]["auc"])
    started = time.perf_counter()
    running = []
    model.train(True)
    for step in range(1, args.steps + 1):
        batch = []
        for _ in range(args.groups_per_batch):
            if not order:
                order = list(train)
                rng.shuffle(order)
            batch.append(order.pop())
        qs = [g.question for g in batch for _ in g.texts]
        ts = [t for g in batch for t in g.texts]
        labels = torch.tensor([y for g in batch for y in g.labels], dtype=torch.float32, device=args.device)
        logits = model.logits(qs, ts)
        loss = bce(logits, labels)
        offset = 0
        listwise = []
        for g in batch:
            n = len(g.texts)
            if g.answerable and any(g.labels):
                log_p = torch.log_softmax(logits[offset : offset + n], dim=0)
                target = labels[offset : offset + n]
                listwise.append(-(log_p * target).sum() / target.sum())
            offset += n
        if listwise:
            loss = loss + torch.stack(listwise).mean()
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        schedule.step()
        running.append(float(loss.detach()))
        if step % 10 == 0:
            log.info("step %5d  loss %.4f  %.2fs/step", step, np.mean(running[-10:]),
                     (time.perf_counter() - started) / step)
        if step % args.eval_every == 0 or step == args.steps:
            point = {"step": step, **evaluate(model, held), "loss": float(np.mean(running[-args.eval_every:])),
                     "seconds": round(time.perf_counter() - started, 1)}
            curve.append(point)
            log.info("step %5d  top1 %.3f  auc %.3f  (%.0f s)", step, point["top1"], point["auc"], point["seconds"])
            (run / "curve.json").write_text(json.dumps(curve, indent=1) + "\n")
            if args.out:
                model.save(args.out)
    if args.out:  # the evaluation at the last step saved it
        log.info("saved %s", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

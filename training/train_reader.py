"""Train a small extractive answer-span reader and score the engine's first quotes with it.

An experiment on near-misses: a sentence can hold every word of the question
and still not the asked-for answer ("In which city did Putin and Bush meet on
October 21, 2001?" vs "In a meeting with President George W. Bush on October
21, 2001, Putin had said ..."). A reader that must *point at* the answer span
should tell the two apart better than a relevance score. Initialised from the
shipped tuned MiniLM (``vectorstore/models/minilm-qa-squad``): its encoder
reads ``[CLS] question [SEP] candidate [SEP]`` (max 128 tokens, only the
candidate truncated) and one new linear layer gives start/end logits per token;
SQuAD 2.0 style, the ``[CLS]`` position means "no answer here".

Data: the SQuAD 2.0 *training* articles (``shared/train/squad2-train``), one
article held out for the learning curve. Per question, with the article's
sentences ranked as the engine ranks candidates (BM25 fused with the tuned
model's cosine, ``training.data.ArticleRanking``):

* answerable: the sentence holding a gold answer (preferring the question's own
  paragraph), target the answer's token span (first occurrence in the sentence);
* its best-ranked sentence holding no gold answer: target ``[CLS]``;
* for about half the answerable questions (seeded), a synthetic near-miss: the
  positive with the answer span (and one preposition/article just before it)
  deleted: target ``[CLS]``;
* unanswerable: the article's best-ranked sentence, target ``[CLS]``.

Loss: mean of start and end cross-entropy. Every ``--eval-every`` steps the
held-out article is scored: span exact match on its positives and the AUC of
``answer_margin`` between its positive and negative pairs.

``answer_margin(q, text)`` = max over spans inside the text segment (start <=
end, at most 30 tokens) of start+end logits, minus the ``[CLS]`` start+end
logits: higher means the text holds an answer.

With ``--score`` the saved reader scores ``candidates[0]`` of every row in the
rows files (``--rows``, default ``training/runs/rows/{news-dev,news-test,squad2-dev}.json``,
written by ``training.rerank_rows``) and reports AUCs, combinations with the
engine's confidence, operating points and latency (``results.json``).

Usage (repository root)::

    .venv/bin/python -m training.train_reader --run-name reader1 --steps 20 --eval-every 0   # time a step
    .venv/bin/python -m training.train_reader --run-name reader1 --steps 600
    for s in news-dev news-test; do .venv/bin/python -m training.rerank_rows tests/data/$s.json \
        --store /tmp/cqa-tuned --depth 5 --out training/runs/rows/$s.json; done
    .venv/bin/python -m training.rerank_rows ../shared/bench/squad2-dev/questions.json \
        --corpus ../shared/bench/squad2-dev/corpus --store /tmp/cqa-squad --depth 5 --out training/runs/rows/squad2-dev.json
    .venv/bin/python -m training.train_reader --run-name reader1 --score

Tried, not shipped: training/README.md has the learning curve and the verdict.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from training.data import ArticleRanking, contains_answer, encode, load_questions, load_sentences
from training.evaluate_embedder import _auc
from training.heads import (
    DEFAULT_RUNS,
    EncoderWithHead,
    add_run_arguments,
    optimiser_and_schedule,
    start_run,
)
from vectorstore.sentences import normalise

DEFAULT_ROWS = Path(__file__).resolve().parent / "runs" / "rows"
MAX_SPAN = 30

log = logging.getLogger("reader")


@dataclass(frozen=True)
class Pair:
    qid: str
    question: str
    text: str
    span: tuple[int, int] | None  # character span of the answer in text; None: no answer
    kind: str  # positive | hard | nearmiss | unanswerable
    holdout: bool


def find_span(text: str, answers: Sequence[str]) -> tuple[int, int] | None:
    """Character span of the first occurrence of the first gold answer found in ``text``."""
    best = None
    lowered = text.lower()
    for a in answers:
        a = a.strip()
        if not a:
            continue
        i = text.find(a)
        if i < 0:
            i = lowered.find(a.lower())
        if i < 0:
            m = re.search(r"\s+".join(re.escape(w) for w in a.split()), text, flags=re.IGNORECASE)
            if m is None:
                continue
            i, j = m.start(), m.end()
        else:
            j = i + len(a)
        if best is None or i < best[0]:
            best = (i, j)
    return best


_BEFORE = re.compile(r"\b(in|on|at|by|of|the|a|an|from|to)\s*$", re.IGNORECASE)


def near_miss(text: str, span: tuple[int, int]) -> str:
    """``text`` with the answer span, and one preposition/article right before it, deleted."""
    head, tail = text[: span[0]], text[span[1] :]
    head = _BEFORE.sub("", head)
    out = re.sub(r" {2,}", " ", head + " " + tail).strip()
    return re.sub(r" ([,.;:])", r"\1", out)


def build_pairs(train: Path, init: Path, holdout: str, seed: int, device: str) -> list[Pair]:
    from sentence_transformers import SentenceTransformer

    sentences = load_sentences(train / "corpus")
    questions = load_questions(train / "questions.json")
    bi = SentenceTransformer(str(init), device=device)
    vectors = encode(bi, [s.text for s in sentences])
    q_vectors = encode(bi, [q.text for q in questions])
    del bi
    ranking = ArticleRanking(sentences, vectors)
    rng = random.Random(seed)
    pairs: list[Pair] = []
    skipped = 0
    for q, qv in zip(questions, q_vectors, strict=True):
        ranked = ranking.order(q.doc, q.text, qv)
        if not ranked:
            continue
        held = q.doc == holdout
        if not q.answerable:
            pairs.append(Pair(q.qid, q.text, sentences[ranked[0]].text, None, "unanswerable", held))
            continue
        holders = [i for i in sorted(ranked) if contains_answer(sentences[i].text, q.answers)]
        own = [i for i in holders if sentences[i].paragraph == q.paragraph]
        if not (own or holders):
            skipped += 1
            continue
        text = sentences[(own or holders)[0]].text
        span = find_span(text, q.answers)
        if span is None:
            skipped += 1
            continue
        pairs.append(Pair(q.qid, q.text, text, span, "positive", held))
        hard = [i for i in ranked if i not in set(holders)]
        if hard:
            pairs.append(Pair(q.qid, q.text, sentences[hard[0]].text, None, "hard", held))
        if rng.random() < 0.5:
            nm = near_miss(text, span)
            if nm and not contains_answer(nm, q.answers):
                pairs.append(Pair(q.qid, q.text, nm, None, "nearmiss", held))
    log.info("pairs: %d (skipped %d answerable without a findable span); kinds %s", len(pairs), skipped,
             {k: sum(p.kind == k for p in pairs) for k in ("positive", "hard", "nearmiss", "unanswerable")})
    return pairs


class Reader(EncoderWithHead):
    """MiniLM encoder and a linear span head (start/end logits per token, [CLS] = no answer)."""

    def __init__(self, folder: Path, device: str = "cpu", max_length: int = 128) -> None:
        super().__init__(folder, device, max_length, outputs=2)
        head_file = folder / "span_head.pt"
        if head_file.is_file():
            self.head.load_state_dict(self.torch.load(head_file, map_location=device))

    def features(self, questions: Sequence[str], texts: Sequence[str], spans=None):
        """Tokenised batch, a mask of the text segment's tokens and (if spans) start/end targets."""
        torch = self.torch
        enc = self.tokenizer(
            list(questions), list(texts), padding=True, truncation="only_second",
            max_length=self.max_length, return_offsets_mapping=True, return_tensors="pt",
        )
        n, length = enc["input_ids"].shape
        in_text = torch.zeros(n, length, dtype=torch.bool)
        starts = torch.zeros(n, dtype=torch.long)
        ends = torch.zeros(n, dtype=torch.long)
        offsets = enc.pop("offset_mapping")
        for b in range(n):
            seq = enc.sequence_ids(b)
            idx = [t for t, s in enumerate(seq) if s == 1]
            in_text[b, idx] = True
            if spans is not None and spans[b] is not None:
                a, z = spans[b]
                st = [t for t in idx if offsets[b, t, 0] <= a < offsets[b, t, 1]] or \
                     [t for t in idx if offsets[b, t, 0] >= a]
                en = [t for t in idx if offsets[b, t, 0] < z <= offsets[b, t, 1]] or \
                     [t for t in idx if offsets[b, t, 1] <= z]
                if st and en:
                    s_tok, e_tok = st[0], en[-1]
                    if s_tok <= e_tok:
                        starts[b], ends[b] = s_tok, e_tok
        return enc.to(self.device), in_text.to(self.device), starts.to(self.device), ends.to(self.device), offsets

    def logits(self, enc):
        hidden = self.encoder(**enc).last_hidden_state
        out = self.head(hidden)
        return out[..., 0], out[..., 1]

    def margins(self, questions: Sequence[str], texts: Sequence[str], spans_out: bool = False):
        """answer_margin per pair (and, if asked, the best span's character offsets)."""
        torch = self.torch
        with torch.inference_mode():
            enc, in_text, _, _, offsets = self.features(questions, texts)
            s, e = self.logits(enc)
            pair = s.unsqueeze(2) + e.unsqueeze(1)  # [b, i, j]
            length = s.shape[1]
            i = torch.arange(length, device=s.device)
            band = (i.view(-1, 1) <= i.view(1, -1)) & (i.view(1, -1) - i.view(-1, 1) < MAX_SPAN)
            valid = band.unsqueeze(0) & in_text.unsqueeze(2) & in_text.unsqueeze(1)
            pair = pair.masked_fill(~valid, float("-inf"))
            best, flat = pair.view(len(texts), -1).max(1)
            margin = (best - (s[:, 0] + e[:, 0])).float().cpu().numpy()
        if not spans_out:
            return margin
        out = []
        for b, f in enumerate(flat.cpu().tolist()):
            a, z = divmod(f, length)
            out.append((int(offsets[b, a, 0]), int(offsets[b, z, 1])))
        return margin, out

    def save(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        self.encoder.save_pretrained(str(out), safe_serialization=True)
        self.tokenizer.save_pretrained(str(out))
        self.torch.save(self.head.state_dict(), out / "span_head.pt")


def evaluate(model: Reader, pairs: Sequence[Pair], batch: int = 64) -> dict[str, float]:
    """Span exact match on the positives; AUC of answer_margin, positives vs negative pairs."""
    model.train(False)
    scored: list[float] = []
    hits = 0
    for k in range(0, len(pairs), batch):
        chunk = pairs[k : k + batch]
        m, spans = model.margins([p.question for p in chunk], [p.text for p in chunk], spans_out=True)
        scored.extend(m.tolist())
        for p, (a, z) in zip(chunk, spans, strict=True):
            if p.span is not None:
                hits += normalise(p.text[a:z]) == normalise(p.text[p.span[0] : p.span[1]])
    model.train(True)
    margins = np.asarray(scored)
    pos = np.asarray([p.span is not None for p in pairs])
    by_kind = {k: _auc(margins[pos], margins[np.asarray([p.kind == k for p in pairs])])
               for k in ("hard", "nearmiss", "unanswerable")}
    return {"em": hits / max(int(pos.sum()), 1), "auc": _auc(margins[pos], margins[~pos]),
            **{f"auc_{k}": v for k, v in by_kind.items()}}


def train(args: argparse.Namespace, run: Path) -> None:
    import torch

    pairs = build_pairs(args.train, args.init, args.holdout, args.seed, args.device)
    train_pairs = [p for p in pairs if not p.holdout]
    held = [p for p in pairs if p.holdout]
    log.info("train %d pairs, held out %d (article %s)", len(train_pairs), len(held), args.holdout)
    per_epoch = math.ceil(len(train_pairs) / args.batch)
    steps = min(args.steps, args.epochs * per_epoch)
    log.info("%d steps (%.2f epochs of %d steps)", steps, steps / per_epoch, per_epoch)

    model = Reader(args.init, args.device, args.max_length)
    optimiser, schedule = optimiser_and_schedule(model, args.lr, steps)
    ce = torch.nn.CrossEntropyLoss()
    rng = random.Random(args.seed)
    order: list[Pair] = []
    curve = []
    if args.eval_every:
        t0 = time.perf_counter()
        curve.append({"step": 0, **evaluate(model, held), "loss": math.nan, "seconds": 0.0})
        log.info("step %5d  em %.3f  auc %.3f  (eval %.0f s)", 0, curve[0]["em"], curve[0]["auc"],
                 time.perf_counter() - t0)
    started = time.perf_counter()
    running = []
    model.train(True)
    for step in range(1, steps + 1):
        batch = []
        for _ in range(args.batch):
            if not order:
                order = list(train_pairs)
                rng.shuffle(order)
            batch.append(order.pop())
        enc, _, starts, ends, _ = model.features([p.question for p in batch], [p.text for p in batch],
                                                 [p.span for p in batch])
        s, e = model.logits(enc)
        pad = enc["attention_mask"] == 0
        s, e = s.masked_fill(pad, -1e4), e.masked_fill(pad, -1e4)
        loss = (ce(s, starts) + ce(e, ends)) / 2
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        schedule.step()
        running.append(float(loss.detach()))
        if step % 10 == 0:
            log.info("step %5d  loss %.4f  %.2fs/step", step, np.mean(running[-10:]),
                     (time.perf_counter() - started) / step)
        if args.eval_every and (step % args.eval_every == 0 or step == steps):
            train_seconds = time.perf_counter() - started
            point = {"step": step, **evaluate(model, held), "loss": float(np.mean(running[-args.eval_every:])),
                     "seconds": round(train_seconds, 1)}
            curve.append(point)
            log.info("step %5d  em %.3f  auc %.3f  (hard %.3f nearmiss %.3f unans %.3f)  (%.0f s)", step,
                     point["em"], point["auc"], point["auc_hard"], point["auc_nearmiss"],
                     point["auc_unanswerable"], point["seconds"])
            (run / "curve.json").write_text(json.dumps(curve, indent=1) + "\n")
            model.save(run / "model")
            log.info("saved %s", run / "model")


# ---------------------------------------------------------------- scoring the engine's rows


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _threshold(answerable_scores: np.ndarray, false_rate: float) -> float:
    """Largest t such that abstaining on score < t abstains on at most ``false_rate`` of answerable rows."""
    srt = np.sort(answerable_scores)
    k = math.floor(false_rate * len(srt) + 1e-9)
    return float(srt[k]) if k < len(srt) else float("inf")


def _operating(scores: np.ndarray, answerable: np.ndarray, t: float) -> dict[str, float]:
    abstain = scores < t
    return {"threshold": t, "unans_abstained": float(abstain[~answerable].mean()),
            "ans_abstained": float(abstain[answerable].mean())}


def _first_right(row: dict) -> bool:
    """The engine's first candidate holds a gold answer (``rerank_rows`` marks each candidate's ``hit``)."""
    if "first_right" in row:
        return bool(row["first_right"])
    return bool(row["candidates"]) and bool(row["candidates"][0]["hit"])


def score_rows(args: argparse.Namespace, run: Path) -> None:
    import torch

    folder = run / "model"
    model = Reader(folder, args.device, args.max_length)
    model.train(False)
    sets = {}
    for name in ("news-dev", "news-test", "squad2-dev"):
        rows = json.loads((args.rows / f"{name}.json").read_text())
        t0 = time.perf_counter()
        qs = [r["q"] for r in rows]
        hq = [(r["history"][-1] + " " + r["q"]) if r.get("history") else r["q"] for r in rows]
        texts = [r["candidates"][0]["text"] if r["candidates"] else "" for r in rows]
        margin = np.concatenate([model.margins(qs[k : k + 32], texts[k : k + 32]) for k in range(0, len(rows), 32)])
        margin_h = np.concatenate([model.margins(hq[k : k + 32], texts[k : k + 32]) for k in range(0, len(rows), 32)])
        log.info("%s: %d rows scored in %.1f s", name, len(rows), time.perf_counter() - t0)
        sets[name] = {"rows": rows, "margin": margin, "margin_hist": margin_h,
                      "conf": np.asarray([float(r["confidence"]) for r in rows]),
                      "ans": np.asarray([bool(r["answerable"]) for r in rows]),
                      "right": np.asarray([bool(r["answerable"]) and _first_right(r) for r in rows])}

    combos: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
        "confidence": lambda c, m: c,
        "margin": lambda c, m: m,
    }
    for w in (0.1, 0.25, 0.5, 1.0, 2.0):
        combos[f"logit+{w}*m"] = lambda c, m, w=w: _logit(c) + w * m  # type: ignore[misc]
    for t in (-4.0, -2.0, 0.0, 2.0):
        combos[f"conf*sig(m-{t})"] = lambda c, m, t=t: c / (1 + np.exp(-(m - t)))  # type: ignore[misc]

    results: dict = {"sets": {}}
    for name, d in sets.items():
        split = d["right"] | ~d["ans"]  # first-right answerable vs unanswerable
        out: dict[str, Any] = {"n": len(d["rows"]), "answerable": int(d["ans"].sum()), "first_right": int(d["right"].sum()),
               "unanswerable": int((~d["ans"]).sum()), "auc": {}}
        for key, f in combos.items():
            for variant, m in (("q", d["margin"]), ("hist", d["margin_hist"])):
                if variant == "hist" and key == "confidence":
                    continue
                sc = f(d["conf"], m)
                out["auc"][f"{key}|{variant}"] = _auc(sc[d["right"]], sc[split & ~d["right"]])
                # all answerable vs unanswerable, for the abstention view
                out["auc"][f"{key}|{variant}|all_ans"] = _auc(sc[d["ans"]], sc[~d["ans"]])
        results["sets"][name] = out

    # Operating points: thresholds fixed on news-dev (<= 2.5% answerable abstained), applied to news-test;
    # squad2-dev at its own <= 5% threshold.
    ops: dict = {}
    dev, test, sq = sets["news-dev"], sets["news-test"], sets["squad2-dev"]
    for key, f in combos.items():
        for variant in ("q", "hist"):
            if variant == "hist" and key == "confidence":
                continue
            mk = "margin" if variant == "q" else "margin_hist"
            sd, st, ss = (f(x["conf"], x[mk]) for x in (dev, test, sq))
            t = _threshold(sd[dev["ans"]], 0.025)
            ts = _threshold(ss[sq["ans"]], 0.05)
            ops[f"{key}|{variant}"] = {"news-dev": _operating(sd, dev["ans"], t),
                                       "news-test": _operating(st, test["ans"], t),
                                       "squad2-dev": _operating(ss, sq["ans"], ts)}
            # the same at the engine@0.04's own news-dev false rate (2 of 69 answerable = 2.9%)
            t3 = _threshold(sd[dev["ans"]], 0.03)
            ops[f"{key}|{variant}|3%"] = {"news-dev": _operating(sd, dev["ans"], t3),
                                          "news-test": _operating(st, test["ans"], t3)}
    ops["engine@0.04"] = {n: _operating(sets[n]["conf"], sets[n]["ans"], 0.04) for n in sets}
    results["operating"] = ops
    results["dev_unanswerable_conf_ge_0.04"] = [
        {"id": r["id"], "q": r["q"], "confidence": float(c), "margin": float(m), "margin_hist": float(mh),
         "first": r["candidates"][0]["text"][:200] if r["candidates"] else ""}
        for r, c, m, mh, a in zip(dev["rows"], dev["conf"], dev["margin"], dev["margin_hist"], dev["ans"], strict=True)
        if not a and c >= 0.04
    ]

    (run / "margins.json").write_text(json.dumps({
        name: [{"id": r.get("id"), "answerable": bool(a), "first_right": _first_right(r),
                "confidence": float(c), "margin": float(m), "margin_hist": float(mh)}
               for r, a, c, m, mh in zip(d["rows"], d["ans"], d["conf"], d["margin"], d["margin_hist"], strict=True)]
        for name, d in sets.items()}) + "\n")

    # Latency: batch of one, after warm-up.
    rows = dev["rows"]
    for r in rows[:5]:
        model.margins([r["q"]], [r["candidates"][0]["text"]])
    times = []
    for r in rows[:100]:
        t0 = time.perf_counter()
        model.margins([r["q"]], [r["candidates"][0]["text"]])
        times.append((time.perf_counter() - t0) * 1000)
    results["latency_ms"] = {"median": float(np.median(times)), "mean": float(np.mean(times)),
                             "p90": float(np.percentile(times, 90)), "threads": torch.get_num_threads()}
    (run / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    log.info("wrote %s", run / "results.json")


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_run_arguments(p, run_name="reader1")
    p.add_argument("--batch", type=int, default=32, help="pairs per step")
    p.add_argument("--steps", type=int, default=600, help="at most this many steps")
    p.add_argument("--epochs", type=int, default=2, help="and at most this many epochs")
    p.add_argument("--lr", type=float, default=5e-5, help="encoder learning rate; the head gets 20x")
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--eval-every", type=int, default=150, help="0: no held-out evaluation (timing runs)")
    p.add_argument("--score", action="store_true", help="score the rows with the run's saved reader")
    p.add_argument("--rows", type=Path, default=DEFAULT_ROWS)
    args = p.parse_args(argv)

    run = DEFAULT_RUNS / args.run_name
    start_run(run, "score.log" if args.score else "train.log", args.seed, args.threads)
    if args.score:
        score_rows(args, run)
    else:
        train(args, run)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

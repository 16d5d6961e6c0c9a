"""Fine-tune the bundled all-MiniLM-L6-v2 for question -> answer-sentence retrieval.

Contrastive training on (question, answer sentence, hard negatives) triplets
mined from the SQuAD 2.0 training articles in ``shared/train/squad2-train``:
the loss is cross-entropy over scaled cosine similarities between each
question and every sentence in the batch (its own answer sentence, the other
questions' answer sentences and all mined hard negatives), as
sentence-transformers' MultipleNegativesRankingLoss. Written as a plain
PyTorch loop over the SentenceTransformer module, so it needs neither the
``datasets`` package nor the Trainer machinery.

The result is saved as a sentence-transformers folder with float16 weights
(half the size; the app loads it as float32) and ``max_seq_length`` 256, as
the base model (training truncates at ``--max-length``).

Usage (from the repository root)::

    .venv/bin/python -m training.finetune_embedder --out vectorstore/models/minilm-qa-squad
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import random
import re
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from qa.lexical import tokenize
from training.data import Triplet, contains_answer, load_questions, load_sentences, mine_triplets
from training.evaluate_embedder import DEFAULT_BENCH, REPO, bundled_model_path, evaluate, load_model, table
from training.wordnet import DEFAULT_WORDNET, Synonyms, WordNetMissing, load_synonyms

if TYPE_CHECKING:
    import torch
    from sentence_transformers import SentenceTransformer

DEFAULT_TRAIN = REPO.parent / "shared" / "train" / "squad2-train"
DEFAULT_RUNS = Path(__file__).resolve().parent / "runs"
INFERENCE_MAX_LENGTH = 256  # the base model's; kept for inference whatever length training used
LOG_EVERY = 10
SHIPPED_BASE_FILES = (
    "config.json",
    "config_sentence_transformers.json",
    "modules.json",
    "sentence_bert_config.json",
    "1_Pooling/config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
)

log = logging.getLogger("finetune")


def seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def batches(items: Sequence[Triplet], size: int, rng: random.Random) -> list[list[Triplet]]:
    order = list(items)
    rng.shuffle(order)
    return [order[i : i + size] for i in range(0, len(order), size)]


_WORD = re.compile(r"\S+")


def drop_overlap(question: str, positive: str, rate: float, rng: random.Random) -> str:
    """``question`` with each of its content words that the answer sentence also holds (stem-aware)
    left out at ``rate``: the engine's BM25 coverage already rewards shared words, so the dense model
    is pushed to match what they leave unsaid ("keep backing" / "continue to support")."""
    if rate <= 0.0:
        return question
    shared = set(tokenize(positive))
    kept = [w for w in _WORD.findall(question) if not (set(tokenize(w)) & shared and rng.random() < rate)]
    return " ".join(kept) if kept else question


def swap_synonyms(question: str, positive: str, rate: float, synonyms: Synonyms, rng: random.Random) -> str:
    """``question`` with each of its words that the answer sentence also holds (stem-aware) replaced, at
    ``rate``, by a WordNet synonym drawn at random ("backing" -> "support"): news readers paraphrase
    where SQuAD's questions copy, and the dense model should learn to bridge the paraphrase. Words
    without a synonym stay."""
    if rate <= 0.0:
        return question
    shared = set(tokenize(positive))
    out = []
    for word in _WORD.findall(question):
        core = word.strip(".,;:?!\"'“”‘’()")
        choices = sorted(synonyms.of(core)) if core.isalpha() and set(tokenize(core)) & shared else []
        if choices and rng.random() < rate:
            word = word.replace(core, rng.choice(choices))
        out.append(word)
    return " ".join(out)


def embed(model: SentenceTransformer, texts: list[str], device: str) -> torch.Tensor:
    import torch

    features = model.preprocess(texts)
    features = {k: v.to(device) if hasattr(v, "to") else v for k, v in features.items()}
    return torch.nn.functional.normalize(model(features)["sentence_embedding"], p=2.0, dim=-1)


def batch_loss(model: SentenceTransformer, batch: list[Triplet], scale: float, device: str) -> torch.Tensor:
    """In-batch-negatives cross-entropy: question i must pick sentence i among all sentences of the batch."""
    import torch

    candidates = [t.positive for t in batch] + [n for t in batch for n in t.negatives]
    queries = embed(model, [t.question for t in batch], device)
    docs = embed(model, candidates, device)
    logits = scale * queries @ docs.T
    # Another question's sentence may also answer this one (several SQuAD questions share an answer
    # sentence, or a short answer recurs): such a candidate is no negative, so it is masked out
    # rather than pushed away.
    mask = torch.zeros_like(logits, dtype=torch.bool)
    for i, t in enumerate(batch):
        for j, text in enumerate(candidates):
            if j != i and (text == t.positive or contains_answer(text, t.answers)):
                mask[i, j] = True
    logits = logits.masked_fill(mask, float("-inf"))
    labels = torch.arange(len(batch), device=logits.device)
    return torch.nn.functional.cross_entropy(logits, labels)


def save_shippable(model: SentenceTransformer, out: Path) -> None:
    """Write the tuned weights in float16 beside the base model's own configuration files.

    Only the transformer weights change in training, so every other file
    (tokenizer, pooling, ``max_seq_length`` 256, module list) is copied from
    the bundled base model as it is (``config.json`` gains only a float32
    dtype): the folder loads exactly like the base, with sentence-transformers
    5 as well as 6, and its float16 tensors come back as float32, losing only
    float16's rounding.
    """
    from safetensors import safe_open
    from safetensors.torch import save_file

    base = bundled_model_path()
    bert = model.transformers_model
    if bert is None:
        raise ValueError("the model has no transformers backbone to save")
    out.mkdir(parents=True, exist_ok=True)
    state = {
        k: (v.detach().cpu().half() if v.is_floating_point() else v.detach().cpu()).contiguous()
        for k, v in bert.state_dict().items()
    }
    with safe_open(str(base / "model.safetensors"), "pt") as f:
        for key in f.keys():  # noqa: SIM118 - safe_open is not a mapping
            # Buffers the module no longer saves (position_ids) are kept, so the key set matches the base.
            state.setdefault(key, f.get_tensor(key))
    partial = out / "model.safetensors.partial"
    save_file(state, str(partial), metadata={"format": "pt"})
    os.chmod(partial, 0o644)  # safetensors writes owner-only; the shipped file must be readable by all
    os.replace(partial, out / "model.safetensors")  # never leave a half-written model behind
    for name in SHIPPED_BASE_FILES:
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(base / name, out / name)
    # transformers 5 loads weights in the dtype found on disk unless config.json names one; the
    # app runs on CPU, where float16 is slow, so float32 is named (transformers 4 reads torch_dtype).
    config = json.loads((base / "config.json").read_text(encoding="utf-8"))
    config["dtype"] = config["torch_dtype"] = "float32"
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")


def train(
    args: argparse.Namespace, run_dir: Path, synonyms: Synonyms | None = None
) -> tuple[SentenceTransformer, dict[str, object]]:
    import torch

    seed_everything(args.seed)
    # --init: start from an already tuned model; --mine-with: mine with another model than the one
    # trained (a tuned model's own mistakes are harder negatives than the base model's).
    model = load_model(str(args.init) if args.init else "base", args.device)
    miner = load_model(str(args.mine_with), args.device) if args.mine_with else model
    train_questions = load_questions(args.train / "questions.json")
    if args.extra is not None:
        # Hand-written paraphrases on the same articles (news readers paraphrase; SQuAD copies words).
        train_questions += load_questions(args.extra)
    train_sentences = load_sentences(args.train / "corpus")
    started = time.perf_counter()
    miner.eval()
    with torch.no_grad():
        triplets, stats = mine_triplets(train_questions, train_sentences, miner, args.negatives)
    del miner
    log.info(
        "mined %d triplets from %d sentences in %.0fs: %s",
        len(triplets),
        len(train_sentences),
        time.perf_counter() - started,
        asdict(stats),
    )
    if args.limit:
        triplets = triplets[: args.limit]
    with (run_dir / "triplets.jsonl").open("w", encoding="utf-8") as fh:
        for t in triplets:
            fh.write(json.dumps(asdict(t), ensure_ascii=False) + "\n")

    if synonyms is not None:
        log.info("WordNet synonyms for %d words (%s)", len(synonyms.table), args.wordnet)
    model.max_seq_length = args.max_length
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    rng = random.Random(args.seed)
    steps_per_epoch = math.ceil(len(triplets) / args.batch_size)
    total = steps_per_epoch * args.epochs
    warmup = max(1, round(0.1 * total))

    def schedule(step: int) -> float:
        # Linear warm-up over the first 10% of steps, then linear decay to zero.
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total - step) / max(1, total - warmup))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    log.info(
        "training: %d epochs x %d steps (batch %d, %d negatives, lr %g, warm-up %d steps, max length %d, "
        "device %s, %d torch threads)",
        args.epochs,
        steps_per_epoch,
        args.batch_size,
        args.negatives,
        args.lr,
        warmup,
        args.max_length,
        args.device,
        torch.get_num_threads(),
    )
    epoch_seconds: list[float] = []
    step = 0
    train_started = time.perf_counter()
    for epoch in range(args.epochs):
        model.train()
        epoch_started = time.perf_counter()
        running = 0.0
        for batch in batches(triplets, args.batch_size, rng):
            if args.overlap_dropout:
                batch = [
                    replace(t, question=drop_overlap(t.question, t.positive, args.overlap_dropout, rng))
                    for t in batch
                ]
            if synonyms is not None:
                batch = [
                    replace(
                        t, question=swap_synonyms(t.question, t.positive, args.synonym_swap, synonyms, rng)
                    )
                    for t in batch
                ]
            loss = batch_loss(model, batch, args.scale, args.device)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            step += 1
            running += float(loss.detach())
            if step % LOG_EVERY == 0 or step == total:
                elapsed = time.perf_counter() - train_started
                log.info(
                    "epoch %d step %d/%d loss %.4f lr %.2e elapsed %.0fs eta %.0fs",
                    epoch + 1,
                    step,
                    total,
                    running / (step - epoch * steps_per_epoch),
                    scheduler.get_last_lr()[0],
                    elapsed,
                    elapsed / step * (total - step),
                )
        epoch_seconds.append(time.perf_counter() - epoch_started)
        log.info(
            "epoch %d done in %.0fs, mean loss %.4f", epoch + 1, epoch_seconds[-1], running / steps_per_epoch
        )
    model.eval()
    info: dict[str, object] = {
        "triplets": len(triplets),
        "mining": asdict(stats),
        "steps": total,
        "epoch_seconds": epoch_seconds,
        "train_seconds": time.perf_counter() - train_started,
        "torch_threads": torch.get_num_threads(),
        "torch_version": torch.__version__,
    }
    return model, info


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--lr", type=float, default=3e-5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--negatives", type=int, default=1, help="hard negatives per question")
    parser.add_argument("--max-length", type=int, default=128, help="token limit while training")
    parser.add_argument("--scale", type=float, default=20.0, help="cosine scale (inverse temperature)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument(
        "--train", type=Path, default=DEFAULT_TRAIN, help="training corpus/ and questions.json"
    )
    parser.add_argument(
        "--extra",
        type=Path,
        default=None,
        help="more training questions on the same articles, e.g. training/data/paraphrase-train.json",
    )
    parser.add_argument(
        "--init",
        type=Path,
        default=None,
        help="start from (and mine hard negatives with) this model folder instead of the base model",
    )
    parser.add_argument(
        "--mine-with",
        type=Path,
        default=None,
        help="mine the hard negatives with this model folder instead of the one trained",
    )
    parser.add_argument(
        "--overlap-dropout",
        type=float,
        default=0.0,
        help="leave out each question word its answer sentence shares at this rate (drawn anew per step)",
    )
    parser.add_argument(
        "--synonym-swap",
        type=float,
        default=0.0,
        help="replace each question word its answer sentence shares by a WordNet synonym at this rate",
    )
    parser.add_argument(
        "--synonym-senses", type=int, default=1, help="draw synonyms from each word's N most frequent senses"
    )
    parser.add_argument(
        "--wordnet", type=Path, default=DEFAULT_WORDNET, help="WordNet database folder (--synonym-swap)"
    )
    parser.add_argument("--bench", type=Path, default=DEFAULT_BENCH, help="dev benchmark, evaluation only")
    parser.add_argument("--out", type=Path, required=True, help="where the fine-tuned model folder goes")
    parser.add_argument("--run-name", help="log folder name under training/runs (default: from the settings)")
    parser.add_argument(
        "--limit", type=int, default=0, help="train on the first N triplets only (smoke tests)"
    )
    parser.add_argument("--no-eval", action="store_true", help="skip the base-vs-tuned dev evaluation")
    args = parser.parse_args(argv)
    if not 0.0 <= args.overlap_dropout <= 1.0:
        parser.error(f"--overlap-dropout is a rate in [0, 1], not {args.overlap_dropout:g}.")
    if not 0.0 <= args.synonym_swap <= 1.0:
        parser.error(f"--synonym-swap is a rate in [0, 1], not {args.synonym_swap:g}.")
    synonyms = None
    if args.synonym_swap:
        # Loaded before mining and training start, so that a missing database fails at once.
        vocabulary = {
            w for w in (bundled_model_path() / "vocab.txt").read_text(encoding="utf-8").split() if w.isalpha()
        }
        try:
            synonyms = load_synonyms(args.wordnet, senses=args.synonym_senses, vocabulary=vocabulary)
        except WordNetMissing as exc:
            parser.error(f"--synonym-swap needs the WordNet database: {exc}")

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    name = args.run_name or (
        f"e{args.epochs}-lr{args.lr:g}-b{args.batch_size}-n{args.negatives}-len{args.max_length}-s{args.seed}"
    )
    run_dir = DEFAULT_RUNS / name
    run_dir.mkdir(parents=True, exist_ok=True)
    # Only this script's logger: libraries' INFO chatter (bm25s) stays out of the log.
    log.setLevel(logging.INFO)
    for handler in (logging.FileHandler(run_dir / "train.log"), logging.StreamHandler(sys.stderr)):
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        log.addHandler(handler)
    log.info(
        "command: %s",
        " ".join([Path(sys.executable).name, "-m", "training.finetune_embedder", *sys.argv[1:]]),
    )

    model, info = train(args, run_dir, synonyms)
    report: dict[str, object] = {"settings": {k: str(v) for k, v in vars(args).items()}, "training": info}
    rows = []
    if not args.no_eval:
        sentences = load_sentences(args.bench / "corpus")
        questions = load_questions(args.bench / "questions.json")
        model.max_seq_length = INFERENCE_MAX_LENGTH
        rows.append(evaluate(load_model("base", "cpu"), "base", sentences, questions))
        rows.append(evaluate(model, f"{name} fp32", sentences, questions))
    save_shippable(model, args.out)
    log.info("saved %s", args.out)
    if not args.no_eval:
        # Judge the saved (float16-on-disk) folder as the app will load it: it must match the fp32 figures.
        rows.append(evaluate(load_model(str(args.out), "cpu"), f"{name} saved", sentences, questions))
        log.info("dev evaluation (%s):\n%s", args.bench, table(rows))
        report["dev"] = [asdict(r) for r in rows]
    (run_dir / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

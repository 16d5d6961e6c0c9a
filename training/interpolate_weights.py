"""Interpolate two sentence-transformers models' weights (WiSE-FT: Wortsman et al., 2022).

``alpha`` is the tuned model's share: ``alpha * tuned + (1 - alpha) * base``, tensor by tensor. The
fine-tuned model learned SQuAD's Wikipedia questions, which reuse their article's words; pulling it
back towards the base model is the usual cheap way to keep more of the base model's general
paraphrase knowledge on other text (news here). Tried, not shipped: training/README.md.

Usage (from the repository root)::

    .venv/bin/python -m training.interpolate_weights --alpha 0.75 --out /tmp/wise-0.75
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from safetensors.torch import load_file, save_file

from vectorstore.embedding import bundled_model_path, tuned_model_path


def interpolate(tuned: Path, base: Path, alpha: float, out: Path) -> None:
    """Write ``out``: a copy of ``tuned``'s folder whose weights are ``alpha``-mixed with ``base``'s."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha is the tuned model's share, in [0, 1], not {alpha!r}.")
    tuned_weights = load_file(str(tuned / "model.safetensors"))
    base_weights = load_file(str(base / "model.safetensors"))
    if set(tuned_weights) != set(base_weights):
        raise ValueError(f"{tuned} and {base} hold different tensors: they are not the same architecture.")
    # Integer buffers (position_ids) are indices, not weights: they are kept as the tuned model has them.
    mixed = {
        name: (alpha * weight.float() + (1.0 - alpha) * base_weights[name].float()).to(weight.dtype)
        if weight.is_floating_point()
        else weight
        for name, weight in tuned_weights.items()
    }
    if out.exists():
        shutil.rmtree(out)
    # Everything but the weights, which are written mixed (a failed write leaves no model to load).
    shutil.copytree(tuned, out, ignore=shutil.ignore_patterns("model.safetensors"))
    save_file(mixed, str(out / "model.safetensors"), metadata={"format": "pt"})


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--alpha", type=float, required=True, help="the tuned model's share, 0..1")
    parser.add_argument("--tuned", type=Path, default=tuned_model_path())
    parser.add_argument("--base", type=Path, default=bundled_model_path())
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    interpolate(args.tuned, args.base, args.alpha, args.out)
    print(f"wrote {args.out} (alpha {args.alpha})")


if __name__ == "__main__":
    main()

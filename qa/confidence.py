"""The calibrated probability that the first quote answers the question.

A logistic model over :func:`qa.pipeline.decision_features`, fitted by
``training/fit_confidence.py`` on the SQuAD 2.0 training articles (never on
the benchmark) and shipped as ``qa/models/confidence.json``. Its reliability
table is in docs/quality.md.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .errors import QAError
from .records import Support
from .settings import AnswerSettings

DEFAULT_MODEL = "confidence.json"


@dataclass(frozen=True)
class ConfidenceModel:
    """``sigmoid(bias + Σ weight·(feature - mean) / scale)``; features the model does not name are ignored."""

    weights: Mapping[str, float]
    bias: float
    means: Mapping[str, float]
    scales: Mapping[str, float]
    embedder: str = ""
    """The embedding model the weights were fitted with (dense scores differ between models)."""

    def probability(self, features: Mapping[str, float]) -> float:
        z = self.bias
        for name, weight in self.weights.items():
            value = features.get(name, 0.0)
            z += weight * (value - self.means.get(name, 0.0)) / (self.scales.get(name, 1.0) or 1.0)
        return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))

    @classmethod
    def for_embedder(cls, model_name: str) -> ConfidenceModel:
        """The model fitted with this embedding model (``confidence-<name>.json``), else the default."""
        slug = model_name.rsplit("/", 1)[-1].split("@", 1)[0].replace("+", "-")
        candidate = resources.files("qa") / "models" / f"confidence-{slug}.json"
        return cls.load(Path(str(candidate)) if candidate.is_file() else None)

    @classmethod
    def load(cls, path: str | Path | None = None) -> ConfidenceModel:
        try:
            if path is None:
                raw = (resources.files("qa") / "models" / DEFAULT_MODEL).read_text(encoding="utf-8")
            else:
                raw = Path(path).read_text(encoding="utf-8")
            data = json.loads(raw)
            return cls(
                weights={str(k): float(v) for k, v in data["weights"].items()},
                bias=float(data["bias"]),
                means={str(k): float(v) for k, v in data.get("means", {}).items()},
                scales={str(k): float(v) for k, v in data.get("scales", {}).items()},
                embedder=str(data.get("embedder", "")),
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise QAError(
                f"Cannot read the confidence model {path or DEFAULT_MODEL} ({exc}): reinstall corpus-qa "
                "or rebuild it with `python training/fit_confidence.py`."
            ) from exc


def answer_probability(model: ConfidenceModel, features: Mapping[str, float], settings: AnswerSettings) -> float:
    """The model's probability, cut by ``missing_type_factor`` when the first quote lacks the kind of
    answer asked for ("When…?" answered by a sentence with no date is no answer, however close its
    words) or the time the question pins ("…in 1973?"); by ``negation_missing_factor`` when the
    question is negated and the quote negates nothing ("What did the treaty *not* cover?" answered by "The treaty covered fishing quotas.");
    by ``silent_speaker_factor`` when nobody asked about speaks, and by ``withheld_name_factor`` when
    the quote refers to the thing whose name is asked without naming it; by ``type_rescued_factor`` when
    the quote holds the asked type only because a closer sentence without it was passed over.
    Rules, not fitted weights: the training articles hold too few such questions for a fit to see
    them (docs/design.md)."""
    p = model.probability(features)
    if features.get("type_missing") or features.get("time_missing"):
        p *= settings.missing_type_factor
    if features.get("negation_missing"):
        p *= settings.negation_missing_factor
    if features.get("speaker_silent"):
        p *= settings.silent_speaker_factor
    if features.get("name_withheld"):
        p *= settings.withheld_name_factor
    if features.get("type_rescued"):
        p *= settings.type_rescued_factor
    return p


def support_level(confidence: float, abstain_below: float, strong_from: float) -> Support:
    """What the chat tells the reader: strong support, partial support (read the source), or none."""
    if confidence < abstain_below:
        return "none"
    return "strong" if confidence >= strong_from else "partial"

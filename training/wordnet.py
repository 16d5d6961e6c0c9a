"""WordNet 3.0 synonyms for training-time question paraphrase (``finetune_embedder --synonym-swap``).

Reads the plain WordNet database files (``index.*``, ``data.*``, ``*.exc``) as Debian's
``wordnet-base`` package installs them in ``/usr/share/wordnet``; nothing at query time uses
WordNet. WordNet 3.0 Copyright 2006 by Princeton University (WordNet 3.0 licence: use, copy,
modify and distribute with the copyright notice kept).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

DEFAULT_WORDNET = Path("/usr/share/wordnet")
_POS = ("noun", "verb", "adj", "adv")
# WordNet's own "morphy" detachment rules: an inflected form back to its lemma.
_RULES = (
    ("s", ""), ("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"), ("ies", "y"),
    ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""), ("ing", "e"), ("ing", ""), ("er", ""), ("est", ""),
    ("er", "e"), ("est", "e"),
)  # fmt: skip


class WordNetMissing(RuntimeError):
    """The WordNet database files are not where they were looked for."""


@dataclass(frozen=True)
class Synonyms:
    """Single-word synonyms of each lemma, from its ``senses`` most frequent senses."""

    table: dict[str, frozenset[str]]
    lemmas: frozenset[str]
    exceptions: dict[str, frozenset[str]]

    def lemmas_of(self, word: str) -> frozenset[str]:
        """``word``'s lemmas: itself, WordNet's irregular forms ("took" -> "take") and morphy's rules."""
        word = word.lower()
        out = {word} | set(self.exceptions.get(word, ()))
        for suffix, ending in _RULES:
            if word.endswith(suffix) and len(word) > len(suffix) + 2:
                stem = word[: -len(suffix)] + ending
                if stem in self.lemmas:
                    out.add(stem)
                # "backing" <- "back", "stopped" <- "stop": a doubled final consonant.
                if (
                    suffix in ("ed", "ing")
                    and len(stem) > 3
                    and stem[-1] == stem[-2]
                    and stem[:-1] in self.lemmas
                ):
                    out.add(stem[:-1])
        return frozenset(out)

    def of(self, word: str) -> frozenset[str]:
        """The synonyms of any of ``word``'s lemmas, less those lemmas."""
        lemmas = self.lemmas_of(word)
        found: set[str] = set()
        for lemma in lemmas:
            found |= self.table.get(lemma, frozenset())
        return frozenset(found - lemmas)


def load_synonyms(
    folder: Path = DEFAULT_WORDNET, *, senses: int = 1, vocabulary: Collection[str] | None = None
) -> Synonyms:
    """The synonym table of the WordNet database in ``folder``. ``vocabulary``: keep only words in it
    (e.g. the tokenizer's whole words), which leaves out rare and archaic senses' words."""
    if not (folder / "index.noun").is_file():
        raise WordNetMissing(
            f"No WordNet database in {folder} (index.noun is missing): install it with "
            "`sudo apt-get install wordnet-base` (Debian/Ubuntu) or pass --wordnet DIR."
        )
    table: dict[str, set[str]] = {}
    lemmas: set[str] = set()
    for pos in _POS:
        members = _synset_members(folder / f"data.{pos}")
        for line in (folder / f"index.{pos}").read_text(encoding="latin-1").splitlines():
            if line.startswith("  "):
                continue  # the licence header
            fields = line.split()
            lemma = fields[0]
            if not lemma.isalpha():
                continue  # collocations ("plump_for") and hyphenated forms
            lemmas.add(lemma)
            if vocabulary is not None and lemma not in vocabulary:
                continue
            # Synset offsets close the line, most frequent sense first.
            offsets = fields[-int(fields[2]) :]
            for offset in offsets[:senses]:
                for word in members.get(offset, ()):
                    if word != lemma and (vocabulary is None or word in vocabulary):
                        table.setdefault(lemma, set()).add(word)
    exceptions: dict[str, set[str]] = {}
    for pos in _POS:
        for line in (folder / f"{pos}.exc").read_text(encoding="latin-1").splitlines():
            form, *bases = line.split()
            exceptions.setdefault(form, set()).update(bases)
    return Synonyms(
        table={k: frozenset(v) for k, v in table.items()},
        lemmas=frozenset(lemmas),
        exceptions={k: frozenset(v) for k, v in exceptions.items()},
    )


def _synset_members(path: Path) -> dict[str, tuple[str, ...]]:
    """Each synset's single-word members, by offset (``data.<pos>``: offset, lexfile, type, hex word
    count, then word / lex_id pairs)."""
    out: dict[str, tuple[str, ...]] = {}
    for line in path.read_text(encoding="latin-1").splitlines():
        if line.startswith("  "):
            continue
        fields = line.split()
        count = int(fields[3], 16)
        words = (fields[4 + 2 * i].lower() for i in range(count))
        out[fields[0]] = tuple(w for w in words if w.isalpha())
    return out

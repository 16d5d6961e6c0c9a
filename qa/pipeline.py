"""The answer pipeline as small, pure stages over typed records.

``query`` → ``fuse`` (dense + BM25 by reciprocal rank) → ``sentence_keys``
→ ``score_sentences`` → ``pick_quotes``; ``decision_features`` feeds the
confidence model. :class:`qa.engine.CorpusQA` runs them once per question;
evaluation and tuning scripts call the same functions, so no formula is
written twice. Nothing here touches storage: inputs come from a
:class:`qa.protocols.CorpusReader` through the engine.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from vectorstore.records import Document
from vectorstore.sentences import NOTE_MARKER, line_end, line_start, next_line_start, previous_line_end

from . import features as ft
from .errors import InvalidHistoryError, InvalidQuestionError
from .lexical import LexicalIndex, tokenize
from .protocols import SentenceKey, Snapshot
from .records import Passage, Quote
from .settings import AnswerSettings

Weighted = tuple[tuple[tuple[str, ...], float], ...]


@dataclass(frozen=True)
class Query:
    """A validated question, embedded once, with its weighted words (a follow-up borrows the last question's)."""

    text: str
    """The question as read: without its framing about the article (``features.topic_text``)."""
    vector: np.ndarray
    parts: Weighted
    follow_up: bool = False
    # A follow-up's topic: the earlier question(s) it reads in the light of ("" for a first question).
    topic: str = ""
    asked: str = ""
    """The question as asked; ``text`` when empty (see :attr:`question`)."""

    @property
    def question(self) -> str:
        """The question as the answer echoes it: as asked, framing and all."""
        return self.asked or self.text


@dataclass(frozen=True)
class Ranked:
    """A chunk after fusion, with where each ranking put it (None: not in that ranking)."""

    chunk_id: str
    score: float
    dense_rank: int | None
    lexical_rank: int | None
    dense: float
    lexical: float


@dataclass(frozen=True)
class Candidate:
    """A scored quote candidate: one sentence, or two adjacent ones (``end`` covers both)."""

    chunk_id: str
    position: int
    doc_id: str
    start: int
    end: int
    text: str
    dense: float
    coverage: float
    passage: float
    type_match: float
    score: float
    sentences: int = 1
    byline: float = 0.0
    """1.0 when the question asks who wrote the article and this is its byline."""
    fragment: float = 0.0
    """1.0 when it holds no whole sentence (a headline, a caption, a handle alone)."""
    form_match: float = 0.0
    """How well it fits the question's form, in answer types: ``FORM_ECHO`` each for a negation echoed
    ("…not…" answered by a sentence that negates), for the asked-about speaker speaking ("What did
    Lavrov say…" answered by "Lavrov said…", not by "Putin told Lavrov…"), and for a form cue of
    ``features.form_cues`` (a reason for "why", a quoted expression for "what word", a name or
    gloss for "what is the term for"); minus ``FORM_ECHO`` when it gives the asked-about office or
    thing to another owner ("Cuba's Foreign Minister" for "Who is Russia's foreign minister?",
    ``features.owner_conflict``), which also clears its ``type_match``; plus ``FORM_ECHO`` when it
    states the asked relation ("president of Cuba" for "Who is Cuba's president?", ``owner_echo``)."""
    speaking: bool = False
    """The speaker a "What did X say…" question asks about speaks in it, or it stands inside a
    quotation that X's paragraph opened earlier (``features.quoted_by``)."""
    voiced_nearby: bool = False
    """Not ``speaking``, but someone unnamed speaks in it ("…,” the minister went on", "he said") with X
    named earlier in its paragraph or the one before: it may be X's words, the reader must check."""
    typed_over: float = 0.0
    """Set by :func:`prefer_typed`: how far the higher-scoring sentence it went ahead of outscored it."""
    table_row: bool = False
    """A row of a table (:func:`table_header`): scored with its header row, never paired with the next line."""


# What each such fit counts, in answer types (chosen on squad2-dev and news-dev among 0.25, 0.5 and 1
# for negation: the same first quotes; docs/quality.md).
FORM_ECHO = 0.5


# -- validation ------------------------------------------------------------------


def validate_text(value: object, what: str, limit: int) -> str:
    """Strip and check a question (or a history turn): text, no NUL, no lone surrogates, not too long."""
    if not isinstance(value, str):
        raise InvalidQuestionError(f"The {what} must be text, not {type(value).__name__}.")
    if "\x00" in value:
        raise InvalidQuestionError(f"The {what} contains NUL characters: remove them and ask again.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidQuestionError(
            f"The {what} contains invalid characters (lone surrogates): retype it and ask again."
        ) from None
    text = value.strip()
    if len(text) > limit:
        raise InvalidQuestionError(
            f"The {what} is {len(text):,} characters long; the limit is {limit:,}. Ask it in a sentence or two."
        )
    return text


def validate_question(question: object, limit: int) -> str:
    text = validate_text(question, "question", limit)
    if not text:
        raise InvalidQuestionError("Please type a question about the articles.")
    return text


def previous_questions(history: object, limit: int = 2000) -> list[str]:
    """The user's earlier questions, newest last, from any common chat-history shape.

    Accepts a list of strings, of ``(user, assistant)`` pairs, or of
    ``{"role": ..., "content": ...}`` messages (Gradio's format). Each
    question is validated like a new one (an invalid turn is an
    :class:`InvalidHistoryError` naming it).
    """
    if history is None:
        return []
    if not isinstance(history, list | tuple):
        raise InvalidHistoryError(
            f"history must be a list of turns, not {type(history).__name__}: pass "
            '[{"role": "user", "content": "..."}, ...] or [(question, answer), ...].'
        )
    questions: list[str] = []
    for i, turn in enumerate(history):
        if isinstance(turn, str):
            content: object = turn
        elif isinstance(turn, dict):
            role = turn.get("role")
            if role not in {"user", "assistant", "system"}:
                raise InvalidHistoryError(f"history[{i}] has role {role!r}: use 'user' or 'assistant'.")
            if role != "user":
                continue
            if "content" not in turn:
                raise InvalidHistoryError(
                    f'history[{i}] has no "content": give each message its text, {{"role": "user", "content": "..."}}.'
                )
            content = _content_text(turn["content"], i)
        elif isinstance(turn, list | tuple) and len(turn) == 2:
            if turn[0] is None:
                continue
            content = _content_text(turn[0], i)
        else:
            raise InvalidHistoryError(
                f"history[{i}] is a {type(turn).__name__}: each turn must be a message dict, "
                "a (question, answer) pair or a string."
            )
        try:
            text = validate_text(content, "question", limit)
        except InvalidQuestionError as exc:
            raise InvalidHistoryError(f"history[{i}]: {exc}") from None
        if text:
            questions.append(text)
    return questions


def _content_text(content: object, i: int) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # Gradio's list of content parts
        return " ".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content if p)
    if isinstance(content, dict) and isinstance(content.get("text"), str):
        return str(content["text"])
    raise InvalidHistoryError(f"history[{i}] has content of type {type(content).__name__}: use text.")


# -- stages ----------------------------------------------------------------------


def build_query(
    question: object, history: object, settings: AnswerSettings, embed: Callable[[Sequence[str]], np.ndarray]
) -> Query:
    """Validate, read a follow-up in the light of the previous question (and of the ones before it
    while each is a follow-up too), embed once."""
    asked = validate_question(question, settings.max_question_chars)
    # "According to the article, who paid?" asks "Who paid?": every stage reads the question without
    # its framing, which no sentence answers and which hides the question's form ("who…").
    text = ft.topic_text(asked)
    earlier = [ft.topic_text(turn) for turn in previous_questions(history, settings.max_question_chars)]
    texts = [text]
    parts: list[tuple[tuple[str, ...], float]] = [(tuple(tokenize(text)), 1.0)]
    follow_up = bool(earlier) and _reads_as_follow_up(text, settings)
    context = ""
    if follow_up:
        # "How long did he stay?" after "When did he arrive?": the previous question is a follow-up
        # too, so its topic comes from the one before it ("Who is Cuba's president?").
        topic = [earlier[-1]]
        for turn in reversed(earlier[:-1]):
            if len(topic) >= settings.follow_up_turns or not _reads_as_follow_up(topic[0], settings):
                break
            topic.insert(0, turn)
        context = " ".join(topic)
        texts.append(context)
        parts.append((tuple(tokenize(context)), settings.history_weight))
    vectors = embed(texts)
    vector = np.asarray(vectors[0], dtype=np.float32).copy()
    if follow_up:
        vector = vector + settings.history_weight * vectors[1]
        vector /= float(np.linalg.norm(vector)) or 1.0
    return Query(text=text, vector=vector, parts=tuple(parts), follow_up=follow_up, topic=context, asked=asked)


def _reads_as_follow_up(text: str, settings: AnswerSettings) -> bool:
    """A pronoun ("When did *he* arrive?") or a question this short ("And Lavrov?")."""
    return bool(ft.FOLLOW_UP.search(text)) or len(text.split()) <= settings.follow_up_max_words


def fuse(
    dense: Sequence[tuple[str, float]], lexical: Sequence[tuple[str, float]], settings: AnswerSettings
) -> list[Ranked]:
    """Reciprocal-rank fusion of the dense and BM25 rankings, best first (ties by id)."""
    dense_rank = {cid: r for r, (cid, _) in enumerate(dense)}
    lexical_rank = {cid: r for r, (cid, _) in enumerate(lexical)}
    dense_score = dict(dense)
    lexical_score = dict(lexical)
    out = []
    for cid in dense_rank.keys() | lexical_rank.keys():
        score = 0.0
        if cid in dense_rank:
            score += settings.dense_fusion_weight / (settings.rrf_k + dense_rank[cid] + 1)
        if cid in lexical_rank:
            score += settings.lexical_fusion_weight / (settings.rrf_k + lexical_rank[cid] + 1)
        out.append(
            Ranked(
                cid,
                score,
                dense_rank.get(cid),
                lexical_rank.get(cid),
                dense_score.get(cid, 0.0),
                lexical_score.get(cid, 0.0),
            )
        )
    out.sort(key=lambda r: (-r.score, r.chunk_id))
    return out


def sentence_keys(
    snapshot: Snapshot,
    ranked: Sequence[Ranked],
    hits: Sequence[tuple[str, int, float]],
    settings: AnswerSettings,
) -> list[SentenceKey]:
    """Every sentence of the top passages, plus the nearest sentences of the whole corpus."""
    keys: dict[SentenceKey, None] = {}
    for item in ranked[: settings.passages]:
        for position in range(snapshot.sentence_count(item.chunk_id)):
            keys.setdefault((item.chunk_id, position), None)
    for chunk_id, position, _ in hits:
        if chunk_id in snapshot.chunks and 0 <= position < snapshot.sentence_count(chunk_id):
            keys.setdefault((chunk_id, position), None)
    return list(keys)


def term_weights(query: Query, lexical: LexicalIndex) -> dict[str, float]:
    """IDF weight of each question word (a borrowed word weighs ``history_weight`` as much)."""
    weights: dict[str, float] = {}
    for tokens, weight in query.parts:
        for t in set(tokens):
            weights[t] = max(weights.get(t, 0.0), weight * lexical.idf(t))
    return weights


def coverage(weights: Mapping[str, float], text: str) -> float:
    """Share of the question's IDF weight that ``text`` holds (stem-aware)."""
    total = sum(weights.values()) or 1.0
    words, stems = _words_and_stems(text)
    return sum(w for t, w in weights.items() if ft.matches(t, words, stems)) / total


@functools.lru_cache(maxsize=8192)
def _words_and_stems(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """A candidate's words and their stems: the same sentences come up for question after question."""
    words = frozenset(tokenize(text, compounds=True))
    return words, ft.word_stems(words)


def sentence_score(
    dense: float,
    coverage: float,
    passage: float,
    type_match: float,
    byline: float,
    chars: int,
    fragment: float,
    s: AnswerSettings,
) -> float:
    """The hand-weighted sentence score (weights chosen by benchmarks/tune_weights.py).

    A byline answers "who wrote…" however little it shares with the question; a sentence too
    long to quote whole loses ``long_sentence_penalty`` (long sentences cover many words by size);
    a fragment (a headline, a caption: no closing punctuation) loses ``fragment_penalty``.
    """
    score = s.dense_weight * dense + s.lexical_weight * coverage + s.passage_weight * passage
    score += s.type_weight * type_match + s.byline_weight * byline
    return score - (s.long_sentence_penalty if chars > s.max_quote_chars else 0.0) - s.fragment_penalty * fragment


def rescore(candidate: Candidate, s: AnswerSettings) -> float:
    """``candidate``'s score under other settings (tuning re-ranks with the engine's own formula)."""
    c = candidate
    typed = c.type_match + c.form_match
    return sentence_score(c.dense, c.coverage, c.passage, typed, c.byline, len(c.text), c.fragment, s)


_CLOSED = re.compile(rf"[.!?…]['\"’”»)\]]*{NOTE_MARKER}*\s*$")  # "…in 1978.[3]" ends a sentence too


def is_fragment(text: str) -> float:
    """1.0 for text that does not end like a sentence (headlines, captions, handles)."""
    return 0.0 if _CLOSED.search(text) else 1.0


def score_sentences(
    snapshot: Snapshot,
    query: Query,
    ranked: Sequence[Ranked],
    keys: Sequence[SentenceKey],
    vectors: Mapping[SentenceKey, np.ndarray],
    lexical: LexicalIndex,
    settings: AnswerSettings,
) -> list[Candidate]:
    """Score each candidate sentence; where two adjacent ones answer better together, quote both."""
    s = settings
    best_fused = ranked[0].score if ranked else 1.0
    passage_score = {r.chunk_id: r.score / best_fused for r in ranked}
    weights = term_weights(query, lexical)
    # "How did Lavrov describe…": the speech verb says whose words are asked for (``speaking``), not
    # what they are about; a sentence saying "described" is no closer to them.
    for token in tokenize(ft.speech_verb(query.text)):
        weights.pop(token, None)
    cues = ft.type_cues(query.text)
    who = ft.asks_name(query.text)
    author = ft.asks_byline(query.text)
    handle = author and ft.asked_kind(query.text) == "handle"
    words = ft.question_words(query.text)
    category = ft.asked_category(query.text)
    counted = ft.counted_words(query.text)
    event = ft.asked_event(query.text)
    negated = ft.asks_negated(query.text)
    speaker = ft.asked_speaker(query.text)
    office = ft.asked_office(query.text) if who else ""
    # A byline stands above lines about something else: for "who wrote…?" its name is no other thing's.
    asked_names = frozenset() if author else ft.question_names(query.text)
    forms = ft.form_cues(query.text)
    # "When did he take the post?" after "Who is Russia's foreign minister?" still asks about Russia's.
    possessed = ft.possessions(query.text) + ft.possessions(query.topic)
    top_doc = snapshot.chunks[ranked[0].chunk_id].doc_id if ranked else ""

    def make(chunk_id: str, position: int, span_end: int, dense: float, n: int, also: str = "") -> Candidate:
        chunk = snapshot.chunks[chunk_id]
        doc = snapshot.documents[chunk.doc_id]
        start = chunk.sentences[position].start
        text = doc.text[start:span_end]
        # Only a quote of fragments alone is one: a handle with the sentence after it, or a caption
        # with its credit line ("… state visit. Photograph: Sergei Chirikov"), reads as a sentence.
        fragment = is_fragment(text)
        if fragment and n == 2:
            fragment = is_fragment(doc.text[start : chunk.sentences[position].end])
        # A table row ("Seabrook | 6,900") is read with its table's header row ("Town | Homes without
        # power"): the header says what the numbers are, so "How many homes in Seabrook…" matches it.
        # A row is a whole datum, not a headline: no fragment penalty.
        header = table_header(doc.text, start) if " | " in text else None
        if header is not None:
            fragment = 0.0
        cov = coverage(weights, text if header is None or text.startswith(header) else f"{header}\n{text}")
        # A pair across a chunk boundary stands in both passages: the better one counts.
        passage = max(passage_score.get(chunk_id, 0.0), passage_score.get(also, 0.0))
        kind = ft.type_match(text, cues, who, words, category, counted, event, asked_names)
        if n == 2 and not (who or author) and kind > 0:
            # A sentence before the one that matches is context, its numbers and dates its own: "The
            # company, founded in 2011, …" | "Veridian is also testing a similar tablet for tree nut
            # allergies…" gives no date for the tablet. Unless it shares a word with the question, the
            # type is read in the sentence after (which goes on about the first: "…,” he said").
            first_end = chunk.sentences[position].end
            if coverage(weights, doc.text[start:first_end]) == 0:
                kind = ft.type_match(doc.text[first_end:span_end], cues, who, words, category, counted, event, asked_names)
        # The asked-about speaker speaks in it, or it stands in a quotation of theirs that their
        # paragraph opened earlier.
        speaking = bool(speaker) and (
            ft.speaks(text, speaker)
            or ft.quoted_by(line_before(doc.text, start), speaker)
            or quotation_continued_by(doc.text, start, speaker)
        )
        # A negated question ("…never…") is answered by a sentence that negates too; "what did
        # Lavrov say" by one where Lavrov speaks; "why" by one that gives a reason, and so on
        # (features.form_cues).
        form = FORM_ECHO * (
            float(negated and ft.negates(text))
            + float(speaking)
            + float(any(p.search(text) for p in forms))
        )
        if possessed and ft.owner_conflict(possessed, text):
            # Another owner's office or thing ("Cuba's Foreign Minister" for "Russia's foreign
            # minister"): the names and dates it holds are that owner's, no answer here.
            kind, form = 0.0, form - FORM_ECHO
        elif possessed and ft.owner_echo(possessed, text):
            # The relation asked about, stated ("…since becoming president of Cuba" for "Who is
            # Cuba's president?"): a new name beside it answers as a name in apposition does.
            form += FORM_ECHO
            if who and kind >= 0.5:
                kind = 1.0
        if office and not ft.names_office(office, *_words_and_stems(text)):
            # "Who is QuickCrate's chief executive?": a name beside no such office holds none.
            kind = 0.0
        if who and n == 1 and ft.PRONOUN_SPEAKER.search(text):
            # "“…,” he told Mr Volodin.": the speaker is named in the sentence before, not here.
            kind = min(kind, 0.25)
        # The byline of the article the question is about (the best passage's), found by the loader
        # or a "By …" line; never a mere handle, never another article's byline.
        is_byline = text.startswith(doc.byline) if doc.byline else bool(ft.BY_LINE.match(text))
        # …or, when a handle is asked for, the author's handle on the line just below it ("By John
        # Helmer, Moscow" | "@bears_with").
        if handle and doc.byline and not is_byline:
            is_byline = ft.HANDLE_LINE.match(text) is not None and doc.text[:start].rstrip().endswith(doc.byline)
        byline = float(author and doc.doc_id == top_doc and is_byline)
        if author and is_byline and doc.doc_id != top_doc:
            # Another article's byline names whoever wrote that one: no answer to "who wrote the
            # library article?" (its name and closeness to "who wrote" must not carry it).
            kind, form = 0.0, form - FORM_ECHO
        score = sentence_score(dense, cov, passage, kind + form, byline, len(text), fragment, s)
        nearby = bool(speaker) and not speaking and unnamed_speaker_after(doc.text, start, text, speaker)
        return Candidate(
            chunk_id, position, doc.doc_id, start, span_end, text, dense, cov, passage, kind, score, n, byline, fragment, form,
            speaking, nearby, table_row=header is not None,
        )

    singles: dict[SentenceKey, Candidate] = {}
    for key in keys:
        vector = vectors.get(key)
        if vector is None:
            continue
        chunk_id, position = key
        span = snapshot.chunks[chunk_id].sentences[position]
        single = make(chunk_id, position, span.end, float(np.dot(vector, query.vector)), 1)
        if span.end - span.start > s.max_quote_chars:
            single = _best_clauses(single, weights, s)
        singles[key] = single

    # The sentence after each candidate, found by offset: a chunk boundary is an artifact of indexing,
    # so "…Lavrov was clearer in public." | "“We call on…,” he said." still pair across it.
    starts = {(snapshot.chunks[cid].doc_id, snapshot.chunks[cid].sentences[pos].start): (cid, pos) for cid, pos in singles}

    def next_key(chunk_id: str, position: int) -> SentenceKey | None:
        chunk = snapshot.chunks[chunk_id]
        if position + 1 < len(chunk.sentences):
            return (chunk_id, position + 1)
        found = _NON_SPACE.search(snapshot.documents[chunk.doc_id].text, chunk.sentences[position].end)
        return starts.get((chunk.doc_id, found.start())) if found else None

    out: list[Candidate] = []
    for (chunk_id, position), single in singles.items():
        best = single
        chunk = snapshot.chunks[chunk_id]
        # A table row is whole on its own: the next row (or sentence) is another fact, not its rest.
        row = single.table_row
        following_key = next_key(chunk_id, position)
        following = singles.get(following_key) if following_key is not None else None
        # A pair starts where the whole first sentence starts (not where a clause cut of it does).
        if following is not None and not row and following.end - chunk.sentences[position].start <= s.max_quote_chars:
            pair = make(chunk_id, position, following.end, max(single.dense, following.dense), 2, following.chunk_id)
            if pair.score >= max(single.score, following.score) + s.pair_gain:
                best = pair
        short = single.end - single.start < s.short_sentence_chars
        if best is single and short and not row and position + 1 < len(chunk.sentences):
            # A fragment (a headline, a handle) reads better with the next sentence; it keeps
            # its own score, so it never outranks that sentence on the other's merit.
            end = chunk.sentences[position + 1].end
            if end - single.start <= s.max_quote_chars:
                text = snapshot.documents[single.doc_id].text[single.start : end]
                best = replace(single, end=end, text=text, sentences=2)
        out.append(best)
    out.sort(key=lambda c: (-c.score, c.chunk_id, c.position))
    return out


_NON_SPACE = re.compile(r"\S")


def table_header(text: str, offset: int) -> str | None:
    """The first row of the table whose row holds ``offset``, or None when that line is no table row.

    A table is what the HTML loader writes for one: two or more consecutive lines whose cells are
    joined by `` | ``. A lone line with a `` | `` in it ("{xx | x is a string}") is prose.
    """

    begin, end = line_start(text, offset), line_end(text, offset)
    if " | " not in text[begin:end]:
        return None
    first = begin
    while first > 0:
        above_end = previous_line_end(text, first)
        above = line_start(text, above_end)
        if " | " not in text[above:above_end]:
            break
        first = above
    after = next_line_start(text, end)
    below = after < len(text) and " | " in text[after : line_end(text, after)]
    if first == begin and not below:
        return None
    return text[first : line_end(text, first)].strip()


_CLAUSE_END = re.compile(r"(?<=[;,–—:])\s+")


def _best_clauses(candidate: Candidate, weights: Mapping[str, float], s: AnswerSettings) -> Candidate:
    """A sentence too long to quote, cut to its run of whole clauses (at ; , – :) that fits the limit
    and holds the most of the question. The cut is still verbatim: a sub-span of the article."""
    text = candidate.text
    cuts = [0, *(m.end() for m in _CLAUSE_END.finditer(text)), len(text)]
    best: tuple[float, int, int] | None = None
    for i, a in enumerate(cuts[:-1]):
        for b in cuts[i + 1 :]:
            piece = text[a:b].rstrip()
            if len(piece) > s.max_quote_chars:
                break
            value = coverage(weights, piece)
            if best is None or value > best[0] + 1e-9 or (abs(value - best[0]) <= 1e-9 and b - a > best[2] - best[1]):
                best = (value, a, a + len(piece))
    if best is None:
        return candidate
    value, a, b = best
    piece = text[a:b]
    cut = replace(
        candidate, start=candidate.start + a, end=candidate.start + b, text=piece, coverage=value, fragment=is_fragment(piece)
    )
    return replace(cut, score=rescore(cut, s))


def pick_quotes(
    snapshot: Snapshot, candidates: Sequence[Candidate], settings: AnswerSettings
) -> list[Quote]:
    """The best candidate and those close behind it, without repeats.

    A near-duplicate of an earlier quote is dropped, unless it comes from
    another article: two articles saying the same thing corroborate it. A copy
    of a quoted article (the same text under another name) corroborates
    nothing, nor do the same words again: those are dropped too.
    """
    if not candidates:
        return []
    best = candidates[0].score
    quotes: list[Quote] = []
    seen: list[tuple[str, set[str]]] = []
    quoted_texts: set[str] = set()
    quoted_hashes: set[str] = set()
    for item in candidates:
        if len(quotes) >= settings.max_quotes or item.score < best - max(settings.quote_margin, settings.corroboration_margin):
            break
        # Past the margin only another article's sentence that holds as much of the question as the
        # first quote does: the same point, corroborated.
        corroborates = item.doc_id not in {q.doc_id for q in quotes} and item.coverage >= candidates[0].coverage - 1e-9
        if item.score < best - settings.quote_margin and not corroborates:
            continue
        words = set(tokenize(item.text))
        if any(overlaps(q, item) for q in quotes):
            continue
        if any(
            doc == item.doc_id and ft.overlap(words, other) >= settings.near_duplicate_overlap
            for doc, other in seen
        ):
            continue
        doc = snapshot.documents[item.doc_id]
        same_words = " ".join(item.text.split())
        if item.doc_id not in {q.doc_id for q in quotes} and (
            doc.content_hash in quoted_hashes or same_words in quoted_texts
        ):
            continue
        seen.append((item.doc_id, words))
        quoted_texts.add(same_words)
        quoted_hashes.add(doc.content_hash)
        quotes.append(make_quote(doc, item.start, item.end, item.score))
    return quotes


def overlaps(a: Candidate | Quote, b: Candidate | Quote) -> bool:
    """Two spans of one article that share characters."""
    return a.doc_id == b.doc_id and a.start < b.end and b.start < a.end


def line_before(text: str, offset: int) -> str:
    """The text of ``offset``'s line before it (its paragraph so far, in a one-line-per-paragraph article)."""
    return text[line_start(text, offset) : offset]


def paragraph_before(text: str, offset: int) -> str:
    """The last non-blank line before ``offset``'s line, without its trailing space ("" if none). Read
    back from the line, not from a copy of the article before it: this runs once per candidate."""
    end = line_start(text, offset)
    while end > 0 and text[end - 1].isspace():
        end -= 1
    return text[line_start(text, end) : end]


def unnamed_speaker_after(text: str, offset: int, candidate: str, speaker: str) -> bool:
    """``candidate`` (at ``offset`` in ``text``) has an unnamed speaker ("he said", "the minister went
    on") and ``speaker`` is named before it in its paragraph or in the paragraph before."""
    if not ft.unnamed_speaker(candidate):
        return False
    return ft.names(line_before(text, offset), speaker) or ft.names(paragraph_before(text, offset), speaker)


def quotation_continued_by(text: str, offset: int, speaker: str) -> bool:
    """``offset``'s paragraph is a quotation with no attribution of its own, and ``speaker`` speaks
    in the paragraph before it (the last non-blank line before)."""
    if not ft.unattributed_quotation(line_after(text, line_start(text, offset))):
        return False
    return ft.speaks(paragraph_before(text, offset), speaker)


def line_after(text: str, offset: int) -> str:
    """The rest of ``offset``'s line."""
    return text[offset : line_end(text, offset)]


# A sentence ends on terminal punctuation, perhaps inside closing quotes or brackets.
_ENDS_SENTENCE = re.compile(rf"[.!?…][\"'”’)\]]*{NOTE_MARKER}*$")


def make_quote(doc: Document, start: int, end: int, score: float) -> Quote:
    paragraph, paragraphs = paragraph_of(doc.text, start)
    last = paragraph_of(doc.text, max(end - 1, start))[0]
    # A clause cut of a long sentence (or a sentence a chunk boundary split) starts after text on
    # its line that ends no sentence, or ends where its line goes on without ending one.
    before = line_before(doc.text, start).rstrip(" \t")
    after = line_after(doc.text, end).lstrip(" \t")
    return Quote(
        text=doc.text[start:end],
        doc_id=doc.doc_id,
        title=doc.title,
        start=start,
        end=end,
        score=round(score, 4),
        byline=doc.byline,
        paragraph=paragraph,
        paragraphs=paragraphs,
        source_path=doc.source_path,
        starts_mid_sentence=bool(before) and before[-1] not in "\r\n" and not _ENDS_SENTENCE.search(before),
        ends_mid_sentence=bool(after) and after[0] not in "\r\n" and not _ENDS_SENTENCE.search(doc.text[start:end]),
        last_paragraph=last if last > paragraph else 0,
    )


def make_passage(snapshot: Snapshot, item: Ranked) -> Passage:
    chunk = snapshot.chunks[item.chunk_id]
    doc = snapshot.documents[chunk.doc_id]
    return Passage(
        text=chunk.text,
        doc_id=doc.doc_id,
        title=doc.title,
        start=chunk.start,
        end=chunk.end,
        score=round(item.score, 6),
        chunk_id=item.chunk_id,
        byline=doc.byline,
    )


_PARAGRAPH = re.compile(r"(?<![^\r\n])[ \t]*\S")  # at a line's start, whichever break ended the last


@functools.lru_cache(maxsize=64)
def _paragraph_starts(text: str) -> tuple[int, ...]:
    return tuple(m.start() for m in _PARAGRAPH.finditer(text))


def paragraph_of(text: str, offset: int) -> tuple[int, int]:
    """(paragraph number, paragraph count) of ``offset``: "where in the article" for readers."""
    starts = _paragraph_starts(text)
    return max(bisect.bisect_right(starts, offset), 1), max(len(starts), 1)


def decision_features(
    query: Query,
    ranked: Sequence[Ranked],
    candidates: Sequence[Candidate],
    lexical: LexicalIndex,
    hits: Sequence[tuple[str, int, float]] = (),
) -> dict[str, float]:
    """What the confidence model reads: how well the best candidate answers, and whether the corpus
    uses the question's key terms at all."""
    # A follow-up ("Why did that deal fall through?") inherits its topic from the question before it.
    terms = ft.key_terms(tuple(t for tokens, _ in query.parts for t in tokens))
    # "Which Florida newspaper…?": the category's modifiers describe the answer, which an article
    # names without restating them ("The Miami Herald").
    modifiers = ft.category_modifiers(query.text)
    support = ft.key_support((t for t in terms if t not in modifiers), lambda t: _in_corpus(t, lexical))
    best = candidates[0] if candidates else None
    # The runner-up is the best candidate that is not part of the best one (a pair's own sentence is no rival).
    second = next((c.score for c in candidates[1:] if best is not None and not overlaps(c, best)), 0.0)
    if best is not None:
        best_words, best_stems = _words_and_stems(best.text)  # cached when the best was scored
        key_in_best = ft.key_support(terms, lambda t: ft.matches(t, best_words, best_stems))
    else:
        key_in_best = 0.0
    cues = ft.type_cues(query.text)
    # Only the miss is a feature: whether a question asks for a type says nothing by itself.
    asked = bool(cues) or ft.asks_name(query.text)
    # A negation the best quote does not echo (an article's byline answers "who wrote…" whatever it says).
    negation = best is not None and not ft.asks_author(query.text) and ft.negation_missing(query.text, best.text)
    # "What did Lavrov say…" answered by a quote in which Lavrov does not speak: often right (the
    # attribution stands a sentence or more before), often a near-miss; the reader must check.
    speaker = ft.asked_speaker(query.text)
    # "In which city…?" answered by a sentence that names no place but countries, people and months.
    place = best is not None and bool(ft.asked_place(query.text)) and not ft.names_a_place(query.text, best.text)
    # "Where will the June 18 council meeting be held?" answered by "The council is scheduled to meet
    # again on June 18…": a time, no venue.
    place = place or (best is not None and ft.asks_venue(query.text) and not ft.gives_a_location(query.text, best.text))
    # "What is anaphylaxis?" answered by a sentence that uses the word but does not say what it is.
    term = ft.defined_term(query.text)
    undefined = best is not None and bool(term) and not ft.defines(term, best.text)
    # "…in 1973?", "…four years ago?": a quote that does not state the asked time is about another.
    pinned = ft.pinned_time(query.text)
    return {
        "type_missing": float((asked and (best is None or best.type_match == 0.0)) or place or undefined),
        "time_missing": float(best is not None and bool(pinned) and not ft.states_time(best.text, pinned)),
        "negation_missing": float(negation),
        "speaker_missing": float(bool(speaker) and best is not None and not best.speaking),
        # …and none of the candidates shows them speaking: the articles quote someone else, or nobody.
        # A question asking for a number or a date ("How many units did the Greens pledge to build?")
        # wants the fact, which a report of the pledge gives; the answer-type rules judge that.
        "speaker_silent": float(
            ft.asks_for_words(query.text)
            and not cues
            and not any(c.speaking or c.voiced_nearby for c in candidates)
        ),
        # "Which London club bought Holloway?" answered by "…sold Holloway to a London rival": the
        # best quote refers to the asked thing without naming it (features.withheld_mention).
        "name_withheld": float(_withheld(query.text, best, candidates)),
        # The quote holds the asked type only because a closer-worded sentence without it was passed
        # over (prefer_typed): right when the article words its answer apart from the question's
        # words, wrong when the type stands in some other sentence of an article that lacks the answer.
        "type_rescued": float(best is not None and best.typed_over > 0.0),
        "score": best.score if best else 0.0,
        "dense": best.dense if best else 0.0,
        "coverage": best.coverage if best else 0.0,
        "type_match": best.type_match if best else 0.0,
        "margin": (best.score - second) if best else 0.0,
        "key_support": support,
        "key_missing": float(support < 1.0),
        "key_in_best": key_in_best,
        "top_dense_chunk": max((r.dense for r in ranked), default=0.0),
        "top_bm25": float(np.log1p(max((r.lexical for r in ranked), default=0.0))),
        # How far the nearest sentence stands out from the next nearest: a question the corpus
        # answers usually has one sentence that fits; an off-corpus one finds many alike.
        "dense_peak": (hits[0][2] - float(np.mean([h[2] for h in hits[1:10]]))) if len(hits) > 1 else 0.0,
    }


def prefer_named(query: Query, candidates: list[Candidate]) -> list[Candidate]:
    """When the best candidate mentions the asked-for thing without naming it and a candidate of the
    same article names it ("A state appeals court ruled…" | "The Fourth District Court of Appeal…",
    "…a rocky planet…" | "The planet, known as LHS 2290 c, …"), the naming one goes first: news
    introduces a thing before it names it. An indefinite mention looks only at what follows it."""
    if not candidates:
        return candidates
    best = candidates[0]
    kind = ft.withheld_mention(query.text, best.text)
    # "A state appeals court ruled…" answers "Which court…?" by description; "The three-judge panel of
    # the Fourth District Court of Appeal…" just after it answers by name, and a name is what is asked.
    described = kind not in ("definite", "indefinite")
    if described:
        kind = ft.slot_mention(query.text, best.text, described=True)
        if kind not in ("definite", "indefinite"):
            return candidates
    for i, c in enumerate(candidates[1:], 1):
        if c.doc_id != best.doc_id or overlaps(c, best):
            continue
        if kind == "indefinite" and not 0 <= c.start - best.end <= NAMED_AFTER_CHARS:
            continue
        if ft.names_slot(query.text, c.text, anaphoric=kind == "indefinite" and not described):
            # The mention's evidence is the name's: together they answer, so the name carries both.
            named = replace(c, score=best.score, dense=max(c.dense, best.dense), coverage=max(c.coverage, best.coverage))
            return [named, *candidates[:i], *candidates[i + 1 :]]
    return candidates


def prefer_typed(query: Query, candidates: list[Candidate], settings: AnswerSettings) -> list[Candidate]:
    """When the best candidate lacks the kind of answer asked for (no distance for "how far…?", no place
    for "where…?") and one scoring within ``type_rescue_margin`` of it holds one, that one goes first: a
    quote without the asked type answers nothing, however close its words (``type_weight`` is only a
    nudge)."""
    if not candidates:
        return candidates
    best = candidates[0]
    # "Where…?" has no answer type of its own (a missing place is too often a right answer: "earl of
    # Hereford"), but a place still beats no place in a close call.
    typed = bool(ft.type_cues(query.text))
    where = not typed and ft.asks_where(query.text)
    if not ((typed and best.type_match == 0.0) or (where and not ft.gives_a_location(query.text, best.text))):
        return candidates
    for i, c in enumerate(candidates[1:], 1):
        if best.score - c.score > settings.type_rescue_margin:
            break
        holds = c.type_match >= 1.0 if typed else ft.gives_a_location(query.text, c.text)
        if holds and not overlaps(c, best):
            return [replace(c, typed_over=best.score - c.score), *candidates[:i], *candidates[i + 1 :]]
    return candidates


# How far after an indefinite mention ("A state appeals court ruled…") the article may name it: about
# a paragraph.
NAMED_AFTER_CHARS = 600


def _withheld(question: str, best: Candidate | None, candidates: Sequence[Candidate]) -> bool:
    """The best quote holds back what is asked (``features.withheld_mention``). A definite mention may
    stand for a name given elsewhere in its article ("the planet" for "…a rocky planet known as LHS 2290
    c"), so it holds the name back only if no candidate from that article names it; an indefinite one
    ("a rival delivery platform") introduces something the article has not named."""
    if best is None:
        return False
    kind = ft.withheld_mention(question, best.text)
    if kind in ("definite", "other"):
        return not any(c.doc_id == best.doc_id and ft.names_slot(question, c.text) for c in candidates)
    return bool(kind)


def _in_corpus(token: str, lexical: LexicalIndex) -> bool:
    """``features.matches`` against the whole corpus vocabulary."""
    if lexical.document_frequency(token) or any(lexical.document_frequency(v) for v in ft.spelling_variants(token)):
        return True
    stem = ft.stem_prefix(token)
    return stem is not None and lexical.has_prefix(stem)

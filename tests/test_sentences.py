from __future__ import annotations

from vectorstore.sentences import is_junk, quotable_sentences, split_sentences


def texts(text: str) -> list[str]:
    return [text[s.start : s.end] for s in split_sentences(text)]


def test_splits_on_terminal_punctuation_before_a_capital() -> None:
    assert texts("Putin spoke. Lavrov agreed! Did Rubio? Yes.") == [
        "Putin spoke.",
        "Lavrov agreed!",
        "Did Rubio?",
        "Yes.",
    ]


def test_keeps_initials_and_abbreviations_inside_a_sentence() -> None:
    text = "In a meeting with President George W. Bush on October 21, 2001, Putin spoke. Mr. Smith left."
    assert texts(text) == [
        "In a meeting with President George W. Bush on October 21, 2001, Putin spoke.",
        "Mr. Smith left.",
    ]


def test_closing_quotes_stay_with_their_sentence() -> None:
    text = "“We are united in friendship.” Then he left."
    assert texts(text) == ["“We are united in friendship.”", "Then he left."]


def test_lines_are_sentence_boundaries_and_offsets_are_exact() -> None:
    text = "Headline without a stop\r\n\r\n  Body one. Body two.\n(more…)\n"
    spans = split_sentences(text)
    assert [text[s.start : s.end] for s in spans] == [
        "Headline without a stop",
        "Body one.",
        "Body two.",
        "(more…)",
    ]


def test_junk_and_repeated_captions_are_not_quotable() -> None:
    caption = "Cuba’s Miguel Diaz-Canel shakes hands with Putin. Photograph: Sergei Chirikov"
    text = f"Title\n\n{caption.replace(' Miguel', '  Miguel')}\n\n{caption}\n\nBody text here.\n(more…)\n@bears_with\n"
    quoted = [text[s.start : s.end] for s in quotable_sentences(text)]
    assert quoted.count("Photograph: Sergei Chirikov") == 1
    assert "(more…)" not in quoted
    assert "@bears_with" in quoted  # a handle is content, not junk
    assert is_junk("(more…)") and is_junk("— — —") and not is_junk("@bears_with")


def test_a_markdown_heading_line_is_a_sentence_of_its_own() -> None:
    text = "# Council approves bridge\nThe council approved the bridge. It cost $77 million.\n"
    assert texts(text) == [
        "# Council approves bridge",
        "The council approved the bridge.",
        "It cost $77 million.",
    ]


def test_a_hard_wrapped_line_ends_where_it_did() -> None:
    # Every line is its own unit, heading or not; this pins it for wrapped prose too.
    text = "The council approved the bridge\non Monday. Work starts\nin May."
    assert texts(text) == ["The council approved the bridge", "on Monday.", "Work starts", "in May."]


def test_a_leading_byte_order_mark_is_not_quoted() -> None:
    text = "\ufeffPorts reopen. Ships sailed.\n\ufeff\nBody."
    spans = split_sentences(text)
    assert [text[s.start : s.end] for s in spans] == ["Ports reopen.", "Ships sailed.", "Body."]
    assert spans[0].start == 1  # an offset into the same text: quotes stay verbatim


def test_links_to_other_stories_are_not_quotable() -> None:
    for promo in ("Read more: Fishermen fear for cod grounds", "READ MORE » Tram fares rise",
                  "Related stories: Dog rescued from ice", "Watch: Putin meets Diaz-Canel",
                  "Share this article", "Sign in"):  # fmt: skip
        assert is_junk(promo), promo
    # Prose that opens the same way is content.
    for prose in ("Related: the mayor said on Monday that she would resign.", "Read more about it here.",
                  "Listen to the mayor."):  # fmt: skip
        assert not is_junk(prose), prose


def test_a_paragraph_break_ends_a_chunk_whatever_breaks_the_lines() -> None:
    from vectorstore import Document, chunk_document

    def words(texts: list[str] | tuple[str, ...]) -> list[int]:
        return [len(t.split()) for t in texts]

    paragraphs = [" ".join(f"Sentence {p}{i} goes on here." for i in range(3)) for p in "abcd"]
    layouts = {}
    for newline in ("\n", "\r\n", "\r"):
        text = (newline * 2).join(paragraphs) + newline
        doc = Document("a.txt", "Title", None, text, "hash", "/tmp/a.txt")
        chunks = chunk_document(doc, words, max_tokens=30)
        # Where each chunk starts, counted in sentences: the same for every kind of line break.
        layouts[newline] = [len(c.sentences) for c in chunks]
    assert layouts["\n"] == [3, 3, 3, 3]  # one paragraph (15 words, half the budget) per chunk
    assert layouts["\r"] == layouts["\r\n"] == layouts["\n"]


def test_a_footnote_marker_after_the_full_stop_still_ends_the_sentence() -> None:
    # A saved Wikipedia page or a paper: "….[3] Next", "….[citation needed] Next", "…dawn.² Next".
    text = "Trade grew in 1978.[3] Ships sailed at dawn.² The law passed.[citation needed] In 1705, it ended.[n 1] Then."
    assert texts(text) == [
        "Trade grew in 1978.[3]",
        "Ships sailed at dawn.²",
        "The law passed.[citation needed]",
        "In 1705, it ended.[n 1]",
        "Then.",
    ]
    # A marker inside a sentence, or a bracket that is no note, ends nothing.
    assert texts("Dr. Jones[2] stayed. See [1] Then.") == ["Dr. Jones[2] stayed.", "See [1] Then."]

"""Text cues the sentence scorer and the abstainer read: answer types, names, key terms."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence

from vectorstore.sentences import LINE_BREAK, TITLE_ABBREVIATIONS, line_end, line_start, split_sentences

from .lexical import STOPWORDS, tokenize

_MONTHS = r"jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(tember)?|oct(ober)?|nov(ember)?|dec(ember)?"
_DAYS = r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|yesterday|tomorrow"
_SEASONS = r"spring|summer|autumn|winter"
_ORDINALS = r"first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|twenty-first"
_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
    r"seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundreds?|thousands?|"
    r"millions?|billions?|trillions?|dozens?|half|single|once|twice|percent|none"
)
_MONEY_WORDS = r"dollars?|euros?|pounds?|rubles?|roubles?|pesos?|yuan|yen|francs?|cents?|million|billion|trillion"

# (question cue, pattern a sentence answering that kind of question holds)
# The question asks who wrote *the article* (its byline is the answer), not who wrote a song or a
# letter mentioned in it: "who wrote the article…", "the author of the story", "byline".
ASKS_AUTHOR = re.compile(
    r"\b(who (wrote|reported|covered|filed|penned|is the author of)|(author|writer|reporter|journalist)s? (of|on|behind)|written by"
    r"|whose name (is|appears|stands) (on|under|above|at the top of))\b.*\b(article|story|piece|report)\b"
    r"|\b(article|story|piece)['’]?s? (author|writer|reporter)\b|\bbyline\b"
    # "What is the author's social media handle?": the byline block holds it, not the article's text.
    r"|\bthe (author|writer|reporter)['’]s (?:[\w-]+ ){0,2}(handle|name|account|username|email)\b",
    re.I,
)
BYLINE = re.compile(r"^([Bb]y\s+[A-Z]|@\w{2,})")  # a byline or a handle: what "who wrote" cues
BY_LINE = re.compile(r"^[Bb]y\s+[A-Z]")
HANDLE_LINE = re.compile(r"@\w{2,}[ \t]*(?:[\r\n]|$)")  # a line that is only a social-media handle (at match)
# "Where was John Helmer reporting from?", "Where was the article written?", "Where is the reporter
# based?": the dateline, a place in the byline ("By John Helmer, Moscow"). Not "Where did Axios report
# the talks?": without "from", only the piece itself is written or filed, only a writer based (not
# "Where is Kessler based?": a company's seat).
ASKS_DATELINE = re.compile(
    r"^(?:from )?where (?:was|is|were|are|did|does) (?:the )?(?:[\w’'-]+ ){0,6}?"
    r"(?:writing|reporting|filing|written|filed|reported|report|write|file) from\b"
    r"|^where (?:was|is|were) (?:the |this )?(?:article|story|piece|report) (?:written|filed)\b"
    r"|^where (?:is|was|are|were) (?:the )?(?:reporter|author|writer|journalist|correspondent) based\b"
    r"|\bdateline\b",
    re.I,
)
BYLINE_PLACE = re.compile(r"^[Bb]y\s+[A-Z][^,\n]*,\s*(?:in\s+)?[A-Z]")
# A date: a month, weekday or season, a year or decade (911, 1850s, '90s), a century.
DATE = re.compile(
    rf"\b({_MONTHS}|{_DAYS}|{_SEASONS}|(?<![\d,.])[0-9]{{3,4}}s?(?![,.]\d)|'[0-9]0s|([0-9]{{1,2}}(st|nd|rd|th)?|{_ORDINALS})[\s-]+centur(y|ies))\b",
    re.I,
)
# A count or measure; a bare year (1850, 2001, 1990s) is a date, not an answer to "how many".
NUMBER = re.compile(rf"(?<![\d,.])(?!(1[89]|20)\d\d(?![\d%]|[,.]\d))\d|\b({_NUMBER_WORDS})\b", re.I)
TIME_OF_DAY = re.compile(
    r"\b\d{1,2}([:.]\d\d)?\s*((am|pm|gmt|utc|hours?)\b|[ap]\.m\.)|\b(morning|afternoon|evening|night|noon|midnight|dawn|dusk|o['’]clock)\b",
    re.I,
)
# An age: "23-year-old", "45 years old", "aged 45", "at the age of 45", "Reyes, 45,", "born in 1950".
AGE = re.compile(
    rf"\b(?:\d{{1,3}}|(?:{_NUMBER_WORDS})(?:-(?:{_NUMBER_WORDS}))?)[\s-]+years?[\s-]+old\b|\baged?\s+(?:of\s+)?\d|\bage of\s+\d"
    r"|\bat\s+(?:the\s+)?age\b|,\s+\d{1,3},|\(\d{1,3}\)|\bborn\b"
    r"|\bin (?:his|her|their) (?:early |mid-?|late )?(?:teens|twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties)\b",
    re.I,
)
# A distance: a number and a unit of length, or a span "across".
DISTANCE = re.compile(
    rf"\b(?:\d[\d,.]*|{_NUMBER_WORDS}|a|an)[\s-]*(?:miles?|kilomet(?:er|re)s?|km|met(?:er|re)s?|feet|foot|ft|yards?|inches|light[\s-]years?|parsecs?|"
    r"astronomical units?)\b",
    re.I,
)
# A tally: "voted 4-3", "by 6 to 1", "a 3-0 decision", "unanimously", "by 251 votes".
# Not a range ("riders aged 13 to 18", "from 9 to 5", "between 10 and 20").
TALLY = re.compile(
    r"(?<!\baged )(?<!\bages )(?<!\bfrom )(?<![\d,.])\d{1,3}\s*(?:-|–|to)\s*\d{1,3}(?![\d,.]*\d)"
    r"|\bunanimous(?:ly)?\b|\b\d[\d,]*\s+votes?\b",
    re.I,
)
# A span of time: "41 weeks", "a three-year delay", "a decade", "120 sec", "months after".
TIME_SPAN = re.compile(
    rf"\b(?:\d[\d,.]*|{_NUMBER_WORDS}|a|an|several|few)[\s-]*(?:and[\s-]a[\s-]half[\s-]+)?"
    r"(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|nights?|weeks?|months?|years?|yrs?|decades?|centuries|century)\b"
    r"|\b(?:seconds|minutes|hours|days|weeks|months|years|decades|centuries)\b",
    re.I,
)
_ASKS_DIMENSION = re.compile(r"^how\s+(long|tall|wide|deep|thick)\b", re.I)
_STOREYS = re.compile(rf"\b(?:\d+|{_NUMBER_WORDS})[\s-]+(?:storey|story|stories|storeys|floors?)\b", re.I)  # "How tall…?"
# A percentage or a fraction: "68.2 percent", "12%", "half", "two-thirds", "one in five", "a majority".
SHARE = re.compile(
    r"\d\s*(?:%|percent\b|per\s?cent\b|pc\b)|\b(?:percent|per cent|half|halves|thirds?|quarters?|fifths?|tenths?|"
    r"majority|minority|one in (?:\d+|two|three|four|five|six|seven|eight|nine|ten))\b",
    re.I,
)
MONEY = re.compile(rf"[$€£¥₽]|\b({_MONEY_WORDS})\b", re.I)
# A day of a month ("October 21", "21 October", "21/10/2001", "2001-10-21"): what "what exact date"
# asks for; a weekday or a month alone is no exact date.
CALENDAR_DATE = re.compile(
    rf"\b({_MONTHS})\.?\s+\d{{1,2}}(st|nd|rd|th)?\b|\b\d{{1,2}}(st|nd|rd|th)?\s+(of\s+)?({_MONTHS})\b"
    r"|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b",
    re.I,
)
_ASKS_CALENDAR = re.compile(r"\b(exact|precise|specific|calendar|full) dates?\b", re.I)
# "In what year…?" is not answered by "on Thursday", nor "In which month…?" by "in 2021": by a year
# or a decade, by a month's name (narrower than DATE, never wider: "next year" dates nothing).
YEAR = re.compile(r"(?<![\d,.])\b[0-9]{3,4}s?(?![,.]\d)\b|'[0-9]0s\b")
MONTH = re.compile(rf"\b({_MONTHS})\b", re.I)
_NARROWER_DATES = frozenset({CALENDAR_DATE, YEAR, MONTH})
DATE_CUES = _NARROWER_DATES | {DATE}  # every pattern that answers a time question
_ASKS_YEAR = re.compile(r"\b(what|which) years?\b", re.I)
_ASKS_MONTH = re.compile(r"\b(what|which) months?\b", re.I)

# (question cue, pattern a sentence answering that kind of question holds, the kind in words)
ANSWER_TYPES: tuple[tuple[re.Pattern[str], re.Pattern[str], str], ...] = (
    (
        re.compile(r"\b(twitter|username|user name|social media|instagram)\b|\bhandle\s*\?", re.I),
        re.compile(r"(^|\s)@\w{2,}"),
        "handle",
    ),
    (ASKS_AUTHOR, BYLINE, "byline"),
    (ASKS_DATELINE, BYLINE_PLACE, "dateline"),
    (_ASKS_CALENDAR, CALENDAR_DATE, "exact date"),
    (_ASKS_YEAR, YEAR, "year"),
    (_ASKS_MONTH, MONTH, "month"),
    (
        re.compile(
            r"^(when (did|was|were|is|are|will|would|has|have|had|does|do)\b|(in |on |at |during )?(what|which) "
            r"((is|was|were|are) the )?((exact|precise|specific|calendar|same) )?"
            r"(year|day|date|month|week ?day|time(?! of (the )?day)(?!\s+(will|did|does|do)\b)|century|decade|"
            r"season)s?\b)",
            re.I,
        ),
        DATE,
        "date",
    ),
    # "What time will the rally start?" asks for a clock time, not the day.
    (
        re.compile(r"\btime of (the )?day\b|^(at )?what time (will|did|does|do)\b", re.I),
        TIME_OF_DAY,
        "time of day",
    ),
    # "How old is X?" is not answered by any number ("for twenty-two years", "22 new officers"): by an age.
    (re.compile(r"^how old\b|\b(at )?what age\b", re.I), AGE, "age"),
    (re.compile(r"^how far\b", re.I), DISTANCE, "distance"),
    # "What was the board's vote on the merger?", "How did the council vote?": a tally ("voted 4-3").
    (
        re.compile(
            r"^what\s+(?:was|is|were)\s+(?:the\s+)?(?:[\w’'-]+['’]s\s+)?(?:final\s+)?(?:vote|tally|score)s?\b(?!\s+(?:about|for)\b)"
            r"|^how\s+did\s+(?:the\s+)?(?:[\w’'-]+\s+){0,4}?vote\s*[?.!]*$",
            re.I,
        ),
        TALLY,
        "tally",
    ),
    # "How long has X been recognised…?" is answered by "since the 1950s" as well as by "for 60 years".
    (
        re.compile(r"^how long\b", re.I),
        re.compile(r"\bsince\b|\b(for|over) (the )?(\w+ )?(decades|centuries|years|months|weeks|days|hours)\b", re.I),
        "duration",
    ),
    (
        re.compile(
            r"^(how (many|much(?! ([\w-]+ )?(money|funding|aid|investment|cash))|long|big|large|tall|high|often)|"
            r"what (number|amount))\b",
            re.I,
        ),
        NUMBER,
        "number",
    ),
    # "What share of offers must drivers take?" is not answered by "four or five hours a day": by a
    # percentage or a fraction.
    (
        re.compile(r"^(?:(?:in|by|of) )?(what|which) (percentage|percent|share|proportion|fraction|portion)\b", re.I),
        SHARE,
        "percentage",
    ),
    # Money, not just any number: "how much money", "what did it cost", "at what price".
    (
        re.compile(
            r"^(how much ([\w-]+ )?(money|funding|aid|investment|cash)|how much\b.*\b(cost|pay|paid|spend|spent|worth)|"
            r"(what|at what) (the )?(cost|price|value|budget)\b"
            # "What is the shop price of…?", "What is the district's total annual budget?": the sum is the
            # head noun ("the value relationship between…" is no sum; nor "…believed to be the value").
            r"|what (is|was|were|are|will be) (the )?(?:(?!(?:of|to|be|in|on|for|by|and|or|a|an|the)\b)[\w’'-]+ ){0,5}?"
            r"(cost|price|value|budget)s?(?=\s*(?:[?.!]|$|(?:of|for|at|in|per|on|to)\b)))",
            re.I,
        ),
        MONEY,
        "amount",
    ),
)

# "Which newspaper…", "What company…": a question that asks for a named person or organisation,
# answered like a "who" question (by a name the question does not already hold).
ENTITY_NOUNS = (
    "newspaper", "paper", "outlet", "magazine", "publication", "agency", "agencies", "company", "companies",
    "firm", "airline", "party", "parties", "organisation", "organization", "group", "bank", "president",
    "minister", "leader", "official", "journalist", "reporter", "analyst", "general", "diplomat", "politician",
    "spokesman", "spokeswoman", "spokesperson", "king", "queen", "emperor", "duke", "pope", "writer", "author",
    "scientist", "person", "people", "man", "woman",
    "club", "team", "league", "university", "college", "school", "hospital", "regulator", "ministry", "brand",
    "manufacturer", "maker", "network", "channel", "studio", "band", "federation", "charity",
    # People named by their office or trade: "Which judge wrote the opinion?" wants the judge's name.
    "judge", "senator", "governor", "mayor", "lawyer", "attorney", "prosecutor", "doctor", "ambassador",
    "chancellor", "commander", "councillor", "councilor", "director", "manager", "coach", "chairman",
    "chairwoman", "officer", "engineer", "architect", "player", "candidate", "superintendent", "inspector",
    "economist", "professor", "researcher", "expert",
)  # fmt: skip
_ENTITY = re.compile(
    r"^(?:in |from |by |for |to |with )?(?:which|what)\s+"
    r"(?P<modifiers>(?:(?!(?:is|was|are|were|does|did|do|the|a|an|type|kind|sort|form|of)\b)[\w-]+\s+){0,2}?)"
    rf"(?P<category>{'|'.join(ENTITY_NOUNS)})(?:e?s)?\b",
    re.I,
)
# Words that name the *kind* of answer asked for ("which newspaper", "what post", "social media
# handle"): an article gives the answer (the Miami Herald, national security adviser, @name), rarely the
# category word, so they are no key terms of the question.
CATEGORY_WORDS = frozenset(
    tokenize(
        " ".join(ENTITY_NOUNS) + " handle social media twitter username instagram post position job title office "
        "month century decade season city country town place term phrase area field sector aspect"
    )
)
# Quoted speech attributed to a pronoun ("…,” he said", "She told reporters"): the speaker's name
# stands in an earlier sentence.
# Verbs that attribute speech; "what did X say" (``speaks``) reads a few more (promised, urged, …).
_SAID = (
    r"said|says|told|tells|added|adds|asked|warned|declared|stressed|noted|insisted|replied|responded|argued|"
    r"explained|wrote"
)
PRONOUN_SPEAKER = re.compile(rf"(^|[,.!?'\"’”]\s*)(he|she|they)\s+({_SAID}|continued)\b", re.I)
# …or to an office ("…,” the minister went on", "The spokesman added…").
ROLE_SPEAKER = re.compile(rf"(^|[,.!?'\"’”]\s*)the\s+(?:[a-z][\w-]*\s+){{1,3}}?(?:{_SAID}|continued|went on)\b", re.I)
# A question that asks about what did *not* happen ("What did X never do?"), answered by a sentence
# with no negation of any kind: on squad2-dev nearly always one built to look answerable (docs/design.md).
_NEGATORS = r"not|never|no|none|nothing|neither|nor|cannot"  # and "n't", added to each pattern below
_QUESTION_NEGATION = re.compile(
    rf"\b({_NEGATORS}|incapable|unable|impossible|fail(ed|s)? to)\b|n['’]t\b", re.I
)
_SENTENCE_NEGATION = re.compile(
    rf"\b({_NEGATORS}|without|refus\w*|lack\w*|den(y|ies|ied)|reject\w*|fail\w*|"
    r"unable|non-?\w+|instead|rather|only)\b|n['’]t\b|\w+less\b",
    re.I,
)
_WHO = re.compile(r"^(who|whom|whose)\b", re.IGNORECASE)
_NAME = re.compile(r"(?<!^)(?<![.!?]\s)\b([A-Z][a-z]+(?:\s+[A-Z][a-z]+)+)")
# A title's full stop ends no sentence (the splitter's own list of titles): "Dr. Lorraine Vasquez" is
# read as "Dr Lorraine Vasquez" (the stop becomes a space, so offsets stay), as British style writes it.
_TITLE_STOP = re.compile(
    rf"\b({'|'.join(sorted(t.capitalize() for t in TITLE_ABBREVIATIONS))})\.(?=\s+[A-Z])"
)
# One capitalised word (accents allowed): a weaker sign of a name ("Ladner", "Harthacnut", "Iran").
_CAPITAL = re.compile(r"\b[A-ZÀ-ÞĀ-Ž][\w’'-]*[^\W\d_]")
# Capitalised words that are no names, compared as they stand in the text (not as BM25 tokens,
# which drop stopwords and plural endings): function words and titles; at a sentence's start, openers.
# Weekdays and months are capitalised too, and answer "when", not "who".
# ("May" is left out: it is a name too.)
_NOT_NAMES = STOPWORDS | frozenset((
    "however", "mr", "mrs", "ms", "dr", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
    "sunday", "january", "february", "march", "april", "june", "july", "august", "september", "october",
    "november", "december",
))  # fmt: skip
_OPENERS = frozenset((
    "although", "though", "while", "since", "despite", "meanwhile", "later", "today", "yesterday", "earlier",
    "instead", "even", "still", "yet", "thus", "therefore", "moreover", "furthermore", "indeed", "finally",
    "first", "second", "many", "several", "every", "another", "one", "two", "three", "besides", "unlike",
    "like", "until", "unless", "because",
))  # fmt: skip
_SENTENCE_END = frozenset('.!?:"“')
_WORD = re.compile(r"\w+")


FOLLOW_UP = re.compile(
    r"\b(he|him|his|she|her|hers|they|them|their|it|its|this|that|these|those|there|then)\b", re.IGNORECASE
)

# Words that frame a question rather than name its topic: an article need not contain them.
FRAMING_WORDS = frozenset(
    tokenize(
        "wrote write written writes author article articles story report reported reports describe described "
        "describes mention mentioned mentions name named called call tell told explain explained happen "
        "happened happens give gave given kind type main mean means many much long new one "
        "two first last year years time day date number people person thing things way think thought "
        "did does do know known according word words quote quoted state stated claim claimed "
        "reason reasons purpose role part talk talked discuss discussed refer referred use used using "
        # Light verbs and asides: their meaning is their object's ("hold talks", "go on", "apart from").
        "go goes going went gone hold holds holding held keep keeps keeping kept put puts putting take takes "
        "taking took taken make makes making made get gets getting got come comes coming came start starts "
        "starting started begin begins beginning began begun apart besides beside"
    )
)


# "How does the article describe Cuba's relationship to Russia?" asks about the relationship: the
# framing names the article, and read whole it pulls the question's vector towards sentences about
# describing ("…has been described in the document as a 'hostile' actor"), not towards the answer;
# "According to the article, who paid?" hides the "who…" that the answer-type rules read.
_ARTICLE = r"(?:article|articles|story|stories|piece|report|author|writer|reporter|journalist|text)"
_ARTICLE_FRAMING = re.compile(
    rf"^(?:how|in what (?:way|terms|words))\s+(?:does|do|did|is|are|was|were)\s+(?:the|this|these)\s+{_ARTICLE}\s+"
    r"(?:describe|characteri[sz]e|portray|present|depict|refer to|call)\s+"
    rf"|^what\s+(?:does|do|did)\s+(?:the|this|these)\s+{_ARTICLE}\s+(?:say|tell us|report|write|reveal)\s+about\s+"
    rf"|^according to (?:the|this|these)\s+{_ARTICLE},?\s+",
    re.I,
)
_ARTICLE_FRAMING_END = re.compile(
    rf",?\s+(?:according to|in|by)\s+(?:the|this|these)\s+{_ARTICLE}(?=\s*[?.!]*\s*$)", re.I
)


# "Roughly how many wheels…?", "And in which year did he launch it?": a hedge or a conversational
# opener before the question word hides it from every rule that reads the question's start.
_LEAD_IN = re.compile(
    r"^(?:(?:and|but|so|okay|ok|well|then|also|now)\s*,?\s+)?(?:(?:roughly|approximately|about|around|exactly|precisely|just)\s+)?"
    r"(?=(?:how|when|where|who|whom|whose|what|which|why|in|on|at|during|for|according)\b)",
    re.I,
)


def topic_text(question: str) -> str:
    """The question less its lead-in and its framing about the article ("Roughly how many…?" →
    "How many…?", "How does the article describe X?" → "X?", "According to the report, who paid?" →
    "Who paid?"); the question itself when nothing is left."""
    topic = _ARTICLE_FRAMING_END.sub("", _ARTICLE_FRAMING.sub("", _LEAD_IN.sub("", question, count=1), count=1), count=1)
    if topic == question or not topic.strip(" ?.!"):
        return question
    return topic[:1].upper() + topic[1:]  # "who paid?" reads as the question it is


def asked_kind(question: str) -> str:
    """The kind of answer the question asks for, as a noun ("date"); "" when it names none."""
    kinds = [kind for cue, _, kind in ANSWER_TYPES if cue.search(question)]
    # "How much will it cost?" asks for a sum, the narrower of "number" and "amount" (``type_cues``).
    kind = "amount" if "amount" in kinds else next(iter(kinds), "")
    return kind or ("name" if asks_name(question) else "")


def type_cues(question: str) -> tuple[re.Pattern[str], ...]:
    """The answer patterns this question asks for (a date for "when", a number for "how many", …)."""
    cues = tuple(pattern for cue, pattern, _ in ANSWER_TYPES if cue.search(question))
    # "How much will the classrooms cost?" is not answered by any number ("four new classrooms"): by a sum.
    if MONEY in cues:
        cues = tuple(p for p in cues if p is not NUMBER)
    # "How long will the new bridge be?", "How tall…?": a length or a span of time, not a year or a
    # vote ("voted 6-1 … a 1924 concrete arch span").
    if dimension := _ASKS_DIMENSION.match(question):
        spans = (DISTANCE, TIME_SPAN) if dimension.group(1).casefold() == "long" else (DISTANCE, _STOREYS)
        cues = tuple(p for p in cues if p is not NUMBER) + spans
    # "What exact date…" is not answered by any date ("on Thursday", "in April"): only by a day of a month.
    return tuple(p for p in cues if p is not DATE) if _NARROWER_DATES.intersection(cues) else cues


def asks_author(question: str) -> bool:
    return bool(ASKS_AUTHOR.search(question))


def asks_byline(question: str) -> bool:
    """The byline answers it: who wrote the article, or where it was filed from."""
    return asks_author(question) or bool(ASKS_DATELINE.search(question))


def asks_who(question: str) -> bool:
    return bool(_WHO.match(question))


def asks_name(question: str) -> bool:
    """The question wants a person's or organisation's name: "who…", "which newspaper…", "what is the
    fire called?" (not "who wrote the article", whose answer is the byline)."""
    asked = asks_who(question) or bool(_ENTITY.match(question)) or bool(_CALLED.match(question))
    asked = asked or bool(_ASKS_NAME_OF.match(question))
    return asked and not asks_author(question)


# "What is the name of the county sheriff?", "What were the names of the two schools?", "What was
# Chopin's sister's name?" ("the name for…" asks for a term: _ASKS_NAMING).
_ASKS_NAME_OF = re.compile(
    r"^(?:what|which)\s+(?:is|are|was|were)\s+(?:the\s+)?names?\s+of\b"
    r"|^what\s+(?:is|are|was|were)\s+(?:[\w’'-]+\s+){0,5}?[\w-]+['’]s?\s+(?:full\s+|first\s+|last\s+|real\s+)?names?\s*[?.!]*$",
    re.I,
)
# "What is the fire called?", "What was the operation named?", "What is the planet known as?": a name.
_CALLED = re.compile(
    r"^what\s+(?:is|was|are|were)\s+(?:the\s+|this\s+|that\s+|its\s+|their\s+)?(?:[\w'’-]+\s+){0,4}?"
    r"(?:called|named|nicknamed|dubbed|known\s+as)\s*[?.!]*$",
    re.I,
)


def question_words(question: str) -> frozenset[str]:
    return frozenset(w.casefold() for w in _WORD.findall(question))


def category_modifiers(question: str) -> frozenset[str]:
    """The words that qualify the asked category ("florida" in "Which Florida newspaper…?"), casefolded:
    they describe the answer, which an article names without restating ("The Miami Herald"), so the
    corpus lacking them says nothing about whether it answers."""
    match = _ENTITY.match(question)
    return frozenset(tokenize(match.group("modifiers"))) if match else frozenset()


def asked_category(question: str) -> str:
    """The kind of name a "which X" question asks for ("airline" in "Which airline flew…?"), casefolded; "" if none."""
    match = _ENTITY.match(question)
    return match.group("category").casefold() if match else ""


def name_score(text: str, words: Collection[str], category: str = "") -> float:
    """How well ``text`` answers a 'who' question.

    1.0 for a new name in apposition to the question's words ("Foreign
    Minister Bruno Rodriguez Parrilla", "Volodin, the speaker of the Duma"),
    0.5 for any capitalised name the question does not already contain,
    0.25 for a single new capitalised word ("Ladner", "Iran").
    """
    best = 0.0
    text = _TITLE_STOP.sub(r"\1 ", text)
    # Stem-aware: "Saudi Arabia" is no new name for "Which Saudi Arabian club…?", nor "Russia" for
    # "Russian". The ``category`` asked for names nobody: "Cubana Airlines" is new for "Which airline…?".
    named, stems = _naming_words(frozenset(words), category)

    def in_question(word: str) -> bool:
        return matches(word, named, stems)

    # A fuller name of someone the question names ("Miguel Diaz" for "…Diaz-Canel…", "President
    # Vladimir Putin" for "…Putin…": new words only before the question's own) is no new name.
    known: list[tuple[int, int]] = []
    names: list[tuple[re.Match[str], list[str]]] = []
    for match in _NAME.finditer(text):
        parts = match.group(1).split()
        new = [i for i, p in enumerate(parts) if not in_question(p.casefold())]
        if not new:
            continue
        if len(new) < len(parts) and new[-1] < min(set(range(len(parts))) - set(new)):
            known.append(match.span(1))
        else:
            names.append((match, parts))
    for match in _CAPITAL.finditer(text):
        word = _WORD.match(match.group(0).casefold())
        if word is None or word.group(0) in _NOT_NAMES or in_question(word.group(0)):
            continue
        if any(a <= match.start() < b for a, b in known):
            continue
        # A sentence's first word is capitalised anyway: there only a word that is no common sentence
        # opener ("During", "However") counts ("Putin promised…" does).
        before = text[: match.start()].rstrip()
        if (not before or before[-1] in _SENTENCE_END) and word.group(0) in _OPENERS:
            continue
        best = 0.25
        break
    for match, parts in names:
        best = max(best, 0.5)
        inside = [p for p in parts if p.casefold() in words]
        tail = text[match.end() : match.end() + 50]
        after = re.findall(r"\w+", tail)[:4] if re.match(r",\s+(the\s+|a\s+)?\w", tail) else []
        # A title just before the name that _NAME cannot take in, at a sentence's start:
        # "Superintendent Karen Ortiz said…" for "Who is the superintendent…?".
        title = re.search(r"\b([A-Z][a-z]+)\s+$", text[max(0, match.start() - 30) : match.start()])
        titled = [title.group(1)] if title else []
        if any(w.casefold() in words and len(w) > 3 for w in inside + after + titled):
            return 1.0
    return best


@functools.lru_cache(maxsize=256)
def _naming_words(words: frozenset[str], category: str) -> tuple[frozenset[str], frozenset[str]]:
    """A question's words less the category it asks for, and their stems: once per question, not per candidate."""
    named = frozenset(w for w in words if not category or not matches(w, (category,)))
    return named, word_stems(named)


def type_match(
    text: str,
    cues: Iterable[re.Pattern[str]],
    who: bool,
    words: Collection[str],
    category: str = "",
    counted: Collection[str] = (),
    event: tuple[int, int] | None = None,
    names: Collection[str] = (),
) -> float:
    """1.0 when ``text`` holds the kind of answer asked for; 0.5 for a weaker 'who' match.
    ``counted``: what a "how many" question counts (``counted_words``); ``event``: the start or end
    whose time is asked (``asked_event``); ``names``: the question's names (``question_names``)."""
    text = without_other_events(text, words)
    text = without_other_things(text, names)
    if counted:
        text = without_non_counts(without_other_measures(text, counted), counted)
    elif NUMBER in cues and DATE_CUES.isdisjoint(cues) and TIME_OF_DAY not in cues:
        # "How long has she been president?", "How big…?": a day of the month or a clock time is no
        # length, size or amount ("…at 6 a.m. on Tuesday, June 17").
        text = without_calendar_times(text)
    if event is not None and tells_the_other_end(event, text):
        # "…ordered the closure of a Soviet-era facility near Havana in 2001": the date is the
        # closure's, no answer to when it was built.
        cues = [p for p in cues if p not in DATE_CUES]
    score = 1.0 if any(_fresh_match(p, text, words) for p in cues) else 0.0
    if who:
        score = max(score, name_score(text, words, category))
    return score


def _capital_words(text: str) -> Iterator[tuple[int, str]]:
    """``text``'s capitalised words that may be names (not function words, titles, weekdays or
    months), casefolded, with where each starts."""
    for match in _CAPITAL.finditer(text):
        word = match.group(0).casefold()
        if word not in _NOT_NAMES:
            yield match.start(), word


def question_names(question: str) -> frozenset[str]:
    """The question's capitalised words past its first, casefolded: "santa", "lucía" for "How many
    people were staying at the Santa Lucía fairgrounds shelter?"."""
    return frozenset(word for at, word in _capital_words(question) if at > 0)


# Coordinated clauses and sentences: "An evacuation centre at Cobre Valley High School had taken in about
# 600 people by midday, and the Red Cross said it was opening a second shelter at the county fairgrounds
# in Santa Lucía." What goes on about the same thing stays with the part before it: a clause whose
# subject is a pronoun ("…, but it reached its capacity of 400 cots"; "…, and on 2 November 1830, he set
# out") or that goes on in time ("…, and thereafter the Gelug was given…"), and a sentence that does so
# or opens with "The …" ("The 23-year-old forward signed…" after "…the signing of Lucas Moreira…").
_CLAUSE_BREAK = re.compile(r",\s+(?:and|but|while|whereas)\s+|;\s+")
_GOES_ON = re.compile(
    r"(?:[^,]{0,60},\s+){0,2}(?:he|she|it|they)\b|(?:its|his|her|their|then|thereafter|afterwards|later)\b", re.I
)
_REFERS_BACK = re.compile(r"[“\"‘(]?(?:this|that|these|those|the)\b", re.I)
# A clause break, another sentence or another line may follow (``without_other_things``' quick exit).
_PARTED = re.compile(rf"{_CLAUSE_BREAK.pattern}|[.!?…]\S*\s+\S|{LINE_BREAK.pattern}")
_LIST_ITEM = 3  # words: "…Queens, Manhattan, and the Bronx" joins a list, not a clause


def _clauses(sentence: str) -> list[str]:
    parts, cursor = [], 0
    for match in _CLAUSE_BREAK.finditer(sentence):
        before = sentence[cursor : match.start()]
        if match.group(0).startswith(",") and len(_WORD.findall(before.rsplit(",", 1)[-1])) <= _LIST_ITEM:
            continue
        parts.append(before)
        cursor = match.end()
    return [*parts, sentence[cursor:]]


def without_other_things(text: str, names: Collection[str]) -> str:
    """``text`` less its clauses about another named thing, when another of its clauses names what
    the question names: the 600 people are Cobre Valley High School's, no count for the Santa Lucía
    shelter. ``names``: the question's (``question_names``)."""
    # Cheap exits first (every candidate of a question with a name comes here): one clause, or no
    # word of the text shares a name's first letters (``matches`` needs that much).
    if not names or not _PARTED.search(text):
        return text
    folded = text.casefold()
    if not any(name[:5] in folded for name in names):
        return text
    groups: list[str] = []
    for span in split_sentences(text):
        for i, part in enumerate(_clauses(text[span.start : span.end])):
            goes_on = _GOES_ON.match(part) or (i == 0 and _REFERS_BACK.match(part))
            if groups and goes_on:
                groups[-1] += f" {part}"
            else:
                groups.append(part)
    if len(groups) < 2:
        return text
    stems = word_stems(names)

    def named(group: str) -> tuple[bool, bool]:
        """(names what the question names, names something else); a part's first word is capitalised anyway."""
        asked = other = False
        for at, word in _capital_words(group):
            if matches(word, names, stems):
                asked = True
            elif at > 1:
                other = True
        return asked, other

    found = [named(g) for g in groups]
    if not any(asked for asked, _ in found) or all(asked for asked, _ in found):
        return text
    return " ".join(g for g, (asked, other) in zip(groups, found, strict=True) if asked or not other)


# "How many barrels of oil…?" counts barrels: "a three-day state visit" measures the visit in days and
# answers nothing about barrels, or Cubans. What is counted: the words after "how many", up to the verb.
_COUNTED = re.compile(
    r"^how many\s+(?P<what>(?:[\w’'-]+\s+){0,2}?[\w’'-]+?)(?=\s+(?:did|do|does|are|were|is|was|have|has|had|will|would|"
    r"can|could|should|may|might|of|per|in|on|at|for|from|with|to|that|who|which)\b|\s*\?|\s*$)",
    re.I,
)
_MEASURE = re.compile(rf"\b(?:\d[\d,.]*|{_NUMBER_WORDS})-(?P<unit>[a-z]+)\b", re.I)


def counted_words(question: str) -> frozenset[str]:
    """What a "how many" question counts, casefolded ("barrels" for "How many barrels of oil…?")."""
    match = _COUNTED.match(question)
    return frozenset(w.casefold() for w in _WORD.findall(match.group("what"))) if match else frozenset()


# Units that count whatever is asked about: "a 12-member crew", "a 5,000-strong crowd", "a 12-man team".
_HEADCOUNT_UNITS = frozenset({"member", "strong", "man", "men", "person", "people", "seat", "nation", "country"})


def without_other_measures(text: str, counted: Collection[str]) -> str:
    """``text`` less the number-unit compounds that measure something other than what is counted
    ("three-day" for "How many barrels…?"; "three-day" stays for "How many days…?")."""
    stems = word_stems(counted)

    def keep(unit: str) -> bool:
        unit = unit.casefold()
        return (
            unit in _HEADCOUNT_UNITS
            or any(w in (unit, f"{unit}s", f"{unit}es") or unit == f"{w}s" for w in counted)
            or matches(unit, counted, stems)
        )

    return _MEASURE.sub(lambda m: m.group(0) if keep(m.group("unit")) else " ", text)


def without_non_counts(text: str, counted: Collection[str]) -> str:
    """``text`` less the numbers that count nothing for a "how many" question."""
    # A day of the month, a clock time, a sum of money or a percentage counts nothing: "on Tuesday,
    # March 4, … a $38 million shortfall" says nothing of how many floors (unless money or a share is
    # what is counted: "How many dollars…?", "How many percent…?").
    text = without_calendar_times(text)
    if _MONEY_UNITS.isdisjoint(counted):
        text = _SUM_OF_MONEY.sub(" ", text)
    # "How many of the buildings collapsed?" is answered by "80% of the buildings".
    if _SHARE_UNITS.isdisjoint(counted) and "of" not in counted:
        text = _PERCENTAGE.sub(" ", text)
    return text


def without_calendar_times(text: str) -> str:
    """``text`` less its days of the month and clock times ("March 4", "6 a.m."): no count or size."""
    return _CLOCK_TIME.sub(" ", CALENDAR_DATE.sub(" ", text))


_CLOCK_TIME = re.compile(r"\b\d{1,2}(?:[:.]\d\d)?\s*(?:[ap]\.m\.|[ap]m\b)", re.I)
_SUM_OF_MONEY = re.compile(
    r"[$€£¥₽]\s?\d[\d,.]*(?:\s*(?:million|billion|trillion|bn|m|k)\b)?"
    r"|\b\d[\d,.]*\s*(?:(?:million|billion|trillion)\s+)?(?:dollars?|euros?|pounds?|rubles?|roubles?|pesos?|yuan|yen|francs?|cents?)\b",
    re.I,
)
_MONEY_UNITS = frozenset({"millions", "billions", "thousands", "dollars", "euros", "pounds", "rubles", "roubles", "pesos", "yuan", "yen", "francs", "cents"})
_PERCENTAGE = re.compile(r"\b\d[\d,.]*\s*(?:%|percent\b|per\s?cent\b)", re.I)
_SHARE_UNITS = frozenset({"percent", "percentage", "points", "per", "cent"})


# A time question about a beginning ("When was the facility built?", "…did he arrive?") or an end ("When
# did he leave Moscow?", "…was the base closed?"). A sentence that tells only of the opposite end of the
# same kind of event gives that end's date ("…ordered the closure … in 2001", "…arrived … on
# Thursday"). Each kind pairs its own ends: "three people died" says nothing against "When did the
# fire start?". Unambiguous forms only: "found" (find), "left" (a side), "end" and "open" (an end, an
# open letter) count only as the asked end.
_EVENT_KINDS: tuple[tuple[frozenset[str], frozenset[str]], ...] = tuple(
    (frozenset(starts.split()), frozenset(ends.split()))
    for starts, ends in (
        (
            "build builds built building construct constructed construction founded founding foundation "
            "establish established establishment create created creation opened opening launch launched "
            "introduced inaugurated inauguration",
            "close closes closed closure closing shut demolish demolished demolition abolish abolished "
            "dissolve dissolved",
        ),
        ("born birth", "die died death"),
        ("arrive arrives arrived arrival", "leave leaves departed departure depart"),
        ("elected election appointed appointment", "resign resigned resignation retire retired"),
        ("begin began begun start started", "ended"),
        # An order, a ban or sanctions: "…were ordered to evacuate" says nothing of when it was lifted.
        (
            "impose imposed imposes imposing issued ordered enacted decreed proclaimed",
            "lift lifted lifts lifting rescind rescinded revoke revoked repeal repealed",
        ),
    )
)
# A span of time from one year (or date) to another: "1810 – 17 October 1849", "1962–1991".
_DATE_SPAN = re.compile(r"\b\d{3,4}\s*[–—−-]\s*(?:\d{1,2}\s+)?(?:[A-Z][a-z]+\.?\s+)?(?:\d{1,2},?\s+)?\d{3,4}\b")
_OWN_TOO = (frozenset({"found", "open", "opens"}), frozenset({"left", "leaving", "end", "ends"}))


def asked_event(question: str) -> tuple[int, int] | None:
    """Which kind of event a time question asks the start (0) or the end (1) of, as (kind, end); None
    when it asks no time, or of no such event."""
    # Any time cue: "When…", "What exact date…", and "In what year…" / a trailing "…in what year?" too.
    if not DATE_CUES.intersection(type_cues(question)):
        return None
    words = {w.casefold() for w in _WORD.findall(question)}
    for kind, (starts, ends) in enumerate(_EVENT_KINDS):
        asks_start, asks_end = bool(words & starts), bool(words & ends)
        if asks_start != asks_end:
            return kind, int(asks_end)
    return None


def tells_the_other_end(event: tuple[int, int], text: str) -> bool:
    """``text`` tells of the other end of the asked kind of event (a closure for "built") and of none
    of the asked end."""
    kind, end = event
    if _DATE_SPAN.search(text):
        return False  # "Chopin (… 1 March 1810 – 17 October 1849), born Fryderyk…": a span gives both ends
    own, other = _EVENT_KINDS[kind][end], _EVENT_KINDS[kind][1 - end]
    words = [w.casefold() for w in _WORD.findall(text)]
    # An infinitive is an aim, not an event that took place: "…ordered the closure … in 2001 as part of
    # a campaign to establish closer relations" tells of no founding.
    if any(
        (w in _OWN_TOO[end] or matches(w, own, _event_stems(own))) and (i == 0 or words[i - 1] != "to")
        for i, w in enumerate(words)
    ):
        return False
    return any(matches(w, other, _event_stems(other)) for w in words)


@functools.cache
def _event_stems(words: frozenset[str]) -> frozenset[str]:
    return word_stems(words)


# "…the largest since 2018, when a blaze in the same foothills burned 30,000 hectares": what follows
# "when" tells of another event, at another time; its numbers and dates answer nothing about this one.
_OTHER_EVENT = re.compile(
    r"\b(?:since|in|than in|as in|like in|unlike in|back in)\s+(?:early\s+|late\s+|mid-)?(?P<year>1[5-9]\d\d|20\d\d)"
    r"(?:s)?,?\s+when\b[^.;!?]*",
    re.I,
)


def without_other_events(text: str, words: Collection[str]) -> str:
    """``text`` less the clauses about another time ("since 2018, when …"); kept when the question
    names that year."""
    if "when" not in text:
        return text
    return _OTHER_EVENT.sub(lambda m: m.group(0) if m.group("year") in words else m.group(0)[: m.start("year") - m.start() + 4], text)


def _fresh_match(pattern: re.Pattern[str], text: str, words: Collection[str]) -> bool:
    """``pattern`` matches ``text`` somewhere other than in the question's own words: "on Saturday" is no
    answer to "What time will the rally start on Saturday?", nor "LHS 2290 c" a year for "In what year
    was LHS 2290 c discovered?". A match is read as the whole whitespace-delimited word it falls in."""
    for match in pattern.finditer(text):
        start, end = match.start(), match.end()
        while start > 0 and not text[start - 1].isspace():
            start -= 1
        while end < len(text) and not text[end].isspace():
            end += 1
        tokens = [t for t in _WORD.findall(text[start:end].casefold()) if len(t) > 1 or t.isdigit()]
        if not tokens or not all(t in words for t in tokens):
            return True
    return False


def stem_prefix(token: str) -> str | None:
    """The prefix a word sharing ``token``'s stem starts with; None for words too short to stem."""
    if len(token) < 5:
        return None
    return token[:5] if len(token) < 7 else token[: len(token) - 2]


def word_stems(words: Iterable[str]) -> frozenset[str]:
    """The stems of ``words`` that a longer word may extend (for :func:`matches`)."""
    return frozenset(stem for w in words if (stem := stem_prefix(w)) is not None)


# British and American words and spellings for one thing: one corpus of news mixes them, and a
# question may use the other ("railways" for an article's "railroads", "defence" for "defense").
_VARIANT_WORDS = {
    "railway": "railroad", "lorry": "truck", "petrol": "gasoline", "motorway": "highway", "aeroplane": "airplane",
    "programme": "program", "tyre": "tire", "aluminium": "aluminum", "jewellery": "jewelry", "grey": "gray",
    "pavement": "sidewalk", "postcode": "zipcode", "maths": "math", "sceptic": "skeptic", "plough": "plow",
}  # fmt: skip
_VARIANT_WORDS |= {american: british for british, american in _VARIANT_WORDS.items()}
_VARIANT_ENDINGS = (("our", "or"), ("tre", "ter"), ("ence", "ense"), ("ogue", "og"))


@functools.lru_cache(maxsize=4096)
def spelling_variants(token: str) -> tuple[str, ...]:
    """The other side's forms of a word: ("railroad",) for "railway", ("color",) for "colour",
    ("centre",) for "center"; () for most words."""
    out = [_VARIANT_WORDS[token]] if token in _VARIANT_WORDS else []
    if len(token) >= 5:
        for british, american in _VARIANT_ENDINGS:
            for a, b in ((british, american), (american, british)):
                if token.endswith(a):
                    out.append(token[: -len(a)] + b)
                    break
    return tuple(out)


def matches(token: str, words: Collection[str], stems: Collection[str] | None = None) -> bool:
    """Exact match, or a shared stem of 5+ letters either way: "america" ~ "american", "negotiate" ~
    "negotiations", "parliamentary" ~ "parliament"; or the other side's spelling ("railway" ~
    "railroads", "colour" ~ "color"). ``stems``: ``word_stems(words)``, when the caller checks many
    tokens against the same words."""
    if token in words or any(v in words for v in spelling_variants(token)):
        return True
    stem = stem_prefix(token)
    if stem is not None and any(w.startswith(stem) for w in words):
        return True
    # The other way round: a word whose stem the token extends ("parliament" for "parliamentary").
    stems = word_stems(words) if stems is None else stems
    return any(token[:k] in stems for k in range(5, len(token)))


def key_terms(tokens: Iterable[str]) -> tuple[str, ...]:
    """The question's topic words: its tokens less framing words, in order, once each."""
    seen: dict[str, None] = {}
    for t in tokens:
        if (t not in FRAMING_WORDS and t not in CATEGORY_WORDS and not t.isdigit()) or (t.isdigit() and len(t) == 4):
            seen.setdefault(t, None)
    return tuple(seen)


def key_support(terms: Iterable[str], in_corpus: Callable[[str], bool]) -> float:
    """Share of the key terms the corpus uses at all (stem-aware through ``in_corpus``); 1.0 if none."""
    terms = tuple(terms)
    if not terms:
        return 1.0
    return sum(1 for t in terms if in_corpus(t)) / len(terms)


_SPEECH = (
    rf"{_SAID}|asks|warns|promised|promises|declares|writes|urged|urges|called|calls|announced|pledged|vowed|"
    r"claimed|claims|described|describes|suggested|assured|reminded|stated|commented|editorialized|editorialised|"
    r"saying|telling"
)
# "What did Lavrov say…", "How did the Kremlin describe…", "According to Putin, …": whose words are asked for.
# Not "what did Watt add to the engine", "what did Russia offer", "what did Davies want": things done or wished;
# nor "what did Davies call his system", a name given ("call for", "call on" are words).
# Or a speaker named by office: "What did the governor say…" (lower-case, so only people's roles).
SPEAKER_ROLES = (
    "governor", "mayor", "minister", "president", "prime minister", "spokesman", "spokeswoman", "spokesperson",
    "chairman", "chairwoman", "chair", "director", "manager", "coach", "official", "prosecutor", "judge",
    "senator", "lawyer", "doctor", "ambassador", "secretary", "chancellor", "premier", "commander", "chief",
    "executive", "ceo", "councillor", "councilor", "owner", "founder", "captain", "analyst", "expert",
)  # fmt: skip
_ASKS_SPEECH = re.compile(
    r"\b(?:did|does|do|has|have|had|will|would)\s+(?:the\s+)?"
    rf"(?P<who>(?:[A-Z][\w’'-]+\s+){{1,3}}?|(?:{'|'.join(SPEAKER_ROLES)})\s+)"
    r"(?:say|tell|promise|call(?=\s+(?:for|on|upon)\b)|describe|urge|warn|ask|claim|announce|pledge|add(?!\s+to\b)|write|reply|respond|"
    r"insist|stress|suggest|assure|propose|mean)\b"
    r"|^(?i:according to )(?:the\s+)?(?P<who2>(?:[A-Z][\w’'-]+\s*){1,3})",
)


# "Who is the principal of Birchwood Elementary?", "Who is QuickCrate's chief executive?": the holder of
# an office, which a sentence that answers names ("Principal Ana Ortiz", "…, the company's chief
# executive"); relations ("Who is his rival?", "…the protagonist?") are often told without the word.
_OFFICES = (
    "governor|mayor|minister|president|premier|chancellor|spokesman|spokeswoman|spokesperson|chairman|"
    "chairwoman|chair|director|manager|coach|prosecutor|judge|senator|ambassador|secretary|commander|"
    "executive|ceo|councillor|councilor|owner|founder|captain|principal|superintendent|treasurer|mediator|"
    "agent|speaker|sheriff|commissioner|editor|dean|bishop|chief"
)
_ASKS_OFFICE = re.compile(
    r"^(?i:who\s+(?:is|was|are|were|will\s+be)\s+(?:the\s+|its\s+|their\s+|his\s+|her\s+)?)"
    r"(?:[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*['’]s?\s+)?(?:(?:new|current|former|acting|interim|first|next)\s+)?"
    rf"(?:[a-z][\w-]*\s+)?(?P<office>{_OFFICES})s?(?=\s+(?:of|for|at|in)\b|\s*[?.!]*\s*$)"
)


def asked_office(question: str) -> str:
    """The office whose holder "Who is (X's) <office> (of X)?" asks for ("principal"), or ""."""
    match = _ASKS_OFFICE.match(question.strip())
    return match.group("office") if match else ""


def names_office(office: str, words: Collection[str], stems: Collection[str]) -> bool:
    """A text whose tokens are ``words`` (``stems``: their ``word_stems``) names the office ("chief
    executive" or "CEO" for "executive"), stem-aware."""
    if office in ("executive", "ceo") and ("ceo" in words or "executive" in words):
        return True
    return matches(office, words, stems)


def asked_speaker(question: str) -> str:
    """The last word of the name whose words the question asks for ("lavrov"), or ""."""
    match = _ASKS_SPEECH.search(question)
    if not match:
        return ""
    name = (match.group("who") or match.group("who2") or "").split()
    return name[-1].casefold().strip("’'") if name else ""


def speech_verb(question: str) -> str:
    """The verb of "What did X say / describe / urge…" ("describe"), or ""."""
    match = _ASKS_SPEECH.search(question)
    if not match or not match.group("who"):
        return ""
    return question[match.end("who") : match.end()].strip()


def asks_for_words(question: str) -> bool:
    """"What did X say / tell / promise…": X's own words, not "According to X, …" (a source, whose
    report the answer may merely cite)."""
    match = _ASKS_SPEECH.search(question)
    return bool(match and match.group("who"))


def speaker_in_words(question: str) -> str:
    """How the reader is told whose words are missing: "Lavrov", or "the governor" for an office."""
    match = _ASKS_SPEECH.search(question)
    if match and match.group("who") and match.group("who")[0].islower():
        return f"the {match.group('who').strip()}"
    return asked_speaker(question).title()


def speaks(text: str, speaker: str) -> bool:
    """``speaker`` (a name's last word) is the one speaking in ``text``: "Lavrov said", "…,” said Mr
    Lavrov", "…, reported Yevgeny Krutikov", "Lavrov, the minister, told…", or "Lavrov was clearer.
    “We call on…,” he said" (the pronoun after the name) — not the one spoken to ("Putin told Mr
    Diaz-Canel")."""
    if not speaker:
        return False
    if _speaker_pattern(speaker).search(text) is not None:
        return True
    pronoun = PRONOUN_SPEAKER.search(text)
    return pronoun is not None and _name_pattern(speaker).search(text, 0, pronoun.start()) is not None


# Between "said" and the speaker's name only a title or a role ("said Kessler's chief operating officer,
# Brigitte Vance"; "responded the Kremlin security analysis medium, Vzglyad"): no clause ("said he would
# meet Lavrov").
_NOT_BETWEEN = r"(?:he|she|they|it|we|i|you|that|this|which|who|would|will|could|should|might|to|was|were|is|are|had|has|have|not|and|but)"


@functools.lru_cache(maxsize=256)
def _speaker_pattern(speaker: str) -> re.Pattern[str]:
    """Compiled once per name: every candidate sentence of a question is checked against it. A clause
    between the name and a finite verb ("Lavrov, the minister, told") is the name's apposition; before
    ", saying" it speaks for the sentence's subject, so there the name must open the sentence ("Volodin
    … made common cause with Mr Diaz-Canel on Friday, saying…" is Volodin's)."""
    name = re.escape(speaker)
    return re.compile(
        # Between the name and the verb: an apposition up to a comma, or the holder's name after an
        # office asked about ("Mayor Daniel Whitcomb said" for "the mayor").
        rf"\b{name}\b(?:[^.!?;“”\"]{{0,40}}?,|(?-i:(?:\s+[A-Z][\w’'.-]*){{1,3}}?))?"
        rf"\s+(?:has\s+|had\s+|also\s+)?(?:{_SPEECH})(?<!saying)(?<!telling)\b"
        rf"|\b{name}\s+(?:saying|telling)\b|\b{name}\s*:\s*[“\"‘]"
        rf"|(?:^|[.!?]\s+)(?-i:(?:[A-Z][\w’'.-]*\s+){{0,3}}?){name}\b[^.!?;“”\"]{{0,120}}?,\s+(?:saying|telling)\b"
        rf"|\b(?:said|says|added|wrote|writes|reported|reports|noted|explained|replied|responded|according to)\s+"
        rf"(?:(?!{_NOT_BETWEEN}\b)[\w’'-]+,?\s+){{0,6}}?{name}\b",
        re.I,
    )


def quoted_by(before: str, speaker: str) -> bool:
    """The text that follows ``before`` (its paragraph so far) stands inside a quotation opened after
    ``speaker`` is named: "Foreign Minister Sergei Lavrov was clearer. “We call on…,” he said –
    “refraining from… We categorically reject the far-fetched allegations…" — the last sentence is
    Lavrov's too."""
    if not speaker:
        return False
    depth, opened = 0, -1
    for i, ch in enumerate(before):
        if ch == "“":
            if depth == 0:
                opened = i
            depth += 1
        elif ch == "”" and depth:
            depth -= 1
    if depth == 0 or opened < 0:
        return False
    return _name_pattern(speaker).search(before, 0, opened) is not None


def unnamed_speaker(text: str) -> bool:
    """Someone speaks in ``text`` by pronoun or office: "…,” he said", "…,” the minister went on"."""
    return bool(PRONOUN_SPEAKER.search(text) or ROLE_SPEAKER.search(text))


def names(text: str, speaker: str) -> bool:
    """``speaker`` (a name's last word) occurs in ``text`` as a word."""
    return _name_pattern(speaker).search(text) is not None


def unattributed_quotation(paragraph: str) -> bool:
    """The paragraph is all quotation, with no attribution of its own ("“I would like to reiterate our
    complete solidarity… all other countries.”"): in news style it goes on quoting whoever spoke at
    the end of the paragraph before."""
    stripped = paragraph.strip()
    return stripped.startswith("“") and not _WORD.search(re.sub(r"“[^”]*(”|$)", " ", stripped))


@functools.lru_cache(maxsize=256)
def _name_pattern(speaker: str) -> re.Pattern[str]:
    """The name as a word, case-blind: compiled once per name, as ``_speaker_pattern`` is."""
    return re.compile(rf"\b{re.escape(speaker)}\b", re.I)


# "Why…?" is answered by a sentence that gives a reason ("…failed because Bush did not reciprocate").
_ASKS_REASON = re.compile(r"^(why|for what reason|what (was|is|were|are) the reasons? (for|why|that))\b", re.I)
_REASON = re.compile(
    r"\b(because|since|due to|owing to|thanks to|as a result|in order to|so that|so as to|for fear|in exchange|"
    r"in return|the reason|meant that|led to|caused|aimed at)\b",
    re.I,
)
# "What word / term / phrase did X use…" is answered by a short quoted expression (“unjust”).
_ASKS_TERM = re.compile(r"^(what|which) (word|term|phrase|expression|adjective|label|nickname)s?\b", re.I)
_QUOTED_TERM = re.compile(r"(?<!\w)[“‘\"](?=\S)[^“”‘’\"\n]{1,30}(?<=\S)[”’\"](?!\w)")

# "What is the name for…", "another term for…", "What does isobaric mean?" are answered by a sentence
# that names or glosses something ("Such problems are called…", "rotors (rotating discs)").
_ASKS_NAMING = re.compile(
    r"^(what|which) (is|was|are|were) (the |a |an )?(\w+ )?(name|term|word|phrase|expression)s? (for|of|given to|used for)\b"
    r"|\b(another|other|common|usual|technical|popular|scientific|formal|informal) (name|term|word)s? (for|of)\b"
    r"|^what does [\w-]+( [\w-]+)? mean\b",
    re.I,
)
_NAMING = re.compile(
    r"\b(called|named|known as|termed|referred to as|dubbed|nicknamed|meaning|means|stands for)\b"
    r"|\((?!citation)[^()]{2,40}\)",
    re.I,
)


# "What is a class action lawsuit?", "What is anaphylaxis?": a term to define. Not "the …" or "…'s …" (a
# fact about a thing: "What is the capital of…", "What is Cuba's main export?"), not a name (news
# describes names in passing: "the Kremlin-backed daily Vzglyad"), and not "What is a solar chimney made
# of?" or "What is a typical …?" (something else is asked about the term).
_ASKS_DEFINITION = re.compile(
    r"^(?i:what\s+(?:is|are))\s+(?:(?i:an?)\s+)?(?P<term>[a-z][\w’'-]*(?:\s+[a-z][\w’'-]*){0,3})\s*\?\s*$"
)
_NOT_A_TERM = frozenset((
    "called", "named", "known", "used", "made", "located", "based", "like", "worth", "typical", "common",
    "main", "usual", "example", "another", "next", "last", "first", "best", "latest",
))  # fmt: skip


def defined_term(question: str) -> str:
    """The term whose definition "What is (a/an) X?" asks for ("class action lawsuit"), or ""."""
    match = _ASKS_DEFINITION.match(question.strip())
    if not match:
        return ""
    term = match.group("term")
    words = term.split()
    if any(w in STOPWORDS or w in _NOT_A_TERM or "'" in w or "’" in w for w in words):
        return ""
    return " ".join(words)


@functools.lru_cache(maxsize=256)
def _definition_pattern(term: str) -> re.Pattern[str]:
    """Where a sentence says what ``term`` is: "A solar cell is…", "…a solar chimney (or thermal
    chimney) is…", "anaphylaxis, a severe…", "…enemy ghosts named Poes"; the last word singular or
    plural."""
    *head, last = term.split()
    phrase = r"\s+".join([*map(re.escape, head), re.escape(last[:-1] if last.endswith("s") else last) + r"(?:s|es)?"])
    return re.compile(
        rf"\b{phrase}\b(?:\s*\([^()]{{0,80}}\))?(?:\s*,[^,.;!?]{{0,60}},)?\s+"
        r"(?:is|are|was|were|refers?\s+to|means?|describes?|denotes?|involves?)\b"
        rf"|\b{phrase}\b\s*(?:,\s*(?:an?|the)\s|[—–:(])"
        rf"|\b(?:called|named|known\s+as|termed|dubbed|referred\s+to\s+as)\s+(?:an?\s+|the\s+)?[“\"‘]?{phrase}\b",
        re.I,
    )


def defines(term: str, text: str) -> bool:
    """``text`` says what ``term`` (``defined_term``) is, rather than merely using it ("…certified as a
    class action")."""
    return bool(term) and _definition_pattern(term).search(text) is not None


def form_cues(question: str) -> tuple[re.Pattern[str], ...]:
    """Patterns of a sentence that fits the question's *form* beyond its answer type: a reason for
    "why", a quoted expression for "what word", a name or gloss for "what is the term for", a
    definition for "what is a …?"."""
    cues = []
    if _ASKS_REASON.search(question):
        cues.append(_REASON)
    if _ASKS_TERM.search(question):
        cues.append(_QUOTED_TERM)
    if _ASKS_NAMING.search(question):
        cues.append(_NAMING)
    if term := defined_term(question):
        cues.append(_definition_pattern(term))
    return tuple(cues)


# "Who is Russia's foreign minister?" is not answered by "Cuba's Foreign Minister Bruno Rodriguez…": the
# sentence names the same office, or thing, of another owner. An owner is a capitalised word before
# "'s" ("Russia's"), or after "the" ("the Russian foreign minister"); what it owns, up to three
# lower-case words after it, compared case-blind ("Foreign Minister"). Or the other way round:
# "the president of Cuba".
_POSSESSED = re.compile(
    r"(?:\b([A-Z][\w-]*)['’]s|\b[Tt]he\s+([A-Z][\w-]*))\s+((?:[a-z][\w-]*\s+){0,2}[a-z][\w-]*)"
)
_OWNED_OF = re.compile(r"\b[Tt]he\s+((?:[a-z][\w-]*\s+){0,2}?[a-z][\w-]*)\s+of\s+(?:the\s+)?([A-Z][\w-]*)")


@functools.lru_cache(maxsize=256)
def possessions(question: str) -> tuple[tuple[str, str, bool], ...]:
    """``(owner, thing, possessive)`` the question asks about ("russia", "foreign minister", True),
    casefolded; the thing is cut at its first stopword ("Cuba's ties with…" → "ties"). "The president
    of Cuba" gives ("cuba", "president", True); "the Russian foreign minister" ("russian", "foreign
    minister", False): a modifier may only classify ("the US sanctions"), so it is not echoed."""
    out = []
    for match in _POSSESSED.finditer(question):
        words = []
        for word in match.group(3).split():
            if word.casefold() in STOPWORDS:
                break
            words.append(word.casefold())
        if words:
            out.append(((match.group(1) or match.group(2)).casefold(), " ".join(words), bool(match.group(1))))
    # "the president of Cuba", "the foreign minister of Russia"
    out += [(m.group(2).casefold(), m.group(1).casefold(), True) for m in _OWNED_OF.finditer(question)]
    return tuple(out)


def owner_echo(possessed: Iterable[tuple[str, str, bool]], text: str) -> bool:
    """``text`` gives an asked-about thing to the question's own owner: "president of Cuba", "Cuba's
    president" or "Cuban president" for "Who is Cuba's president?" (possessive questions only)."""
    for owner, thing, possessive in possessed:
        if not possessive:
            continue
        before, after = _owned_patterns(thing)
        found = [m.group(1).casefold() for m in before.finditer(text)] + [
            m.group(1).casefold() for m in after.finditer(text)
        ]
        if any(_same_owner(owner, o) for o in found):
            return True
    return False


def owner_conflict(possessed: Iterable[tuple[str, str, bool]], text: str) -> bool:
    """``text`` gives one of the asked-about things only to other owners: "Cuba's Foreign Minister"
    for "Russia's foreign minister" (or "the Russian foreign minister"), with no "Russia's" one beside it."""
    for owner, thing, _ in possessed:
        owners = [m.group(1).casefold() for m in _thing_pattern(thing).finditer(text)]
        owners = [o for o in owners if o not in STOPWORDS]
        if owners and not any(_same_owner(owner, o) for o in owners) and not owner_echo(((owner, thing, True),), text):
            return True
    return False


def _same_owner(a: str, b: str) -> bool:
    """"russia" ~ "russian", "cuba" ~ "cuban", "us" ~ "us"."""
    return a == b or matches(a, (b,)) or (min(len(a), len(b)) >= 4 and (a.startswith(b) or b.startswith(a)))


@functools.lru_cache(maxsize=256)
def _thing_pattern(thing: str) -> re.Pattern[str]:
    """A capitalised possessive right before ``thing`` ("Cuba's Foreign Minister"). Not a bare
    capitalised word: "European Union law" is the EU's law, however its owner is spelled."""
    return re.compile(rf"\b([A-Z][\w-]*)['’]s\s+(?i:{re.escape(thing)})\b")


@functools.lru_cache(maxsize=256)
def _owned_patterns(thing: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The word before ``thing`` ("Cuba's president", "Cuban president") and its owner after it
    ("president of Cuba", "president of the Republic of Cuba" reads "republic")."""
    name = re.escape(thing)
    return (
        re.compile(rf"\b([\w-]+?)(?:['’]s)?\s+{name}\b", re.I),
        re.compile(rf"\b{name}\s+of\s+(?:the\s+)?([\w-]+)", re.I),
    )


def asks_negated(question: str) -> bool:
    """"What did X *not* do?", "Who *never*…", "Which *didn't*…"."""
    return bool(_QUESTION_NEGATION.search(question))


def negates(text: str) -> bool:
    """``text`` negates something, or restricts ("only", "instead", "rather")."""
    return bool(_SENTENCE_NEGATION.search(text))


def negation_missing(question: str, text: str) -> bool:
    """The question is negated and ``text`` negates nothing."""
    return asks_negated(question) and not negates(text)


def overlap(a: Collection[str], b: Collection[str]) -> float:
    """Shared words over the smaller set's size (near-duplicate quotes)."""
    if not a or not b:
        return 0.0
    return len(set(a) & set(b)) / min(len(a), len(b))


# -- a name the article withholds -------------------------------------------------

# "What was the name of the Russian intelligence base in Cuba?": the asked thing is the noun before
# the first preposition or relative word ("base"); the words before it are its modifiers.
_NAME_OF = re.compile(
    r"^(?:what|which)\s+(?:is|was|are|were)\s+(?:the\s+)?(?:name|names|title)\s+of\s+(?:the\s+|a\s+|an\s+)?"
    r"(?P<modifiers>(?:[\w'’-]+\s+){0,4}?)(?P<head>[\w-]+)"
    r"(?=\s+(?:in|on|of|at|near|that|which|who|whom|for|from|with|by|to|the|used|where|did|does)\b|\s*[?.!]|$)",
    re.I,
)
_QUOTE_OPENERS = frozenset('“"(')
# Modifiers that tell nothing apart: "a different instrument" names no instrument.
# Words that describe a thing without telling which one it is ("a leading medical journal", "a local
# newspaper"): no answer to "Which medical journal…?", as "the fishing treaty" is to "Which treaty…?".
_VAGUE = frozenset((
    "different", "other", "another", "similar", "same", "new", "certain", "particular", "second", "unnamed",
    "leading", "major", "prominent", "top", "well-known", "renowned", "prestigious", "respected", "popular",
    "large", "big", "small", "local",
))  # fmt: skip
_SLOT_TOKEN = re.compile(r"[\w’'.-]+|[“\"(]")
_INDEFINITE = frozenset(("a", "an", "another", "some", "one"))
_DETERMINERS = _INDEFINITE | frozenset(
    ("the", "its", "their", "his", "her", "this", "that", "these", "those", "our")
)
# Words a noun phrase does not extend over, leftwards from its noun.
_NP_STOP = _DETERMINERS | frozenset(("of", "in", "on", "at", "to", "for", "from", "by", "with", "and", "or"))
# "…was a leader of the Swiss Reformation": a predicate; the sentence's subject is the name.
_PREDICATE = re.compile(
    r"\b(?:is|was|are|were|be|been|become|became|becomes|as|remains?|remained)\s+(?:a|an|the|one)?$"
)
# "…facilities such as the Malkin Athletic Center", "a company called Veridian": the name follows.
_NAMED_AFTER = re.compile(r"(?:such as|including|like|called|named|known|dubbed|nicknamed)\b")


@functools.lru_cache(maxsize=256)
def asked_slot(question: str) -> tuple[str, tuple[str, ...], bool] | None:
    """What a name question asks to be named, the question's words for it, and whether it says "name":
    ``("base", ("Russian", "intelligence"), True)`` for "What was the name of the Russian intelligence
    base…?", ``("club", ("London",), False)`` for "Which London club bought…?" (a description such as
    "the fishing treaty" answers "Which treaty…?", not "What was the name of the treaty?"); None for
    other questions."""
    match = _NAME_OF.match(question)
    if match:
        return match.group("head").casefold(), tuple(match.group("modifiers").split()), True
    match = _ENTITY.match(question)
    if match is not None:
        lead = match.group("modifiers").split()
        return match.group("category").casefold(), tuple(w for w in lead if w.casefold() not in _ENTITY_LEAD), False
    match = _WHICH.match(question)
    if match is not None and match.group("head").casefold().rstrip("s") not in _TYPE_WORDS:
        return match.group("head").casefold(), tuple(match.group("modifiers").split()), False
    return None


# "Which year…", "which number…" ask for a date or a number (``ANSWER_TYPES``), not a name.
_TYPE_WORDS = frozenset((
    "year", "day", "date", "month", "week", "weekday", "time", "century", "decade", "season", "hour", "period", "era",
    "number", "amount", "percentage", "share", "proportion", "size", "price", "sum",
))  # fmt: skip
# "Which rival delivery platform settled…?", "In which two districts was counting delayed?": any
# "which" noun phrase up to its verb (an auxiliary, a past tense, or a common news verb).
_WHICH = re.compile(
    r"^(?:(?:in|from|by|for|to|with|at|on|of|into|between)\s+)?which\s+"
    r"(?P<modifiers>(?:(?!(?:by|of|in|on|at|for|from|with|to|and|or)\b)[\w'’-]+\s+){0,3}?)(?P<head>[\w-]+)\s+"
    # "Which hotel in downtown Saltmarsh hosted…?": a place after the head, then the verb.
    r"(?:(?:in|at|near|outside)\s+(?:[\w'’-]+\s+){1,3}?)?"
    r"(?=(?:is|was|are|were|did|does|do|has|have|had|will|would|can|could|should|may|might|must|[\w-]+ed|sent|won|"
    r"took|made|gave|got|held|led|left|paid|sold|bought|brought|built|became|began|came|went|told|said|wrote|ran|"
    r"rose|fell|met|kept|lost|found|saw|chose|drew|grew|knew|spent|hit|put|set|cut)\b)",
    re.I,
)


_ENTITY_LEAD = frozenset(("which", "what", "in", "from", "by", "for", "to", "with"))


def _plural(word: str) -> bool:
    return word.endswith("s") and not word.endswith("ss")


# The article says it holds the asked detail back: a name ("an unnamed official", "speaking on
# condition of anonymity") or an amount ("for an undisclosed sum", "terms were not disclosed").
_NAME_WITHHELD = re.compile(
    r"\b(?:unnamed|unidentified|anonymity|anonymous(?:ly)?|asked not to be (?:named|identified)|"
    r"(?:declined|refused) to (?:be )?(?:name|named|identify|identified)|(?:did|would) not (?:name|identify)|"
    r"(?:has|have|had)? ?not (?:yet )?been (?:named|identified)|not authori[sz]ed to (?:speak|comment))\b",
    re.I,
)
_AMOUNT_WITHHELD = re.compile(
    r"\b(?:undisclosed|unspecified|unknown) (?:sum|amount|fee|price|figure|fine|payment|settlement|number)|"
    r"(?:did|would) not (?:disclose|reveal|say how much|say how many)|(?:declined|refused) to (?:disclose|reveal)|"
    r"(?:were|was|has|have) not (?:been )?(?:disclosed|revealed|made public)\b",
    re.I,
)


@functools.lru_cache(maxsize=256)
def withheld_mention(question: str, text: str) -> str:
    """How ``text`` holds back what a name or amount question asks for: ``"said"`` when it says so ("an
    unnamed official", "speaking on condition of anonymity", "for an undisclosed sum"), ``"indefinite"``
    or ``"definite"`` for a mention without a name, ``"other"`` for another of its kind
    (:func:`slot_mention`), ``""`` when it does not."""
    if _NAME_WITHHELD.search(question) or _AMOUNT_WITHHELD.search(question):
        return ""
    words = question_words(question)
    # "…an unnamed source said" beside a new name does not hold that name back.
    asks_a_name = asked_slot(question) is not None or asks_who(question)
    if asks_a_name and _NAME_WITHHELD.search(text) and name_score(text, words, asked_category(question)) < 0.5:
        return "said"
    if _ASKS_AMOUNT.match(question) and _AMOUNT_WITHHELD.search(text):
        return "said"
    mention = slot_mention(question, text)
    if mention in ("indefinite", "definite", "other"):
        return mention
    return "source" if _credits_only_the_source(question, text) else ""


# People a "which X" question may ask for by their role.
_PERSON_ROLES = frozenset((
    "journalist", "reporter", "correspondent", "writer", "author", "editor", "columnist", "minister", "official",
    "spokesman", "spokeswoman", "spokesperson", "officer", "leader", "player", "striker", "coach", "manager",
    "scientist", "researcher", "astronomer", "lawyer", "judge", "senator", "diplomat", "analyst", "commander",
    "ambassador", "executive", "candidate", "activist", "economist", "expert", "adviser", "advisor", "aide",
))  # fmt: skip


def _credits_only_the_source(question: str, text: str) -> bool:
    """"Which Axios journalist reported the talks?" answered by "…were reported by Axios…": the quote
    names the organisation the question names for the person, and no one beside it."""
    slot = asked_slot(question)
    if slot is None or slot[0].removesuffix("s") not in _PERSON_ROLES:
        return False
    sources = {m.casefold() for m in slot[1] if m[:1].isupper() and m.casefold() not in _COUNTRIES}
    if not sources:
        return False
    words = question_words(question)
    stems = word_stems(words)
    tokens = [(m.group(0), m.start()) for m in _SLOT_TOKEN.finditer(text)]
    found = False
    for i, (token, _) in enumerate(tokens):
        if token.casefold().strip(".’'") not in sources:
            continue
        found = True
        for other, position in tokens[max(0, i - 3) : i + 6]:
            if _new_name_word(other, words, stems, _NO_PERSON_WORDS, text=text, position=position):
                return False  # a person may stand beside it: "Axios's Barak Ravid"
    return found


_ASKS_AMOUNT = re.compile(r"^how (?:much|many)\b|^(?:what|at what) (?:is |was )?(?:the )?(?:amount|sum|price|cost|fee|value|number)\b", re.I)


def withheld_in_words(question: str) -> str:
    """How an abstention names what the quote held back: "name for the club", "names for the
    companies"; for a question without a named thing, the kind of answer ("amount") or "name"."""
    slot = asked_slot(question)
    if slot is None:
        return asked_kind(question) or "name"  # "…for an undisclosed sum": no amount
    head = slot[0]
    return f"name{'s' if _plural(head) else ''} for the {head}"


def names_slot(question: str, text: str, *, anaphoric: bool = False) -> bool:
    """``text`` names the thing a name question asks about beside a mention of it that keeps one of the
    question's words for it, if it has any (a named "club" is no "London club"); ``anaphoric``: only a
    mention that takes up an earlier one ("The planet, known as…", not "his party")."""
    return slot_mention(question, text, same_thing=True, anaphoric=anaphoric) == "named"


def _another_of_its_kind(
    tokens: list[tuple[str, int]], i: int, words: Collection[str], stems: Collection[str], text: str
) -> bool:
    """A capitalised word of its own modifies the mention at ``i`` ("a Swedish club") and no new name
    follows it: another one of its kind than the question's."""
    k = i - 1
    while k >= 0 and i - k <= 3 and tokens[k][0].casefold() not in _NP_STOP and not LINE_BREAK.search(text, tokens[k][1], tokens[i][1]):
        token = tokens[k][0]
        if token[:1].isupper() and not matches(token.casefold(), words, stems) and not _opens_sentence(text, tokens[k][1]):
            return not any(_new_name_word(t, words, stems) for t, _ in tokens[i + 1 : i + 4])
        k -= 1
    return False


def _opens_sentence(text: str, position: int) -> bool:
    return position == 0 or text[:position].rstrip()[-1:] in _SENTENCE_END


def _new_name_word(
    token: str,
    words: Collection[str],
    stems: Collection[str],
    not_names: Collection[str] = _NOT_NAMES,
    *,
    text: str = "",
    position: int = -1,
) -> bool:
    """``token`` may be part of a name the question does not hold: capitalised, none of ``not_names``
    (function words, months, …) and not the question's own; at ``position`` in ``text``, also no common
    sentence opener ("However") that is capitalised only because a sentence starts there."""
    word = token.casefold().strip(".’'")
    if not token[:1].isupper() or word in not_names or matches(word, words, stems):
        return False
    return position < 0 or not (word in _OPENERS and _opens_sentence(text, position))


def slot_mention(
    question: str, text: str, *, same_thing: bool = False, anaphoric: bool = False, described: bool = False
) -> str:
    """How ``text`` refers to the thing a name question asks about: without naming it, ``"indefinite"`` ("to
    a London rival" for "Which London club bought Holloway?", "Russian companies would help…" for "Which
    Russian companies will modernise…?") or ``"definite"`` ("the Russian military intelligence base in
    Cuba" for "What was the name of the Russian intelligence base in Cuba?": the name may stand earlier
    in the article); ``"other"`` when it mentions only another of its kind ("a Swedish club" for
    "Which Italian club…?"); ``"named"`` with a name beside the mention; ``""`` without a mention (or
    for other questions).

    A name is beside it when a new capitalised word or a quotation stands within a few words of the
    mention ("the Boston-based company Veridian Therapeutics", "the Taxpayers Alliance, a group…"), when
    the mention is a predicate ("…became a leader of the Swiss Reformation": its subject is the name)
    or is followed by "such as", "called", "known as"…. A mention of the other number ("several
    facilities" for "the facility") or a bare role ("elevated to count of Apulia") is no mention, nor
    is a bare plural that adds a word of its own ("national courts" for "Which courts…?" may be the
    answer). With ``described``, a description ("a state appeals court" for "Which court…?") is a
    mention too: it answers, but a name given nearby answers better (``pipeline.prefer_named``)."""
    slot = asked_slot(question)
    if slot is None:
        return ""
    head, modifiers, name_asked = slot
    words = question_words(question)
    stems = word_stems(words)
    tokens = [(m.group(0), m.start()) for m in _SLOT_TOKEN.finditer(text)]
    lowered = [t.casefold().rstrip(".") for t, _ in tokens]
    head_stem = stem_prefix(head) or head
    mentions = [
        i
        for i, word in enumerate(lowered)
        if word.startswith(head_stem) and len(word) <= len(head) + 3 and _plural(word) == _plural(head)
    ]
    # "a London rival", "a club in Saudi Arabia": an indefinite mention that keeps the question's
    # capitalised modifiers holds back which one it is.
    named_modifiers = {m.casefold() for m in modifiers if m[:1].isupper()}
    modifier_stems = word_stems(named_modifiers)
    for i, word in enumerate(lowered):
        if word in _INDEFINITE and any(matches(w, named_modifiers, modifier_stems) for w in lowered[i + 1 : i + 4]):
            # …unless a name follows it ("a Belgian footballer, Jean-Marc Bosman,"; not "…near the
            # Cuban capital": a capitalised word before a lowercase one is an adjective).
            after = tokens[i + 2 : i + 8]
            if not any(
                _new_name_word(token, words, stems) and not (k + 1 < len(after) and after[k + 1][0][:1].islower())
                for k, (token, _) in enumerate(after)
            ):
                return "indefinite"
    # The question's words that pick the thing out ("London" club); "other two" picks out nothing.
    wanted = {
        m.casefold() for m in modifiers if m.casefold() not in STOPWORDS | _VAGUE and not NUMBER.fullmatch(m.casefold())
    }
    wanted_stems = word_stems(wanted)
    referred = ""
    other = False
    for i in mentions:
        start = i
        while (
            start > 0
            and i - start < 4
            and lowered[start - 1] not in _NP_STOP
            and (tokens[start - 1][0].islower() or matches(lowered[start - 1], words, stems))
        ):
            start -= 1
        if same_thing and wanted and not any(matches(w, wanted, wanted_stems) for w in lowered[max(0, i - 5) : i + 4]):
            continue
        # "The club sold Holloway…" is not the "London club" asked about: a mention keeps a question word.
        if not same_thing and wanted and not any(matches(w, wanted, wanted_stems) for w in lowered[start:i]):
            # "a Swedish club" for "Which Italian club…?", "the Russian base" for "…the US naval base…":
            # another one of its kind.
            if named_modifiers and tokens[i][0].islower() and _another_of_its_kind(tokens, i, words, stems, text):
                other = True
            continue
        determiner = lowered[start - 1] if start > 0 else ""
        if anaphoric and (determiner not in ("the", "this", "that") or tokens[i][0][:1].isupper()):
            continue
        if tokens[i][0][:1].isupper() and not _opens_sentence(text, tokens[i][1]):
            return "named"  # inside a name: "the Fourth District Court of Appeal"
        # "the fishing treaty" answers "Which treaty…?" (a word of its own); it names nothing when a name is asked.
        own_words = [w for w in lowered[start:i] if w not in _VAGUE and not matches(w, words, stems)]
        if not name_asked and own_words and not described:
            continue
        if determiner not in _DETERMINERS:
            if not _plural(head):
                continue  # a bare singular is a role, not a reference
            # A bare plural with a word of its own ("All actions…", "Japanese imports…", "national
            # courts") may be the answer itself.
            if determiner not in ("", *_NP_STOP) or not all(matches(w, words, stems) for w in lowered[start:i]):
                continue
        if _PREDICATE.search(" ".join(lowered[max(0, start - 3) : start])):
            return "named"
        if _NAMED_AFTER.match(" ".join(lowered[i + 1 : i + 4])):
            return "named"
        kind = "definite" if determiner in _DETERMINERS and determiner not in _INDEFINITE else "indefinite"
        referred = referred if referred == "indefinite" else kind
        line_from, line_to = line_start(text, tokens[i][1]), line_end(text, tokens[i][1])
        before = tokens[max(0, start - 4) : start]
        # "…the James Webb Space Telescope and a ground-based spectrograph": a name before "and" is another thing.
        cut = max((k + 1 for k, (t, _) in enumerate(before) if t.casefold() in ("and", "or")), default=0)
        window = before[cut:] + tokens[start:i] + tokens[i + 1 : i + 4]
        for token, position in [t for t in window if line_from <= t[1] < line_to]:
            if token in _QUOTE_OPENERS or _new_name_word(token, words, stems, text=text, position=position):
                return "named"
    return referred or ("other" if other else "")


# -- a time the question pins ------------------------------------------------------

# "Who wrote a paper on real-time computation in 1973?", "How many seats did the party win four years
# ago?": a sentence that does not state the time is about another one (or about no particular time).
_PINNED_TIME = re.compile(
    r"\b(?:(?:in|by|since|during|before|after|until)\s+(?P<year>1[5-9]\d\d|20\d\d)(?![\d’'s])"
    r"|(?P<phrase>(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|a)\s+years?\s+ago"
    r"|last\s+(?:year|season|month|week|decade|summer|winter|spring|autumn|fall)|this\s+(?:year|season)))\b",
    re.I,
)


def pinned_time(question: str) -> str:
    """The time a question pins its answer to ("1973", "four years ago", "last season"), or ""."""
    match = _PINNED_TIME.search(question)
    if match is None:
        return ""
    return match.group("year") or " ".join(match.group("phrase").casefold().split())


def states_time(text: str, pinned: str) -> bool:
    """``text`` states the pinned time (the same year or words)."""
    return pinned in " ".join(text.casefold().split())


# -- places -------------------------------------------------------------------------

# "In which city did Putin and Bush meet…?" wants a place name the question does not hold; a country, a
# nationality, a title or a month is none ("In a meeting with President George W. Bush on October 21,
# 2001, Putin had said he would remove the Russian base in Cuba" names no city).
_ASKS_PLACE = re.compile(
    r"^(?:(?:in|to|from|near|at|into|outside|of)\s+)?(?:which|what)\s+(?:[\w-]+\s+)?"
    r"(?P<place>city|cities|town|towns|village|villages|capital|port|resort|suburb|district)\b",
    re.I,
)
_COUNTRIES = frozenset(
    """
    afghanistan albania algeria angola argentina armenia australia austria azerbaijan bahrain bangladesh belarus
    belgium bolivia bosnia brazil bulgaria cambodia cameroon canada chile china colombia congo croatia cuba cyprus
    czech czechia denmark ecuador egypt england estonia ethiopia finland france georgia germany ghana greece
    guatemala haiti honduras hungary iceland india indonesia iran iraq ireland israel italy jamaica japan jordan
    kazakhstan kenya korea kosovo kuwait latvia lebanon libya lithuania luxembourg malaysia mali malta mexico
    moldova mongolia montenegro morocco mozambique myanmar nepal netherlands nicaragua niger nigeria norway oman
    pakistan palestine panama paraguay peru philippines poland portugal qatar romania russia rwanda saudi arabia
    scotland senegal serbia singapore slovakia slovenia somalia spain sudan sweden switzerland syria taiwan
    tajikistan tanzania thailand tunisia turkey uganda ukraine uruguay uzbekistan venezuela vietnam wales yemen
    zambia zimbabwe america usa us uk britain european europe africa asia caribbean latin
    afghan albanian algerian american argentine argentinian armenian australian austrian belarusian belgian
    bolivian brazilian british bulgarian canadian chilean chinese colombian croatian cuban cypriot czech danish
    dutch ecuadorian egyptian english estonian ethiopian finnish french georgian german ghanaian greek haitian
    hungarian icelandic indian indonesian iranian iraqi irish israeli italian jamaican japanese jordanian
    kazakh kenyan korean kuwaiti latvian lebanese libyan lithuanian malaysian mexican moldovan mongolian
    moroccan nicaraguan nigerian norwegian pakistani palestinian panamanian peruvian filipino polish portuguese
    qatari romanian russian rwandan saudi scottish serbian slovak slovenian somali spanish sudanese swedish
    swiss syrian taiwanese thai tunisian turkish ugandan ukrainian uruguayan venezuelan vietnamese welsh
    soviet
    """.split()  # noqa: SIM905 (a word list reads better as text)
)
_TITLES = frozenset(
    """
    president vice prime minister foreign secretary state king queen prince princess general admiral colonel
    captain chancellor senator governor mayor judge justice professor dr mr mrs ms sir lord lady pope bishop
    chief executive director chairman spokesman spokeswoman ambassador councillor councilor
    """.split()  # noqa: SIM905
)
# Capitalised words that are no person's name: titles, countries and nationalities, function words, months.
_NO_PERSON_WORDS = _TITLES | _COUNTRIES | _NOT_NAMES


def asked_place(question: str) -> str:
    """The kind of place a question asks for ("city"), or ""."""
    match = _ASKS_PLACE.match(question)
    return match.group("place").casefold() if match else ""


# "Where will the council meeting be held?", "Where did the talks take place?": a venue, which news
# gives after a locative preposition ("in Shanghai", "at the converted tram depot"). "to"/"from" are
# left out: "references to Fidel" names a person.
_ASKS_VENUE = re.compile(
    r"^where\s+(?:will|would|was|were|is|are|did|does|do|has|have|had)\s+(?:[\w’'-]+\s+){1,8}?"
    r"(?:be\s+held|held|hold|holding|take\s+place|took\s+place|taking\s+place|meet|met|meeting|gather|gathered|convene|convened)\b",
    re.I,
)
_PLACE_NOUNS = (
    "area|station|depot|hotel|airport|school|hospital|church|park|square|stadium|building|headquarters|office|"
    "home|house|village|town|city|capital|port|region|province|county|district|coast|border|street|road|"
    "highway|field|mill|factory|plant|site|camp|base|embassy|court|palace|centre|center|museum|library|"
    "university|college|hall|room|restaurant|ground|grounds|fairgrounds|shelter|valley|river|lake|island|"
    "suburbs?|neighbou?rhood|country|countryside|abroad|overseas|downtown|chamber|chambers|theatre|theater|"
    "arena|auditorium|venue|studio|offices|residence|estate|ranch|farm|garden|gardens|club|pavilion"
)
_LOCATIVE = re.compile(
    r"\b(?:in|at|near|outside|inside|off|across|around|within|beside|behind)\s+"
    r"(?:(?:the|a|an|its|their|his|her)\s+)?(?:[\w-]+\s+){0,3}?"
    rf"(?:(?P<noun>{_PLACE_NOUNS})\b|(?P<name>[A-ZÀ-Þ][\w.-]*(?:\s+[A-ZÀ-Þ][\w.-]*)*)(?![\w.-])(?![’']s)(?:\s+(?P<next>[a-z]+))?)",
)


_PLACE_AFTER = re.compile(rf"\s+(?:[\w-]+\s+){{0,2}}(?:{_PLACE_NOUNS})\b")
# "…would move to the larger Union Park site": a place noun after "to"/"from" with its article. A
# bare name after "to" is left out ("references to Fidel" names a person).
_TO_PLACE = re.compile(
    rf"\b(?:to|from|into|onto)\s+(?:the|a|an|its|their)\s+(?:[\w’'-]+\s+){{0,3}}?(?:{_PLACE_NOUNS})\b", re.I
)


_ASKS_WHERE = re.compile(r"^where\b", re.I)


def asks_where(question: str) -> bool:
    """A "where" question that a location answers (not "where was the author writing from": the dateline)."""
    return bool(_ASKS_WHERE.match(question)) and not asks_byline(question)


def asks_venue(question: str) -> bool:
    """Where an event is, was or will be held ("Where will the council meeting be held?")."""
    return bool(_ASKS_VENUE.match(question))


# ", which …" after a noun, up to the clause's end: it describes that noun ("the plan, which includes…").
_DESCRIBING_CLAUSE = re.compile(r"(?P<head>[\w’'-]+),\s+which\b[^,;.!?]*")


def gives_a_location(question: str, text: str) -> bool:
    """``text`` places something: a locative preposition before a place noun ("near a roadside rest
    area") or before a capitalised name that is not the question's own, nor a person's (a title), a
    month, a weekday or an adjective ("the Russian endorsement")."""
    words = question_words(question)
    stems = word_stems(words)
    # "…to vote on the city's capital improvement plan, which includes a proposed new fire station in
    # the Westfield district": a place in a clause that describes another thing is that thing's. The
    # question's own thing ("programme" for "…the housing programmes, which…") keeps its clause.
    text = _DESCRIBING_CLAUSE.sub(lambda m: m.group(0) if matches(m.group("head").casefold(), words, stems) else ",", text)
    if _TO_PLACE.search(text):
        return True
    for match in _LOCATIVE.finditer(text):
        if match.group("noun"):
            return True
        # "at the Russian endorsement": a capitalised word before a lowercase noun is an adjective
        # ("in the Kremlin on Thursday" is a place: "on" is a function word).
        following = match.group("next")
        if following and following not in STOPWORDS:
            if _PLACE_AFTER.match(text, match.end("name")):
                return True  # "at Dunmore town hall"
            continue
        parts = [p.casefold().strip(".’'") for p in match.group("name").split()]
        if _a_person_or_the_questions(parts, words, stems):
            continue
        if any(p not in _NOT_NAMES and len(p) > 1 for p in parts):
            return True
    return False


def _a_person_or_the_questions(parts: Sequence[str], words: Collection[str], stems: Collection[str]) -> bool:
    """A capitalised run (casefolded ``parts``) names a person ("President George W. Bush": a title) or
    the question's own place ("New York"); "New Rochelle" is a new one, though it shares "New"."""
    return any(p in _TITLES for p in parts) or all(matches(p, words, stems) for p in parts if p not in STOPWORDS)


def names_a_place(question: str, text: str) -> bool:
    """``text`` holds a capitalised name that may be the asked-for place: not the question's own, no
    person's (a name with a title: "President George W. Bush"), and no country, nationality, title,
    month or weekday."""
    words = question_words(question)
    stems = word_stems(words)
    for run in re.finditer(r"[A-ZÀ-Þ][\w’'.-]*(?:\s+(?:of\s+|de\s+|la\s+)?[A-ZÀ-Þ][\w’'.-]*)*", text):
        parts = [p.casefold().strip(".’'") for p in re.findall(r"[\w’'.-]+", run.group(0))]
        if _a_person_or_the_questions(parts, words, stems):
            continue
        if any(p not in _COUNTRIES and p not in _NOT_NAMES and p not in _OPENERS and len(p) > 1 for p in parts):
            return True
    return False

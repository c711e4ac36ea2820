"""Testable facts in a student's material: sentences of a few well-known shapes whose key terms are in
the medical vocabulary. The offline generator turns each fact into one question.

Sentences come from `materials.chunking.sentence_spans`. Skipped: questions, sentences shorter than
MIN_WORDS or longer than MAX_WORDS words, and sentences with a negation or contrast ("not",
"never", "contraindicated", "rather than", ...) whose meaning a pattern would turn around.
Definitions that many terms fit ("X is a risk factor for Y", "a common cause of", "a type of") are
skipped too, and a definition ends where a second predicate starts ("... and is treated with").

The patterns, tried in this order, first match wins (X, Y: spans of the sentence; the "answer" is
the term the question asks for; "subject" means the span is one vocabulary term, give or take two
words such as "acute"):

kind        shapes                                                               answer
treatment   "The first-line treatment for X is Y", "The drug of choice for X     Y: the drug or drug class
            is Y", "Y is (the) first-line (treatment) for X", "Y is the          starting Y; X a condition
            preferred treatment for X", "X is treated with Y"
mechanism   "X works by / acts by / acts on ...", "X inhibits / blocks /     X: a drug or drug class
            binds to / activates / decreases ...", "The mechanism of action
            of X is Y"
cause       "X is caused by Y", "X is due to Y", "X results from Y",             Y when Y starts with an
            "The most common cause of X is Y", "Y is the most common cause       organism (or, for "most
            of X", "<organism> causes X"                                         common cause", is one
                                                                                 term); else X (diagnosis)
adverse     "Adverse effects of X include Y", "X can cause Y",                   X: a drug
            "X is associated with Y" (X a drug)
diagnosis   "X presents with Y", "Patients with X present with Y",               X: a disease
            "X is characterized by Y", "X is associated with Y"
definition  "X is a/an Y"                                                        X: any answerable term
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from materials.chunking import sentence_spans
from materials.vocabulary import ANSWERABLE_CATEGORIES, TermMatch, VocabularyEntry, find_terms

from .drafts import SourceChunk

MIN_WORDS = 4  # "Lisinopril inhibits angiotensin-converting enzyme."
MAX_WORDS = 50
MAX_CLUE_WORDS = 30  # a clue longer than this makes a stem nobody reads
SUBJECT_EXTRA_WORDS = 2  # "acute", "chronic", "untreated" ... around the subject term
OBJECT_LEAD_WORDS = 3  # the answer must start Y: at most this many words ("a", "an" not counted) before it

CONDITIONS = frozenset({"disease", "topic"})  # "topic" entries ("angina", "anemia") name conditions too
DRUGS = frozenset({"drug", "drug_class"})

_NEGATION = re.compile(
    r"\b(?:not|no|never|neither|nor|without|cannot|can't|isn't|aren't|doesn't|don't|contraindicated|avoid|avoided|"
    r"except|unlike|instead|rather\s+than|rarely|unless|although|however|whereas)\b",
    re.IGNORECASE,
)
# "X is a risk factor for Y" or "a common cause of Y" fits many X: no question has one answer.
_GENERIC_DEFINITION = re.compile(
    r"^an?\s+(?:\w+\s+){0,2}?(?:risk\s+factor|cause|complication|consequence|feature|finding|sign|symptom|"
    r"manifestation|example|type|form|kind|part|member|component|source|marker|result)s?\b",
    re.IGNORECASE,
)
# "X is a Y and is treated with Z": the definition ends where a second predicate starts.
_SECOND_PREDICATE = re.compile(r",?\s+(?:and|but)\s+(?:is|are|can|may|was|has|have|causes?)\b", re.IGNORECASE)
_BULLET = re.compile(r"^(?:[-•*▪◦‣–]|\(?\d{1,2}[.)]|\(?[a-z][.)])\s+")
_LEADING_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
_ADVERB = (
    r"(?:(?:usually|typically|commonly|classically|often|most\s+often|most\s+commonly|primarily|mainly|"
    r"generally|frequently|initially|first|also|strongly)\s+)?"
)
_FIRST_LINE = r"first[\s-]*line|initial|preferred|standard|mainstay\s+of"
_CHOICE = r"drug\s+of\s+choice|treatment\s+of\s+choice|agent\s+of\s+choice"
_TREATMENT_NOUN = r"(?:treatment|therapy|management|agent|drug|option)"
_MECHANISM_VERBS = (
    r"inhibits?|blocks?|antagonizes?|activates?|stimulates?|binds?\s+to|binds?|agonizes?|decreases?|increases?|"
    r"reduces?|prevents?|suppresses?|enhances?"
)
_MECHANISM_ADVERBS = r"(?:(?:irreversibly|reversibly|competitively|selectively|directly|primarily|mainly)\s+)?"
# Third-person singular of the mechanism verbs, for stems about "a medication that ...".
_SINGULAR = {
    "work": "works", "act": "acts", "function": "functions", "inhibit": "inhibits", "block": "blocks",
    "antagonize": "antagonizes", "activate": "activates", "stimulate": "stimulates", "bind": "binds",
    "agonize": "agonizes", "decrease": "decreases", "increase": "increases", "reduce": "reduces",
    "prevent": "prevents", "suppress": "suppresses", "enhance": "enhances",
}  # fmt: skip


@dataclass(frozen=True)
class Pattern:
    name: str
    kind: str
    regex: re.Pattern[str]
    explicit: bool  # says the fact outright ("first-line", "is caused by") rather than hedging ("associated with")


def _p(name: str, kind: str, regex: str, *, explicit: bool) -> Pattern:
    return Pattern(name, kind, re.compile(regex, re.IGNORECASE), explicit)


PATTERNS: tuple[Pattern, ...] = (
    _p(
        "first_line_for",
        "treatment",
        rf"^(?:the\s+)?(?P<q>{_FIRST_LINE})\s+(?:treatment|therapy|management|drug|agent|medication|pharmacotherapy)"
        rf"(?:\s+option)?\s+(?:for|of|in)\s+(?P<x>.+?)\s+(?:is|are|remains|consists\s+of|includes?)\s+(?P<y>.+)$",
        explicit=True,
    ),
    _p(
        "of_choice_for",
        "treatment",
        r"^(?:the\s+)?(?P<q>(?:drug|treatment|agent|therapy)\s+of\s+choice)\s+(?:for|in)\s+(?P<x>.+?)\s+(?:is|are)\s+(?P<y>.+)$",
        explicit=True,
    ),
    _p(
        "is_first_line",
        "treatment",
        # "first-line" and "of choice" may stand alone ("Metformin is first-line for ..."); "preferred",
        # "initial" ... need their noun: "ACE inhibitors are preferred in patients with diabetes" is
        # about hypertension in diabetics, not about treating diabetes.
        rf"^(?P<y>.+?)\s+(?:is|are|remains?)\s+(?:the\s+|a\s+)?(?P<q>(?:first[\s-]*line|{_CHOICE})(?:\s+{_TREATMENT_NOUN})?"
        rf"|(?:{_FIRST_LINE})\s+{_TREATMENT_NOUN})\s+(?:for|of|in)\s+(?P<x>.+)$",
        explicit=True,
    ),
    _p(
        "treated_with",
        "treatment",
        rf"^(?P<x>.+?)\s+(?:is|are)\s+{_ADVERB}(?:treated|managed)\s+(?P<q>first\s+)?with\s+(?P<y>.+)$",
        explicit=False,
    ),
    _p(
        "works_by",
        "mechanism",
        r"^(?P<x>.+?)\s+(?P<p>(?:works?|acts?|functions?)\s+(?:primarily\s+|mainly\s+)?(?:by|through|via|on|at)\s+.+)$",
        explicit=True,
    ),
    _p(
        "mechanism_of",
        "mechanism",
        r"^the\s+mechanism\s+of\s+(?:action\s+of\s+)?(?P<x>.+?)\s+is\s+(?P<y>.+)$",
        explicit=True,
    ),
    _p(
        "most_common_cause_of",
        "cause",
        r"^(?:the\s+)?(?P<q>most\s+common)\s+cause\s+of\s+(?P<x>.+?)\s+(?:is|are)\s+(?P<y>.+)$",
        explicit=True,
    ),
    _p(
        "is_most_common_cause",
        "cause",
        r"^(?P<y>.+?)\s+(?:is|are)\s+the\s+(?P<q>most\s+common)\s+cause\s+of\s+(?P<x>.+)$",
        explicit=True,
    ),
    _p("caused_by", "cause", rf"^(?P<x>.+?)\s+(?:is|are)\s+{_ADVERB}caused\s+by\s+(?P<y>.+)$", explicit=True),
    _p("due_to", "cause", rf"^(?P<x>.+?)\s+(?:is|are)\s+{_ADVERB}due\s+to\s+(?P<y>.+)$", explicit=False),
    _p("results_from", "cause", rf"^(?P<x>.+?)\s+{_ADVERB}results?\s+from\s+(?P<y>.+)$", explicit=False),
    _p(
        "adverse_effects_of",
        "adverse",
        r"^(?:the\s+)?(?:most\s+common\s+|major\s+|serious\s+|important\s+|notable\s+)?(?:adverse|side)\s+effects?\s+"
        r"of\s+(?P<x>.+?)\s+(?:include|includes|is|are)\s+(?P<y>.+)$",
        explicit=True,
    ),
    # "X causes Y": an adverse effect when X is a drug, an organism fact when X is an organism.
    _p(
        "causes",
        "causes",
        r"^(?P<x>.+?)\s+(?:(?:can|may|commonly|often|frequently|classically)\s+)?causes?\s+(?P<y>.+)$",
        explicit=False,
    ),
    _p(
        "mechanism_verb",
        "mechanism",
        rf"^(?P<x>.+?)\s+(?P<p>{_MECHANISM_ADVERBS}(?:{_MECHANISM_VERBS})\s+.+)$",
        explicit=True,
    ),
    _p(
        "patients_present_with",
        "diagnosis",
        rf"^(?:patients|people|individuals|children|adults|women|men|infants)\s+with\s+(?P<x>.+?)\s+{_ADVERB}"
        r"(?P<r>present)\s+with\s+(?P<y>.+)$",
        explicit=True,
    ),
    _p("presents_with", "diagnosis", rf"^(?P<x>.+?)\s+{_ADVERB}(?P<r>presents?)\s+with\s+(?P<y>.+)$", explicit=True),
    _p(
        "characterized_by",
        "diagnosis",
        rf"^(?P<x>.+?)\s+(?:is|are)\s+{_ADVERB}(?P<r>characterized)\s+by\s+(?P<y>.+)$",
        explicit=False,
    ),
    _p(
        "associated_with",
        "diagnosis",
        rf"^(?P<x>.+?)\s+(?:is|are)\s+{_ADVERB}(?P<r>associated)\s+with\s+(?P<y>.+)$",
        explicit=False,
    ),
    _p("is_a", "definition", r"^(?P<x>.+?)\s+(?:is|are)\s+(?P<y>(?:a|an)\s+.+)$", explicit=True),
)

# How a diagnosis fact relates its features to the disease, for stems and rationales.
RELATIONS = {"present": "presents with", "presents": "presents with", "characterized": "is characterized by",
             "associated": "is associated with", "cause": "is caused by"}  # fmt: skip


@dataclass(frozen=True)
class Sentence:
    text: str
    chunk: SourceChunk
    order: int  # position in the material, for a stable order


@dataclass(frozen=True)
class Fact:
    kind: str  # treatment, mechanism, organism, common_cause, diagnosis, adverse, definition
    pattern: Pattern
    answer: VocabularyEntry
    focus: VocabularyEntry | None  # the condition the fact is about, when it is not the answer
    clue: str  # the words the stem is built from: predicate, cause, features, definition
    qualifier: str  # "first-line", "of choice", "most common" or ""
    relation: str  # diagnosis facts: a RELATIONS value
    sentence: Sentence


def sentences(chunks: Iterable[SourceChunk]) -> list[Sentence]:
    found = []
    for chunk in chunks:
        for start, end in sentence_spans(chunk.text, size=len(chunk.text) + 1):
            text = _BULLET.sub("", " ".join(chunk.text[start:end].split()))
            found.append(Sentence(text=text, chunk=chunk, order=len(found)))
    return found


def facts_in(sentence: Sentence) -> Fact | None:
    """The fact a sentence states, by the first pattern that matches and whose terms check out."""
    text = sentence.text
    words = len(text.split())
    if not MIN_WORDS <= words <= MAX_WORDS or "?" in text or _NEGATION.search(text):
        return None
    body = text.rstrip(" .;:!")
    for pattern in PATTERNS:
        match = pattern.regex.match(body)
        if match:
            fact = _read(pattern, match, sentence)
            if fact is not None:
                return fact
    return None


def _read(pattern: Pattern, match: re.Match[str], sentence: Sentence) -> Fact | None:
    groups = match.groupdict()
    x, y = groups.get("x") or "", groups.get("y") or ""
    qualifier = _qualifier(groups.get("q") or "")

    def fact(kind: str, answer: VocabularyEntry, focus: VocabularyEntry | None, clue: str, relation: str = "") -> Fact:
        return Fact(kind, pattern, answer, focus, clue, qualifier, relation, sentence)

    if pattern.kind == "treatment":
        condition, drug = _subject(x, CONDITIONS), _lead(y, DRUGS)
        return fact("treatment", drug, condition, "") if condition and drug else None

    if pattern.kind == "mechanism":
        drug = _subject(x, DRUGS)
        predicate = groups.get("p") or (f"acts through {y}" if y else "")
        clue = _third_person(predicate)
        return fact("mechanism", drug, None, clue) if drug and _clue_ok(clue) else None

    if pattern.kind == "cause":
        disease = _subject(x, {"disease"})
        if disease is None:
            return None
        organism = _lead(y, {"organism"})
        if organism:
            return fact("organism", organism, disease, "")
        if qualifier == "most common":
            cause = _subject(y, ANSWERABLE_CATEGORIES)
            return fact("common_cause", cause, disease, "") if cause else None
        return fact("diagnosis", disease, None, y, RELATIONS["cause"]) if _clue_ok(y) else None

    if pattern.kind == "adverse":
        drug = _subject(x, DRUGS)
        return fact("adverse", drug, None, y) if drug and _clue_ok(y) else None

    if pattern.kind == "causes":
        drug = _subject(x, DRUGS)
        if drug:
            return fact("adverse", drug, None, y) if _clue_ok(y) else None
        organism = _subject(x, {"organism"})
        disease = _lead(y, {"disease"})
        return fact("organism", organism, disease, "") if organism and disease else None

    if pattern.kind == "diagnosis":
        if groups.get("r", "").lower() == "associated":
            drug = _subject(x, DRUGS)
            if drug:
                return fact("adverse", drug, None, y) if _clue_ok(y) else None
        disease = _subject(x, {"disease"})
        relation = RELATIONS[groups["r"].lower()]
        return fact("diagnosis", disease, None, y, relation) if disease and _clue_ok(y) else None

    if pattern.kind == "definition":
        term = _subject(x, ANSWERABLE_CATEGORIES, extra_words=1)
        clue = _SECOND_PREDICATE.split(y, maxsplit=1)[0].rstrip(" ,")
        if not term or _GENERIC_DEFINITION.match(clue) or not _clue_ok(clue, min_words=4):
            return None
        return fact("definition", term, None, clue)
    return None


def _qualifier(q: str) -> str:
    q = q.lower()
    if "choice" in q:
        return "of choice"
    if "first" in q or "initial" in q:
        return "first-line"
    if "most common" in q:
        return "most common"
    return ""


def _subject(span: str, categories: Iterable[str], *, extra_words: int = SUBJECT_EXTRA_WORDS) -> VocabularyEntry | None:
    """The one answerable-or-condition term `span` consists of, give or take `extra_words` words."""
    span = _LEADING_ARTICLE.sub("", span.strip(" ,;:"))
    matches = find_terms(span)
    if len(matches) != 1 or matches[0].entry.category not in categories:
        return None
    match = matches[0]
    if len(span.split()) > len(match.text.split()) + extra_words:
        return None
    return match.entry


def _lead(span: str, categories: Iterable[str]) -> VocabularyEntry | None:
    """The first term of `categories` in `span`, if it comes within its first few words."""
    categories = set(categories)
    for match in find_terms(span):
        if match.entry.category in categories:
            return match.entry if _words_before(span, match) <= OBJECT_LEAD_WORDS else None
    return None


def _words_before(span: str, match: TermMatch) -> int:
    return len([w for w in span[: match.start].split() if w.lower() not in {"a", "an", "the"}])


def _third_person(predicate: str) -> str:
    """'block beta-1 receptors and reduce heart rate' -> 'blocks beta-1 receptors and reduces heart rate',
    for "a medication that ...": the first verb (after an adverb) and each verb right after "and"."""
    words = predicate.split()
    for i, word in enumerate(words):
        if word.lower() in _SINGULAR and (i < 2 or words[i - 1].lower() == "and"):
            words[i] = _SINGULAR[word.lower()]
    return " ".join(words)


def _clue_ok(clue: str, *, min_words: int = 2) -> bool:
    return min_words <= len(clue.split()) <= MAX_CLUE_WORDS

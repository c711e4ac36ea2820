"""Item checks every generated question passes before it is saved, whichever generator wrote it.

The rules are the NBME item-writing guide's, checked against the student's own material:

check                    the question fails it when                                   then
two_answers              a distractor is as right as the key: the material says of   dropped
                         it what it says of the answer (the same claim, of the same
                         condition), or it is of one kind with the answer (two drugs
                         of one class, a drug and its class)
option_contains_option   one option is contained in another ("Angioedema",           dropped
                         "Hereditary angioedema"), or two name one thing
answer_in_stem           the vignette names the answer, or most of its words          dropped
                         ("blocks L-type calcium channels" for "calcium channel
                         blocker"): it answers itself
no_lead_in               the vignette does not end in a question ("Which of the       dropped
                         following ...?")
malformed                a repeated word, a tripled letter ("classs"), unbalanced     dropped
                         brackets, a sentence starting in lower case
duplicate                the same question as another of the material's or of the     dropped
                         student's bank, but for the patient's age and sex
heterogeneous_options    options of different kinds (a drug among diagnoses), or      saved, flagged
                         drugs from other fields than the answer's (finasteride
                         beside nifedipine)
uneven_options           the key is far longer than every distractor (a test-wise     saved, flagged
                         student picks it)
recall_stem              no clinical vignette: a direct question, or the source       saved, flagged
                         sentence copied as the stem

A question that fails a "dropped" check is not saved: it could teach something false, or cannot
be answered as asked. One that fails a "flagged" check is still a fair question, but a weaker
one: it is saved with the reasons (shown to staff in the admin) and FLAG_PENALTY less quality
score each, which puts it in the low-quality queue once its score is under 0.5.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from medtext.chunking import sentence_spans
from medtext.vocabulary import VocabularyEntry, entry_for, find_terms, of_a_kind

from .drafts import DraftQuestion, SourceChunk, cite, keep_distinct

DROPPED = frozenset({"two_answers", "option_contains_option", "answer_in_stem", "no_lead_in", "malformed", "duplicate"})
FLAG_PENALTY = 0.15
# A sentence of the material supports a distractor as the answer when it names the distractor,
# the terms of the key's sentence, and this share of what that sentence says (its claim: its
# words but the answer's names, each weighed by its rarity in the material).
SUPPORT_SHARE = 0.75
# The vignette gives the answer away when it holds this share of the answer's own words.
LEAK_SHARE = 0.6
UNEVEN_RATIO = 2.0
SECTION_SHARE = 0.25  # the most of a material's questions one section may have
# Drugs of neighbouring organ systems belong together as options (diuretics are cardiovascular
# and renal drugs; psychiatric and neurological drugs; hormones of both kinds).
FIELDS = {
    "cardiovascular": "cardiorenal", "renal": "cardiorenal", "hematologic": "cardiorenal",
    "nervous": "neuro", "behavioral": "neuro",
    "endocrine": "hormonal", "reproductive": "hormonal",
    "immune": "rheumatologic", "musculoskeletal": "rheumatologic", "integumentary": "rheumatologic",
}  # fmt: skip  # key at least this many times longer than the longest distractor

QUESTION_WORDS = re.compile(r"\b(?:which|what|how|where|why|who|when)\b", re.I)
_WORD = re.compile(r"[a-z0-9]+")
_SUFFIXES = ("ically", "ations", "ation", "ingly", "ings", "ing", "edly", "ors", "or", "ers", "er", "ied", "ies", "es",
             "ed", "s", "ly", "ics", "ic", "al")  # fmt: skip
# Words that say nothing about what a question asks or what a sentence claims.
GENERIC = frozenset(
    """the a an of in on at to for and or with by from is are was were be been has have had it its this that these
    those which what who whom how why when where following most likely best appropriate patient patients year old
    man woman boy girl comes physician diagnosed condition treatment treated therapy drug drugs medication agent
    class classes cause causes caused evaluated found after over does into also about than then there their his her
    he she they them one two may can could would should will such as other used use using often usually typically
    commonly first line next step most common seen shows show showed""".split()
)
_PATIENT = re.compile(r"\b(?:an?\s+)?\d+[-\s](?:year|month|week|day)[-\s]old\s+(?:man|woman|boy|girl|infant)\b", re.I)
_PRONOUNS = re.compile(r"\b(?:he|she|his|her|him)\b", re.I)


# Where a sentence moves on to another claim: a semicolon, "and they are", "; this is why",
# ", which ...", "and is the only ...", ", and the bone marrow shows ...". A stem keeps one claim,
# and what the material says of an option is the claim that names it.
_CLAIM_VERBS = (
    r"is|are|can|may|was|has|have|causes?|shows?|presents?|produces?|responds?|follows?|dilates?|constricts?|"
    r"appears?|develops?|occurs?|raises?|lowers?|forms?"
)
CLAUSE_BREAK = re.compile(
    r"\s*(?:;|:|\.\s|,?\s+(?:and|but)\s+(?:they|it|this|these|is|are|can|may|was|has|have|causes?|presents?|"
    r"shows?)\b|,\s+(?:which|whereas|while|so|because|typically|especially|particularly|followed\s+by)\b|"
    # a new subject (a few words, none of them "that") and its verb
    rf",\s+and\s+(?:(?!that\b|which\b|who\b)[\w-]+\s+){{1,4}}(?:{_CLAIM_VERBS})\b)",
    re.IGNORECASE,
)


# Where a sentence moves on to another subject (what it says of one term is not said of the next).
SUBJECT_BREAK = re.compile(
    r"\s*(?:;|\.\s|,\s+(?:whereas|while)\b|"
    rf",\s+and\s+(?:(?!that\b|which\b|who\b|it\b|they\b)[\w-]+\s+){{1,4}}(?:{_CLAIM_VERBS})\b)",
    re.IGNORECASE,
)


def clauses(text: str, breaks: re.Pattern[str] = CLAUSE_BREAK) -> list[str]:
    """The claims of a sentence, in order: "A widely fixed split S2 is characteristic of an atrial
    septal defect, and paradoxical splitting occurs ... as in aortic stenosis" is two."""
    parts = [p.strip(" ,.") for p in breaks.split(text)]
    return [p for p in parts if p] or [text.strip()]


@dataclass(frozen=True)
class Finding:
    check: str
    message: str  # for staff: what is wrong, with the evidence

    @property
    def dropped(self) -> bool:
        return self.check in DROPPED


def stem(word: str) -> str:
    """A crude English stemmer, enough to match "blocks", "blocker" and "blocking"."""
    word = word.lower()
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


def content_stems(text: str) -> set[str]:
    return {stem(w) for w in _WORD.findall(text.lower()) if len(w) >= 2 and w not in GENERIC}


@dataclass(frozen=True)
class MaterialText:
    """The material's sentences, for checking claims against what the student's notes say, and
    how rare each word is in them: a claim is what its rare words say ("at rest", "mortality"),
    more than its common ones ("chest pain", "presents")."""

    sentences: tuple[tuple[str, SourceChunk], ...]
    rarity: dict[str, float]
    terms: tuple[frozenset[VocabularyEntry], ...]  # the vocabulary entries each sentence names

    @classmethod
    def of(cls, chunks: Sequence[SourceChunk]) -> MaterialText:
        seen, found = set(), []
        for chunk in chunks:
            for start, end in sentence_spans(chunk.text, size=len(chunk.text) + 1):
                text = " ".join(chunk.text[start:end].split())
                if text and text not in seen:  # overlapping chunks repeat sentences
                    seen.add(text)
                    found.append((text, chunk))
        counts: dict[str, int] = {}
        for text, _ in found:
            for word in content_stems(text):
                counts[word] = counts.get(word, 0) + 1
        rarity = {word: math.log((len(found) + 1) / (n + 0.5)) for word, n in counts.items()}
        terms = tuple(frozenset(m.entry for m in find_terms(text)) for text, _ in found)
        return cls(tuple(found), rarity, terms)

    def weight(self, words: set[str]) -> float:
        return sum(self.rarity.get(w, math.log(len(self.sentences) + 2)) for w in words)

    def naming(self, option: str) -> list[tuple[str, SourceChunk]]:
        """The sentences that name `option` (by any of its vocabulary names, else its text)."""
        entry = entry_for(option)
        if entry is not None:
            return [pair for pair, named in zip(self.sentences, self.terms, strict=True) if entry in named]
        pattern = re.compile(rf"(?<!\w){re.escape(option)}(?!\w)", re.I)
        return [(s, c) for s, c in self.sentences if pattern.search(s)]


def check_draft(draft: DraftQuestion, material: MaterialText) -> list[Finding]:
    """Every rule the draft breaks (see the module docstring)."""
    findings = [*_form(draft), *_options(draft), *_leak(draft), *_two_answers(draft, material)]
    findings += _recall(draft)
    return findings


def screen(
    drafts: Sequence[DraftQuestion],
    *,
    chunks: Sequence[SourceChunk],
    embedder,
    existing_vignettes: Sequence[str],
    max_questions: int,
    reasons: dict[str, int],
    flagged: dict[str, int] | None = None,
    material: MaterialText | None = None,
) -> list[DraftQuestion]:
    """The drafts that pass the checks, best first, without near-duplicates, at most
    `max_questions`. Dropped drafts count in reasons[<check>]; flagged ones keep their reasons
    in `quality_reasons`, lose FLAG_PENALTY of their score per reason, and count in
    flagged[<check>] once kept."""
    material = material or MaterialText.of(chunks)
    passed: list[DraftQuestion] = []
    checks: dict[int, list[str]] = {}
    seen: set[str] = {_sameness(v) for v in existing_vignettes}
    for draft in drafts:
        findings = check_draft(draft, material)
        key = _sameness(draft.vignette)
        if key in seen:
            findings.append(Finding("duplicate", "The same question as another but for the patient."))
        dropped = [f for f in findings if f.dropped]
        if dropped:
            reasons[dropped[0].check] = reasons.get(dropped[0].check, 0) + 1
            continue
        seen.add(key)
        checks[id(draft)] = [f.check for f in findings]
        draft.quality_reasons = [*draft.quality_reasons, *(f.message for f in findings)]
        draft.quality_score = round(max(0.0, draft.quality_score - FLAG_PENALTY * len(findings)), 3)
        passed.append(draft)
    passed.sort(key=lambda d: -d.quality_score)  # stable: the generator's order among equals
    sections = {c.id: c.heading or str(c.page_number) for c in chunks}
    kept = keep_distinct(
        _spread(passed, sections), embedder=embedder, existing_vignettes=existing_vignettes,
        max_questions=max_questions, reasons=reasons,
    )  # fmt: skip
    kept = _capped(kept, sections, reasons)
    if flagged is not None:
        for draft in kept:
            for check in checks[id(draft)]:
                flagged[check] = flagged.get(check, 0) + 1
    return kept


def _spread(drafts: list[DraftQuestion], sections: dict[str, str]) -> list[DraftQuestion]:
    """The drafts in turns across the material's sections (each section's best first), so that
    when there are more than `max_questions` every section gets its share."""
    queues: dict[str, list[DraftQuestion]] = {}
    for draft in drafts:
        queues.setdefault(sections.get(draft.source_chunk_id, ""), []).append(draft)
    ordered = []
    while any(queues.values()):
        for queue in queues.values():
            if queue:
                ordered.append(queue.pop(0))
    return ordered


def _capped(kept: list[DraftQuestion], sections: dict[str, str], reasons: dict[str, int]) -> list[DraftQuestion]:
    """No section more than SECTION_SHARE of the questions (but two from any section), where at
    least 1 / SECTION_SHARE sections have some: one rich passage must not make the whole set.
    The extras go (counted in reasons["section_share"]), the section's weakest first."""
    counts: dict[str, int] = {}
    for draft in kept:
        counts[sections.get(draft.source_chunk_id, "")] = counts.get(sections.get(draft.source_chunk_id, ""), 0) + 1
    if len(counts) * SECTION_SHARE < 1:
        return kept
    result = list(kept)
    while True:
        limit = max(2, math.floor(SECTION_SHARE * len(result)))  # two from a section, at least
        counts = {}
        for draft in result:
            key = sections.get(draft.source_chunk_id, "")
            counts[key] = counts.get(key, 0) + 1
        over = [key for key, n in counts.items() if n > limit]
        if not over:
            return result
        weakest = min((d for d in result if sections.get(d.source_chunk_id, "") == over[0]),
                      key=lambda d: d.quality_score)  # fmt: skip
        result.remove(weakest)
        reasons["section_share"] = reasons.get("section_share", 0) + 1


# --- The rules ---------------------------------------------------------------------------------


def _form(draft: DraftQuestion) -> list[Finding]:
    findings = []
    last = re.split(r"(?<=[.!?])\s+", draft.vignette.strip())[-1]
    if not last.endswith("?") or not QUESTION_WORDS.search(last):
        findings.append(Finding("no_lead_in", f"The vignette does not end in a question: “{last[-80:]}”."))
    for text in (draft.vignette, *draft.options):
        problem = _malformed(text)
        if problem:
            findings.append(Finding("malformed", f"{problem}: “{text[:100]}”."))
            break
    return findings


def _malformed(text: str) -> str:
    if re.search(r"\b(\w+)\s+\1\b", text, re.I) and not re.search(r"\b(\d+)\s+\1\b", text):
        return "A word is repeated"
    if re.search(r"([a-z])\1\1", text):
        return "A letter is tripled"
    if text.count("(") != text.count(")") or text.count("[") != text.count("]") or text.count("“") != text.count("”"):
        return "Unbalanced brackets or quotes"
    if re.search(r"[.!?]\s+[a-z]", text) or (text[:1].islower() and not text[:2].isupper()):
        return "A sentence starts in lower case"
    if re.search(r"\s[,.;:]|[,;:]{2}|\.\.(?!\.)", text):
        return "Stray punctuation"
    return ""


def _entries(draft: DraftQuestion) -> list[VocabularyEntry | None]:
    return [entry_for(option) for option in draft.options]


def _options(draft: DraftQuestion) -> list[Finding]:
    findings = []
    words = [_WORD.findall(o.lower()) for o in draft.options]
    entries = _entries(draft)
    for i, a in enumerate(draft.options):
        for j, b in enumerate(draft.options):
            if i == j:
                continue
            if words[i] and len(words[i]) < len(words[j]) and _contains(words[j], words[i]):
                findings.append(Finding("option_contains_option", f"“{b}” contains “{a}”: both may be right."))
                return findings
            if i < j and entries[i] is not None and entries[i] is entries[j]:
                findings.append(Finding("option_contains_option", f"“{a}” and “{b}” name the same thing."))
                return findings
    known = [(i, e) for i, e in enumerate(entries) if e is not None]
    answer = entries[draft.correct_index]
    if len({e.category for _, e in known}) > 1:
        findings.append(Finding("heterogeneous_options", "The options are not all of one kind."))
    elif answer is not None and answer.category in ("drug", "drug_class"):
        others = [e for i, e in known if i != draft.correct_index]
        # Every drug's topic is Pharmacology: its organ system says what it is for.
        field = FIELDS.get(answer.organ_system, answer.organ_system)
        near = [e for e in others if FIELDS.get(e.organ_system, e.organ_system) == field]
        if others and len(near) < max(2, len(others) - 1):
            far = ", ".join(e.term for e in others if e not in near)
            findings.append(Finding("heterogeneous_options", f"Distractors from other fields than the answer: {far}."))
    lengths = [len(o) for o in draft.options]
    key, rest = lengths[draft.correct_index], [n for i, n in enumerate(lengths) if i != draft.correct_index]
    if rest and key >= UNEVEN_RATIO * max(rest) and key > 25:
        findings.append(Finding("uneven_options", "The answer is much longer than every distractor."))
    return findings


def _contains(longer: list[str], shorter: list[str]) -> bool:
    n = len(shorter)
    return any(longer[k : k + n] == shorter for k in range(len(longer) - n + 1))


def _leak(draft: DraftQuestion) -> list[Finding]:
    answer = draft.answer
    entry = entry_for(answer)
    names = entry.names if entry else (answer,)
    if entry is not None and any(m.entry == entry for m in find_terms(draft.vignette)):
        return [Finding("answer_in_stem", f"The vignette names the answer, “{answer}”.")]
    shared = set.intersection(*(content_stems(o) for o in draft.options)) if draft.options else set()
    vignette = content_stems(draft.vignette)
    for name in names:
        own = content_stems(name) - shared
        if own and len(own & vignette) >= max(1, LEAK_SHARE * len(own)) and (len(own) > 1 or len(next(iter(own))) >= 5):
            return [
                Finding(
                    "answer_in_stem",
                    f"The vignette gives the answer away: it says “{', '.join(sorted(own & vignette))}”.",
                )
            ]
    return []


def _written(option: str, sentence: str) -> set[str]:
    """The words `option` is written with in `sentence` (by whichever of its names the sentence
    uses; a synonym's other words, "exertional angina", stay the sentence's own)."""
    entry = entry_for(option)
    spans = [m.text for m in find_terms(sentence) if m.entry == entry] if entry else []
    return set().union(*(content_stems(t) for t in spans or [option]))


def _two_answers(draft: DraftQuestion, material: MaterialText) -> list[Finding]:
    quote = _quote(draft)
    for i, option in enumerate(draft.options):
        if i != draft.correct_index and (why := second_answer(draft.answer, option, quote, material)):
            return [Finding("two_answers", why)]
    return []


def second_answer(answer: str, option: str, quote: str, material: MaterialText) -> str:
    """Why `option` would be right too where `answer` is, by what `quote` (the key's source
    sentence) says of the answer; "" when it would not."""
    key, entry = entry_for(answer), entry_for(option)
    if key is not None and entry is not None and of_a_kind(key, entry):
        return f"“{option}” is of one kind with the answer “{answer}”."
    # The key's claim: the clauses of its sentence that name it (else the whole sentence).
    own = [
        c
        for c in clauses(quote, SUBJECT_BREAK)
        if (key in {m.entry for m in find_terms(c)} if key else _names(answer, c))
    ]
    quote = " ".join(own) or quote
    claim = content_stems(quote) - _written(answer, quote)
    terms = {m.entry for m in find_terms(quote)} - {key}
    if len(claim) < 2:
        return ""
    for (sentence, chunk), named in zip(material.sentences, material.terms, strict=True):
        if not (entry in named if entry is not None else _names(option, sentence)):
            continue
        # What the sentence says of the option is the claim that names it ("..., and paradoxical
        # splitting occurs ... as in aortic stenosis" says nothing of aortic stenosis's fixed split).
        for clause in clauses(sentence, SUBJECT_BREAK):
            said = {m.entry for m in find_terms(clause)}
            if not (entry in said if entry is not None else _names(option, clause)):
                continue
            shared = claim & (content_stems(clause) - _written(option, clause))
            if (
                len(shared) >= 2
                and terms <= said | {entry}
                and material.weight(shared) >= SUPPORT_SHARE * material.weight(claim)
            ):
                return f"The material says the same of “{option}”, {cite(chunk)}: “{sentence}”."
    return ""


def _names(option: str, sentence: str) -> bool:
    return bool(re.search(rf"(?<!\w){re.escape(option)}(?!\w)", sentence, re.I))


def _quote(draft: DraftQuestion) -> str:
    return next((r.get("quote", "") for r in draft.references if isinstance(r, dict) and r.get("quote")), "")


def _recall(draft: DraftQuestion) -> list[Finding]:
    if not _PATIENT.search(draft.vignette):
        return [Finding("recall_stem", "A direct question, not a clinical vignette.")]
    quote = _quote(draft)
    if quote and len(quote) > 40 and " ".join(quote.split()).rstrip(".") in " ".join(draft.vignette.split()):
        return [Finding("recall_stem", "The source sentence is copied into the stem.")]
    return []


def _sameness(vignette: str) -> str:
    """A vignette without its patient (age, sex, pronouns): two questions that differ only in
    the patient come out equal (and two that ask it with different keys contradict each other)."""
    text = _PRONOUNS.sub("", _PATIENT.sub("", vignette.lower()))
    return " ".join(_WORD.findall(text))

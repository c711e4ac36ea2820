"""Testable facts in a student's material: sentences of a few well-known shapes whose key terms are in
the medical vocabulary. The offline generator turns each fact into one question.

Sentences come from `medtext.chunking.sentence_spans`. Skipped: questions, sentences shorter than
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
function    "X reabsorbs / secretes / produces / releases ... Y", and the          X: a structure, cell,
            mechanism verbs, of a physiology subject                           hormone, enzyme, receptor
characteristic "Y is characteristic / typical / pathognomonic of X"          X: a disease
definition  "X is a/an Y"                                                        X: any answerable term
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from medtext.chunking import sentence_spans
from medtext.vocabulary import ANSWERABLE_CATEGORIES, TermMatch, VocabularyEntry, find_terms

from .checks import clauses
from .drafts import SourceChunk

MIN_WORDS = 4  # "Lisinopril inhibits angiotensin-converting enzyme."
MAX_WORDS = 50
MAX_CLUE_WORDS = 30  # a clue longer than this makes a stem nobody reads
SUBJECT_EXTRA_WORDS = 2  # "acute", "chronic", "untreated" ... around the subject term
OBJECT_LEAD_WORDS = 3  # the answer must start Y: at most this many words ("a", "an" not counted) before it

CONDITIONS = frozenset({"disease", "topic"})  # "topic" entries ("angina", "anemia") name conditions too
DRUGS = frozenset({"drug", "drug_class"})
# What a physiology sentence can be about: "The proximal convoluted tubule reabsorbs ...",
# "Parathyroid hormone inhibits ...", "Principal cells secrete potassium".
ACTORS = frozenset({"anatomy", "cell", "hormone", "enzyme", "receptor", "neurotransmitter", "organism"})

# Who a fact is about, when the sentence says ("In neonates, ...", "... for cystitis in women"):
# the patient of the stem. (low age, high age, sex); an age of 0 is an infant of weeks.
POPULATIONS = {
    "neonates": (0, 0, None), "newborns": (0, 0, None), "infants": (0, 1, None), "children": (2, 12, None),
    "young children": (1, 5, None), "adolescents": (13, 18, None), "young adults": (18, 30, None),
    "adolescents and young adults": (15, 25, None), "adults": (25, 65, None), "older adults": (65, 85, None),
    "the elderly": (70, 88, None), "elderly patients": (70, 88, None), "women": (20, 60, "female"),
    "young women": (18, 35, "female"), "sexually active young women": (18, 30, "female"), "men": (25, 70, "male"),
    "pregnancy": (20, 38, "female"), "pregnant women": (20, 38, "female"),
}  # fmt: skip
_POPULATION = "|".join(sorted((re.escape(p) for p in POPULATIONS), key=len, reverse=True))
_LEADING_POPULATION = re.compile(rf"^in\s+(?P<who>{_POPULATION}),\s+", re.IGNORECASE)
_TRAILING_POPULATION = re.compile(rf"\s+in\s+(?P<who>{_POPULATION})$", re.IGNORECASE)

_NEGATION = re.compile(
    r"\b(?:not|no|never|neither|nor|cannot|can't|isn't|aren't|doesn't|don't|contraindicated|avoid|avoided|"
    r"except|unlike|instead|rather\s+than|rarely|unless|although|however|whereas)\b",
    re.IGNORECASE,
)
_CONTRAST = re.compile(r";|,\s+(?:whereas|while|but|although|though|however)\b", re.IGNORECASE)
# "X is a risk factor for Y" or "a common cause of Y" fits many X: no question has one answer.
_GENERIC_DEFINITION = re.compile(
    r"^an?\s+(?:\w+\s+){0,2}?(?:risk\s+factor|cause|complication|consequence|feature|finding|sign|symptom|"
    r"manifestation|example|type|form|kind|part|member|component|source|marker|result)s?\b",
    re.IGNORECASE,
)
# "X is a Y and is treated with Z": the definition ends where a second predicate starts.
_SECOND_PREDICATE = re.compile(r",?\s+(?:and|but)\s+(?:is|are|can|may|was|has|have|causes?)\b", re.IGNORECASE)
# "When X is a concern, ...": the main clause comes later, and no pattern reads it right.
_SUBORDINATE = re.compile(
    r"^(?:when|if|although|though|because|since|while|as|once|unless|whether|after|before)\b", re.I
)
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
_FUNCTION_VERBS = (
    r"reabsorbs?|secretes?|produces?|synthesizes?|releases?|converts?|filters?|stores?|transports?|generates?|"
    r"regulates?|mediates?|senses?|detects?|constricts?|dilates?|cleaves?|breaks?\s+down|degrades?|splits?|"
    r"hydrolyzes?"
)
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
        "responds_to",
        "treatment",
        rf"^(?P<x>.+?)\s+{_ADVERB}responds?\s+(?:dramatically\s+|well\s+|rapidly\s+)?to\s+(?P<y>.+)$",
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
        "function_verb",
        "mechanism",
        rf"^(?P<x>.+?)\s+(?P<p>{_ADVERB}(?:{_FUNCTION_VERBS})\s+.+)$",
        explicit=True,
    ),
    # "Renin is secreted by the juxtaglomerular cells": what secretes it is the clue, renin the answer.
    _p(
        "secreted_by",
        "function",
        rf"^(?P<x>.+?)\s+(?P<p>(?:is|are)\s+{_ADVERB}(?:secreted|produced|released|synthesized|made)\s+"
        r"(?:mainly\s+|primarily\s+|chiefly\s+)?(?:by|from|in)\s+.+)$",
        explicit=True,
    ),
    _p(
        "seen_in",
        "characteristic",
        r"^(?:an?\s+|the\s+)?(?P<y>.+?)\s+(?:is|are)\s+(?:typically\s+|classically\s+|usually\s+)?(?P<r>seen|found|heard)"
        r"\s+in\s+(?P<x>.+)$",
        explicit=False,
    ),
    # "The a wave is produced by atrial contraction and is absent in atrial fibrillation."
    _p(
        "absent_in",
        "characteristic",
        r"^(?:the\s+)?(?P<y>[^,;]+?)\s+(?:is|are)\s+(?:[^,;]+?\s+and\s+(?:is|are)\s+)?(?P<r>absent)\s+in\s+(?P<x>.+)$",
        explicit=True,
    ),
    _p(
        "characteristic_of",
        "characteristic",
        r"^(?:an?\s+|the\s+)?(?P<y>.+?)\s+(?:is|are)\s+(?:the\s+)?(?:most\s+)?(?P<r>characteristic|typical|"
        r"pathognomonic|classic|hallmark)\s+(?:finding\s+|sign\s+|feature\s+)?(?:of|in|for)\s+(?P<x>.+)$",
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
        rf"^(?P<x>.+?)\s+(?:is|are)\s+{_ADVERB}(?P<r>characterized|defined)\s+by\s+(?P<y>.+)$",
        explicit=False,
    ),
    _p(
        "associated_with",
        "diagnosis",
        rf"^(?P<x>.+?)\s+(?:is|are)\s+{_ADVERB}(?P<r>associated)\s+with\s+(?P<y>.+)$",
        explicit=False,
    ),
    # "IgA nephropathy is the most common primary glomerulonephritis": one answer by its own words.
    _p(
        "is_the_most",
        "definition",
        r"^(?P<x>.+?)\s+(?:is|are)\s+(?P<y>the\s+(?:most\s+(?:common|commonly\s+\w+|frequent)|earliest|preferred|"
        r"strongest|leading|principal|main)\s+.+)$",
        explicit=True,
    ),
    # "Dressler syndrome, an autoimmune pericarditis, appears weeks after infarction."
    _p(
        "appositive",
        "definition",
        r"^(?P<x>[^,]+),\s+(?P<y>(?:a|an)\s+[^,]+),\s+(?P<v>(?!and\b|or\b)[a-z]+s)\s+(?P<z>.+)$",
        explicit=True,
    ),
    _p("is_a", "definition", rf"^(?P<x>.+?)\s+(?:is|are)\s+{_ADVERB}(?P<y>(?:a|an)\s+.+)$", explicit=True),
)

# How a diagnosis fact relates its features to the disease, for stems and rationales.
RELATIONS = {"present": "presents with", "presents": "presents with", "characterized": "is characterized by",
             "associated": "is associated with", "cause": "is caused by", "characteristic": "shows",
             "defined": "is characterized by"}  # fmt: skip


@dataclass(frozen=True)
class Sentence:
    text: str
    chunk: SourceChunk
    order: int  # position in the material, for a stable order


@dataclass(frozen=True)
class Fact:
    kind: str  # treatment, mechanism, function, organism, common_cause, diagnosis, adverse, definition
    pattern: Pattern
    answer: VocabularyEntry
    focus: VocabularyEntry | None  # the condition the fact is about, when it is not the answer
    clue: str  # the words the stem is built from: predicate, cause, features, definition
    qualifier: str  # "first-line", "of choice", "most common" or ""
    relation: str  # diagnosis facts: a RELATIONS value
    sentence: Sentence
    population: tuple[int, int, str | None] | None = None  # the patients it is about, when said
    host: str = ""  # organism facts: who gets it ("alcohol use disorder" of "in patients with ...")


# Lecture prose names its subject once and goes on with "It ..." or "Patients present with ...".
_IT = re.compile(r"^(?:it|this\s+condition|this\s+disease)\s+(?=(?:is|presents|causes|results|follows)\b)", re.I)
_PATIENTS = re.compile(
    r"^(?:patients|affected\s+patients)\s+(?=(?:typically\s+|usually\s+|classically\s+)?present\b)", re.I
)


def sentences(chunks: Iterable[SourceChunk]) -> list[Sentence]:
    """The material's sentences; one that goes on about the disease the sentence before it
    began with ("It ...", "Patients present with ...") names that disease instead."""
    found = []
    for chunk in chunks:
        subject = None
        for start, end in sentence_spans(chunk.text, size=len(chunk.text) + 1):
            text = _BULLET.sub("", " ".join(chunk.text[start:end].split()))
            if subject and _IT.match(text):
                text = _IT.sub(f"{subject} ", text, count=1)
            elif subject and _PATIENTS.match(text):
                text = _PATIENTS.sub(f"Patients with {subject} ", text, count=1)
            else:
                first = find_terms(text[:80])
                subject = (
                    first[0].text if first and first[0].start == 0 and first[0].entry.category == "disease" else None
                )
            found.append(Sentence(text=text, chunk=chunk, order=len(found)))
    return found


def facts_in(sentence: Sentence) -> Fact | None:
    """The fact a sentence states, by the first pattern that matches and whose terms check out."""
    text = sentence.text
    words = len(text.split())
    if not MIN_WORDS <= words <= MAX_WORDS or "?" in text or _SUBORDINATE.match(text):
        return None
    # A negation or contrast turns a claim around: the sentence is read up to the first one that
    # starts a claim of its own ("...; it reduces hospitalizations but not mortality"), and not at
    # all when one is inside the first claim.
    body = _CONTRAST.split(text, maxsplit=1)[0].rstrip(" .;:!,")
    if _NEGATION.search(body):
        return None
    population = None
    if leading := _LEADING_POPULATION.match(body):  # "In neonates, the most common cause of ..."
        population = POPULATIONS[leading["who"].lower()]
        body = body[leading.end() :]
        body = body[:1].upper() + body[1:]
    for pattern in PATTERNS:
        match = pattern.regex.match(body)
        if match:
            fact = _read(pattern, match, sentence, population)
            if fact is not None:
                return fact
    return None


def _read(pattern: Pattern, match: re.Match[str], sentence: Sentence, population=None) -> Fact | None:
    groups = match.groupdict()
    x, y = groups.get("x") or "", groups.get("y") or ""
    if x and match.start("x") == 0 and "," in x:
        # A subject is a noun phrase: a comma in it means the pattern matched too late, but for an
        # aside ("Primary hyperaldosteronism, most often caused by an adrenal adenoma, presents with")
        head, _, aside = x.partition(",")
        if pattern.kind != "diagnosis" or not aside.endswith(","):
            return None
        x = head
    if x and match.end("x") == len(match.string):
        x = _one_claim(x)  # x ends the sentence ("... is the most common cause of X, and ..."): its first claim
    x = re.sub(r"\s+(?:worldwide|in the united states|in developed countries)$", "", x, flags=re.IGNORECASE)
    if trailing := _TRAILING_POPULATION.search(x):  # "the first-line treatment for cystitis in women"
        population = POPULATIONS[trailing["who"].lower()]
        x = x[: trailing.start()]
    qualifier = _qualifier(groups.get("q") or "")

    def fact(kind: str, answer: VocabularyEntry, focus: VocabularyEntry | None, clue: str, relation: str = "") -> Fact:
        return Fact(kind, pattern, answer, focus, clue, qualifier, relation, sentence, population)

    if pattern.kind == "treatment":
        condition, drug = _subject(x, CONDITIONS), _lead(y, DRUGS)
        return fact("treatment", drug, condition, "") if condition and drug else None

    if pattern.kind == "mechanism":
        predicate = groups.get("p") or (f"acts through {y}" if y else "")
        clue = _one_claim(_third_person(predicate))
        if not _clue_ok(clue):
            return None
        drug = _subject(x, DRUGS)
        if drug:
            return fact("mechanism", drug, None, clue)
        actor = _subject(x, ACTORS)  # physiology: what a structure, cell or hormone does
        return fact("function", actor, None, clue) if actor else None

    if pattern.kind == "function":  # "Renin is secreted by the juxtaglomerular cells ..."
        actor, clue = _subject(x, ACTORS), _one_claim(groups["p"])
        return fact("function", actor, None, clue) if actor and _clue_ok(clue, min_words=3) else None

    if pattern.kind == "characteristic":
        disease = _subject(x, {"disease"})
        article = re.match(r"(an?)\s", match.string, re.IGNORECASE)  # "a widely fixed split S2"
        if groups.get("r", "").lower() == "absent":
            clue = f"no {y}"  # what the examiner does not find
        else:
            clue = _one_claim(f"{article[1].lower()} {y}" if article else y)
        return (
            fact("diagnosis", disease, None, clue, RELATIONS["characteristic"]) if disease and _clue_ok(clue) else None
        )

    if pattern.kind == "cause":
        disease = _subject(x, {"disease"})
        if disease is None:
            return None
        organism = _lead(y, {"organism"})
        if organism:
            # "... can be caused by HIV, heroin use and obesity": one cause of several is no
            # "most likely cause".
            named = {m.entry for m in find_terms(y) if m.entry.category in ANSWERABLE_CATEGORIES}
            if named == {organism}:
                return fact("organism", organism, disease, "")
        if qualifier == "most common":
            cause = _subject(y, ANSWERABLE_CATEGORIES)
            return fact("common_cause", cause, disease, "") if cause and not organism else None
        clue = _one_claim(y)
        return fact("diagnosis", disease, None, clue, RELATIONS["cause"]) if _clue_ok(clue) else None

    if pattern.kind == "adverse":
        drug, clue = _subject(x, DRUGS), _one_claim(y)
        return fact("adverse", drug, None, clue) if drug and _clue_ok(clue) else None

    if pattern.kind == "causes":
        drug, clue = _subject(x, DRUGS), _one_claim(y)
        if drug:
            return fact("adverse", drug, None, clue) if _clue_ok(clue) else None
        organism = _subject(x, {"organism"})
        disease = _lead(y, {"disease"})
        if organism and disease:
            # "Klebsiella causes a necrotizing lobar pneumonia with currant jelly sputum, typically in
            # patients with alcohol use disorder": the features make it the one cause; without any
            # ("Listeria also causes neonatal meningitis") it is one of several.
            host = _host(y)
            clue = _one_claim(_HOST.sub("", y))
            if not host and len(content_words(clue) - content_words(disease.term)) < 2:
                return None
            return Fact("organism", pattern, organism, disease, clue, qualifier, "", sentence, population, host)
        clue = _one_claim(f"causes {y}")  # "Vibrio cholerae causes profuse rice-water stools"
        return fact("function", organism, None, clue) if organism and _clue_ok(clue, min_words=3) else None

    if pattern.kind == "diagnosis":
        if groups.get("r", "").lower() == "associated":
            drug, clue = _subject(x, DRUGS), _one_claim(y)
            if drug:
                return fact("adverse", drug, None, clue) if _clue_ok(clue) else None
        disease = _subject(x, {"disease"})
        relation = RELATIONS[groups["r"].lower()]
        clue = _one_claim(y)
        return fact("diagnosis", disease, None, clue, relation) if disease and _clue_ok(clue) else None

    if pattern.kind == "definition":
        term = _subject(x, ANSWERABLE_CATEGORIES, extra_words=1)
        if pattern.name == "appositive":
            y = f"{y} that {groups['v']} {groups['z']}"
        clue = _one_claim(_SECOND_PREDICATE.split(y, maxsplit=1)[0].rstrip(" ,"))
        if not _RELATIVE.search(clue):  # "the most commonly occluded coronary artery and supplies ...": one claim
            clue = _SECOND_VERB.split(clue, maxsplit=1)[0]
        if _COMPARATIVE.match(clue):
            return None  # "a more selective antagonist": more than what? The sentence before knew.
        if not term or _GENERIC_DEFINITION.match(clue) or not _clue_ok(clue, min_words=4):
            return None
        if pattern.name == "is_the_most" and not find_terms(clue):
            return None  # "the most commonly involved site": of what? The sentence before said.
        return fact("definition", term, None, clue)
    return None


_RELATIVE = re.compile(r"\b(?:that|which|who|whose|whom)\b", re.I)
_SECOND_VERB = re.compile(
    rf"\s+and\s+(?=(?:{_FUNCTION_VERBS}|{_MECHANISM_VERBS}|supplies|drains|innervates|carries|receives|contains|"
    r"forms|lies|runs|passes|arises|causes|presents)\b)",
    re.IGNORECASE,
)
_COMPARATIVE = re.compile(r"^(?:an?\s+)?(?:more|less|better|worse|safer|newer|older)\b", re.I)
_TRAILING_ALSO = re.compile(r"\s+(?:as\s+well|too|also)$|^also\s+", re.I)  # "also breaks down bradykinin"


def _one_claim(clue: str) -> str:
    return _TRAILING_ALSO.sub("", clauses(clue)[0])


_HOST = re.compile(
    r",?\s+(?:typically\s+|usually\s+|especially\s+|often\s+|mainly\s+|classically\s+)?in\s+(?:patients|people|"
    r"those|adults|children)\s+with\s+(?P<who>.+)$",
    re.IGNORECASE,
)


def _host(span: str) -> str:
    """Who gets it, when the span says: "... in patients with cystic fibrosis and in ventilated
    patients" -> "cystic fibrosis"; the first of alternatives ("alcohol use disorder or diabetes")."""
    found = _HOST.search(span)
    if not found:
        return ""
    who = re.split(r"\s+(?:who|whose|and\s+in|or\s+in|in\s+whom)\b|[,;]", found["who"], maxsplit=1)[0]
    who = re.split(r"\s+or\s+", who, maxsplit=1)[0].strip()
    return who if 1 <= len(who.split()) <= 6 and not _ANAPHORA.search(who) else ""


def content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9-]+", text.lower()) if w not in {"a", "an", "the", "of", "with", "and"}}


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
    """The one answerable-or-condition term `span` consists of, give or take `extra_words` words.
    Never a "mechanism" term (a grab-bag: "afterload reduction", "atherosclerosis", whose
    fellows make no fair distractors) nor a specialty ("nephrology")."""
    span = _LEADING_ARTICLE.sub("", span.strip(" ,;:"))
    matches = find_terms(span)
    if len(matches) != 1 or matches[0].entry.category not in categories:
        return None
    if matches[0].entry.category == "mechanism" or matches[0].entry.term.endswith("ology"):
        return None
    match = matches[0]
    if len(span.split()) > len(match.text.split()) + extra_words:
        return None
    # A term that modifies the phrase's head is not its subject: what is true of "TSH-receptor
    # antibodies" or "opioid withdrawal" (diarrhea) is not true of TSH or opioids. ("Digoxin
    # toxicity causes ..." is still digoxin's adverse effect.)
    if _MODIFIED.match(span[match.end :]):
        return None
    return match.entry


_MODIFIED = re.compile(
    r"\s*[-\u2010-\u2015]\w|\s+(?:receptors?|(?:auto)?antibod(?:y|ies)|antagonists?|agonists?|inhibitors?|"
    r"analogu?e?s?|toxins?|deficiency|resistance|excess|withdrawal|levels?)\b",
    re.IGNORECASE,
)


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


# A clue that points back at other sentences means nothing in a stem of its own.
_ANAPHORA = re.compile(r"\b(?:the same|this|these|those|such|it|its|they|their|them|above|below|former|latter)\b", re.I)


def _clue_ok(clue: str, *, min_words: int = 2) -> bool:
    return min_words <= len(clue.split()) <= MAX_CLUE_WORDS and not _ANAPHORA.search(clue)

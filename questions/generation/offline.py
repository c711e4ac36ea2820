"""Questions written from the material itself, with no language model (QUESTION_GENERATOR="offline").

Each fact found by `facts.py` becomes one NBME-style item:

- Stem. A short clinical vignette per kind of fact: a patient whose age and sex come from the
  condition's vocabulary entry (typical ages, sex-specific conditions) or, where it says nothing,
  deterministically from a hash of the sentence; the words of the clue (the presentation, the cause,
  the mechanism) taken from the sentence; then a lead-in question. Where another sentence of the
  material says how the condition presents (or what a drug is given for), that is added to the
  stem and cited too. Definitions ask "Which of the following is <definition>?".
- Options. The answer (the vocabulary term, as the vocabulary writes it) and four distractors of
  the same category, never the answer, a synonym of it, a term named in the stem, another answer the
  material gives to the same question (a second first-line drug), or a term for the other sex.
  Candidates are ranked by score = cosine(answer, candidate) (the embeddings of "metformin, a drug
  of the endocrine system" and the like, see `_description`) + 0.05 same topic + 0.15
  same organ system (all drugs share the topic Pharmacology; the system tells a diabetes drug from
  a heart drug) + 0.15 when the student's material names the candidate in another chunk, so the
  material's own terms come first among comparably close ones; candidates at cosine >=
  SYNONYM_COSINE are near-synonyms and left out. Options are shuffled by a hash of the sentence.
- Rationales, explanation: the correct option quotes the sentence with its page (or section); a
  wrong one says what the term is and that the material names the answer instead.
- Pathophysiology / clinical relevance: other sentences of the material about the same condition
  (cause or mechanism; treatment or presentation), or "" when the material says nothing more.
- Topic: the vocabulary topic of the condition the question is about (or of the answer), else the
  material's topic. Subtopic: the kind of question ("Treatment", "Diagnosis" ...), never the answer.
- Difficulty: definition easy; a named condition (treatment, organism, cause) medium; an answer to
  infer from a description (diagnosis, mechanism, adverse effect) hard; a diagnosis that combines
  two facts of the material nbme.
- Quality score (0..1), the sum of:
      0.35  base
      0.15  the sentence has 8..35 words (shorter ones lack context, longer ones mix facts)
      0.10  the answer is named once in the sentence
      0.10  × share of distractors with the answer's topic or organ system
      0.10  × share of distractors named in the student's material
      0.10  × plausibility: mean distractor cosine, 0.2 -> 0, 0.7 -> 1, clamped
      0.10  an explicit pattern ("first-line", "is caused by", "is a"), 0.05 a hedged one
      0.05  the stem combines a second fact of the material
  capped at 1.

Then drafts are ordered by quality (ties: order in the material) and kept unless a near-duplicate
(`drafts.keep_distinct`) until max_questions. Everything is deterministic for the same input.
Facts that give no question are counted in `reasons`: "duplicate" (the same sentence again, from
overlapping chunks, or a near-duplicate question), "answer_in_stem" (the clue names the answer),
"no_distractors" (fewer than four terms of the answer's category qualify), "invalid".
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from medtext.vocabulary import VocabularyEntry, find_terms, kinds, lineage, of_a_kind, same_category

from .checks import SUBJECT_BREAK, MaterialText, clauses, content_stems, screen
from .drafts import (
    OPTION_COUNT,
    DraftQuestion,
    GenerationResult,
    SourceChunk,
    UsesEmbedder,
    cite,
    reference,
    validate_draft,
)
from .facts import Fact, Sentence, facts_in, sentences

SYNONYM_COSINE = 0.95
CORPUS_BONUS = 0.15
SAME_TOPIC_BONUS = 0.05
SAME_SYSTEM_BONUS = 0.15
SIBLING_BONUS = 0.15  # two kinds of one thing (two acid-base disorders, two nephritic syndromes)
DEFAULT_AGES = (25, 70)

LABELS = {
    "disease": "condition", "drug": "drug", "drug_class": "drug class", "organism": "organism",
    "anatomy": "structure", "cell": "cell type", "mechanism": "mechanism", "enzyme": "enzyme",
    "receptor": "receptor", "hormone": "hormone", "neurotransmitter": "neurotransmitter", "vitamin": "vitamin",
    "test": "test", "symptom": "finding",
}  # fmt: skip
SUBTOPICS = {
    "treatment": "Treatment", "mechanism": "Mechanism of action", "organism": "Etiology",
    "common_cause": "Etiology", "diagnosis": "Diagnosis", "adverse": "Adverse effects", "definition": "Definitions",
    "function": "Physiology",
}  # fmt: skip
PLURALS = {"structure": "structures", "cell type": "cell types", "hormone": "hormones", "enzyme": "enzymes",
           "receptor": "receptors", "neurotransmitter": "neurotransmitters", "organism": "organisms"}  # fmt: skip


@dataclass(frozen=True)
class _Patient:
    phrase: str  # "A 58-year-old man"
    pronoun: str  # "He"
    possessive: str  # "His"
    sex: str  # "female" / "male"


class OfflineGenerator(UsesEmbedder):
    def generate(
        self,
        *,
        chunks: list[SourceChunk],
        topic: str | None,
        max_questions: int,
        existing_vignettes: Sequence[str] = (),
    ) -> GenerationResult:
        reasons: dict[str, int] = {}
        if max_questions <= 0 or not chunks:
            return GenerationResult(questions=[], dropped=0, reasons=reasons)
        material, text = _Material.read(chunks), MaterialText.of(chunks)
        writer = _Writer(material, self.embedder, topic, text)
        drafts: list[tuple[float, int, DraftQuestion]] = []
        seen_sentences: set[tuple[str, str]] = set()
        for fact in material.facts:
            # Overlapping chunks repeat sentences: one question per sentence and answer.
            key = (" ".join(fact.sentence.text.lower().split()), fact.answer.term)
            if key in seen_sentences:
                continue
            seen_sentences.add(key)
            draft = writer.write(fact)
            if isinstance(draft, str):
                _count(reasons, draft)
                continue
            if validate_draft(draft):
                _count(reasons, "invalid")
                continue
            drafts.append((-draft.quality_score, fact.sentence.order, draft))
        drafts.sort(key=lambda item: item[:2])
        written, flagged = len(drafts) + sum(reasons.values()), {}
        kept = screen(
            [d for _, _, d in drafts],
            chunks=chunks,
            material=text,
            embedder=self.embedder,
            existing_vignettes=existing_vignettes,
            max_questions=max_questions,
            reasons=reasons,
            flagged=flagged,
        )
        return GenerationResult(
            questions=kept, dropped=sum(reasons.values()), reasons=reasons, flagged=flagged, written=written
        )


_SUPERLATIVE = re.compile(r"\b(?:most\s+common(?:ly)?|leading)\b", re.IGNORECASE)


def _count(reasons: dict[str, int], reason: str) -> None:
    reasons[reason] = reasons.get(reason, 0) + 1


def _question_key(fact: Fact) -> tuple[str, VocabularyEntry | str]:
    return (fact.kind, fact.focus if fact.focus is not None else " ".join(fact.clue.lower().split()))


@dataclass
class _Material:
    """The facts of a material and what else it says about each condition and drug."""

    facts: list[Fact]
    chunk_terms: dict[str, set[VocabularyEntry]]  # chunk id -> entries named in it
    chunks_naming: dict[VocabularyEntry, int]  # entry -> how many chunks name it
    presentations: dict[VocabularyEntry, Fact]  # disease -> first "presents with" fact
    causes: dict[VocabularyEntry, Fact]  # disease -> first cause fact (diagnosis-by-cause or organism)
    treatments: dict[VocabularyEntry, Fact]  # disease -> first treatment fact
    indications: dict[VocabularyEntry, Fact]  # drug -> first treatment fact naming it
    # The answers the material gives to one question: (kind, focus or clue) -> answers. A second
    # first-line drug for the same condition must not be a distractor.
    answers: dict[tuple[str, VocabularyEntry | str], set[VocabularyEntry]]
    # The terms of each sentence that says "most common" (a cause, in some population), with the
    # conditions and the section it names: none is a fair distractor to a "most common cause".
    superlatives: list[tuple[frozenset[VocabularyEntry], str]]

    @classmethod
    def read(cls, chunks: list[SourceChunk]) -> _Material:
        all_sentences: list[Sentence] = sentences(chunks)
        facts = [f for f in (facts_in(s) for s in all_sentences) if f is not None]
        chunk_terms: dict[str, set[VocabularyEntry]] = {}
        for chunk in chunks:
            chunk_terms.setdefault(chunk.id, set()).update(m.entry for m in find_terms(chunk.text))
        chunks_naming: dict[VocabularyEntry, int] = defaultdict(int)
        for terms in chunk_terms.values():
            for entry in terms:
                chunks_naming[entry] += 1
        superlatives = [
            (frozenset(m.entry for m in find_terms(s.text)), s.chunk.heading)
            for s in all_sentences
            if _SUPERLATIVE.search(s.text)
        ]
        material = cls(facts, chunk_terms, chunks_naming, {}, {}, {}, {}, defaultdict(set), superlatives)
        for fact in facts:
            condition = fact.focus if fact.focus is not None else fact.answer
            if fact.kind == "diagnosis" and fact.relation == "presents with":
                material.presentations.setdefault(fact.answer, fact)
            if fact.kind == "organism" or (fact.kind == "diagnosis" and fact.relation == "is caused by"):
                material.causes.setdefault(condition, fact)
            if fact.kind == "treatment":
                material.treatments.setdefault(fact.focus, fact)
                material.indications.setdefault(fact.answer, fact)
            material.answers[_question_key(fact)].add(fact.answer)
        return material

    def also_most_common(self, fact: Fact) -> set[VocabularyEntry]:
        """What the material calls most common beside the fact's answer, in its section or of its condition."""
        return {
            entry
            for named, heading in self.superlatives
            if heading == fact.sentence.chunk.heading or fact.focus in named
            for entry in named
        }

    def in_other_chunks(self, entry: VocabularyEntry, chunk_id: str) -> bool:
        return self.chunks_naming.get(entry, 0) - (entry in self.chunk_terms.get(chunk_id, ())) > 0


class _Writer:
    def __init__(self, material: _Material, embedder, topic: str | None, text: MaterialText):
        self.material = material
        self.text = text
        self.embedder = embedder
        self.topic = topic
        self._vectors = _TermVectors(embedder)

    def write(self, fact: Fact) -> DraftQuestion | str:
        """The question for `fact`, or why there is none ("answer_in_stem", "no_distractors")."""
        sentence = fact.sentence
        seed = int.from_bytes(hashlib.sha256(f"{sentence.text}\x00{fact.answer.term}".encode()).digest()[:8], "big")
        stem, focus, extra = self._stem(fact, seed)
        if any(m.entry == fact.answer for m in find_terms(stem)):
            return "answer_in_stem"
        patient_sex = _patient_sex(stem)
        picked = self._distractors(fact, stem, patient_sex)
        if len(picked) < OPTION_COUNT - 1:
            return "no_distractors"

        answer = _display(fact.answer)
        options = [(answer, None)] + [(_display(e), e) for e, _, _ in picked]
        random.Random(seed).shuffle(options)
        correct_index = next(i for i, (_, entry) in enumerate(options) if entry is None)

        role = _role(fact)
        source = f"{cite(sentence.chunk)}: “{sentence.text}”"
        rationales = [
            f"Correct. {answer} is {role}." if entry is None else self._why_not(entry, role, stem)
            for text, entry in options
        ]
        explanation = f"{answer} is {role}. Source, {source}" + "".join(
            f" See also {cite(f.sentence.chunk)}: “{f.sentence.text}”" for f in extra
        )
        quality = self._quality(fact, picked, extra)
        return DraftQuestion(
            vignette=stem,
            options=[text for text, _ in options],
            correct_index=correct_index,
            option_rationales=rationales,
            explanation=explanation,
            pathophysiology=self._about(focus, fact, ("causes",)),
            clinical_relevance=self._about(focus, fact, ("treatments", "presentations")),
            topic=focus.topic if focus else (self.topic or fact.answer.topic),
            subtopic=SUBTOPICS[fact.kind],
            difficulty=_difficulty(fact, extra),
            quality_score=quality,
            references=[reference(f.sentence.chunk, f.sentence.text) for f in (fact, *extra)],
            source_chunk_id=sentence.chunk.id,
        )

    # --- Stems ----------------------------------------------------------------------------------

    def _stem(self, fact: Fact, seed: int) -> tuple[str, VocabularyEntry | None, list[Fact]]:
        """The vignette and lead-in, the condition it is about, and the other facts it uses."""
        material = self.material
        kind, answer = fact.kind, fact.answer
        if kind == "definition":
            return f"Which of the following is {fact.clue}?", answer, []
        if kind == "function":  # physiology: a direct question, as no patient is in the sentence
            return f"Which of the following {PLURALS[LABELS[answer.category]]} {fact.clue}?", answer, []

        if kind in ("treatment", "organism", "common_cause"):
            condition = fact.focus
            patient = _patient(condition, seed, fact.population)
            presentation = material.presentations.get(condition)
            # A presentation from another sentence is added only to a treatment question: an
            # organism's or a cause's own picture differs from the condition's (rusty sputum is
            # pneumococcus, not Klebsiella, though both cause community-acquired pneumonia).
            extra = (
                [presentation]
                if kind == "treatment" and presentation and presentation.sentence != fact.sentence
                else []
            )
            who = f"{patient.phrase} with {fact.host}" if fact.host else patient.phrase
            if kind == "organism" and fact.clue:  # the features that point to the one organism
                opening = f"{who} comes to the physician with {_findings(fact.clue)}."
            elif extra:
                opening = (
                    f"{who} comes to the physician with {_findings(presentation.clue)}. "
                    f"{patient.pronoun} is diagnosed with {_named(condition)}."
                )
            else:
                opening = f"{who} is diagnosed with {_named(condition)}."
            if kind == "treatment":
                noun = "drug classes" if answer.category == "drug_class" else "drugs"
                lead = {
                    "first-line": f"Which of the following {noun} is the most appropriate first-line treatment?",
                    "of choice": f"Which of the following {noun} is the treatment of choice?",
                }.get(fact.qualifier, f"Which of the following {noun} is an appropriate treatment for this condition?")
            elif kind == "organism":
                lead = (
                    "Which of the following organisms is the most common cause of this condition?"
                    if fact.qualifier == "most common"
                    else "Which of the following organisms is the most likely cause of this condition?"
                )
            else:
                lead = "Which of the following is the most common cause of this condition?"
            return f"{opening} {lead}", condition, extra

        if kind in ("mechanism", "adverse"):
            indication = material.indications.get(answer)
            condition = indication.focus if indication else None
            patient = _patient(condition, seed, fact.population)
            extra = [indication] if indication and indication.sentence != fact.sentence else []
            who = f"{patient.phrase} with {condition.term}" if condition else patient.phrase
            noun = "drug class" if answer.category == "drug_class" else "drug"
            if kind == "mechanism":
                opening = f"{who} is started on a medication that {fact.clue}."
                lead = (
                    "Which of the following drug classes does this medication belong to?"
                    if noun == "drug class"
                    else "Which of the following drugs was most likely prescribed?"
                )
            else:
                opening = f"{who} is started on a new medication and later develops {fact.clue}."
                lead = f"Which of the following {noun}s is most likely responsible?"
            return f"{opening} {lead}", condition or answer, extra

        # Diagnosis: the answer is the condition, to be recognised from the clue.
        patient = _patient(answer, seed, fact.population)
        extra: list[Fact] = []
        if fact.relation == "presents with":
            opening = f"{patient.phrase} comes to the physician with {_findings(fact.clue)}."
            cause = material.causes.get(answer)
            single = cause is not None and _caused_by(cause.clue).startswith("is ")
            if single and cause.kind == "diagnosis" and cause.sentence != fact.sentence:
                opening += (
                    f" Further evaluation shows that {patient.possessive.lower()} condition is caused by {cause.clue}."
                )
                extra = [cause]
        elif fact.relation == "is caused by":
            presentation = material.presentations.get(answer)
            if presentation and presentation.sentence != fact.sentence:
                opening = (
                    f"{patient.phrase} comes to the physician with {_findings(presentation.clue)}. "
                    f"{patient.possessive} condition {_caused_by(fact.clue)}."
                )
                extra = [presentation]
            else:
                opening = f"{patient.phrase} is evaluated for a condition that {_caused_by(fact.clue)}."
        elif fact.relation == "is characterized by":
            opening = f"{patient.phrase} is evaluated for a condition characterized by {fact.clue}."
        elif fact.relation == "shows":
            opening = f"On examination, {patient.phrase[0].lower()}{patient.phrase[1:]} is found to have {fact.clue}."
        else:  # associated with
            opening = f"{patient.phrase} is found to have {fact.clue}."
            lead = "Which of the following conditions is most closely associated with this finding?"
            return f"{opening} {lead}", answer, extra
        return f"{opening} Which of the following is the most likely diagnosis?", answer, extra

    # --- Options --------------------------------------------------------------------------------

    def _distractors(self, fact: Fact, stem: str, patient_sex: str | None) -> list[tuple[VocabularyEntry, float, bool]]:
        """Four (entry, cosine to the answer, named in the material) of the answer's category."""
        answer = fact.answer
        # Nor what the source says in the same claim as the answer: "FH is caused by LDL receptor
        # mutations and causes premature coronary artery disease" makes CAD a second answer.
        claim = " ".join(
            c for c in clauses(fact.sentence.text, SUBJECT_BREAK) if answer in {m.entry for m in find_terms(c)}
        )
        excluded = {m.entry for m in find_terms(f"{stem} {claim}")} | self.material.answers[_question_key(fact)]
        if fact.qualifier == "most common" or fact.kind == "common_cause":
            excluded |= self.material.also_most_common(fact)
        names = {n.casefold() for n in answer.names}
        # Options of one level: no syndrome ("nephritic syndrome") among the diseases that make it.
        groups = kinds() if answer.term not in kinds() else frozenset()
        candidates = [
            e
            for e in same_category(answer)
            if e not in excluded
            and e.term not in groups
            and not names & {n.casefold() for n in e.names}
            and (patient_sex is None or e.sex in (None, patient_sex))
        ]
        if len(candidates) < OPTION_COUNT - 1:
            return []
        similarity = self._vectors.similarity(answer, candidates)
        classes = lineage(answer) - {answer.term}
        ranked = []
        for entry, cosine in zip(candidates, similarity, strict=True):
            if cosine >= SYNONYM_COSINE:
                continue
            in_corpus = self.material.in_other_chunks(entry, fact.sentence.chunk.id)
            score = (
                cosine
                + SAME_TOPIC_BONUS * (entry.topic == answer.topic)
                + SAME_SYSTEM_BONUS * (entry.organ_system == answer.organ_system)
                + CORPUS_BONUS * in_corpus
                + SIBLING_BONUS * bool(classes & lineage(entry))
            )
            ranked.append((-score, entry.term, entry, float(cosine), in_corpus))
        ranked.sort(key=lambda item: item[:2])
        # No option of one kind with another (membranous nephropathy beside nephrotic syndrome, two
        # loop diuretics): with the key, two right answers; among distractors, one ruled out by the other.
        picked: list[tuple[VocabularyEntry, float, bool]] = []
        for _, _, entry, cosine, in_corpus in ranked:
            if not any(of_a_kind(entry, other) for other in (answer, *(e for e, _, _ in picked))):
                picked.append((entry, cosine, in_corpus))
            if len(picked) == OPTION_COUNT - 1:
                break
        return picked

    # --- Explanations and scores ----------------------------------------------------------------

    def _why_not(self, entry: VocabularyEntry, role: str, stem: str) -> str:
        """Why a distractor is wrong: what the student's notes say of it (the sentence closest to
        the question), or, where they say nothing, one honest line."""
        about = content_stems(stem)
        said = [
            (len(about & content_stems(sentence)), sentence, chunk) for sentence, chunk in self.text.naming(entry.term)
        ]
        text = _display(entry)
        if said:
            _, sentence, chunk = max(said, key=lambda item: item[0])
            return f"Incorrect. Your notes on {text}, {cite(chunk)}: “{sentence}”"
        return f"Incorrect. Your notes do not discuss {text}, {_a(LABELS[entry.category])} {_described(entry)}; it is not {role}."

    def _about(self, focus: VocabularyEntry | None, fact: Fact, tables: tuple[str, ...]) -> str:
        """Another sentence of the material about `focus`, from the first table that has one."""
        if focus is None:
            return ""
        for table in tables:
            other = getattr(self.material, table).get(focus)
            if other is not None and other.sentence.text != fact.sentence.text:
                return f"{other.sentence.text} ({cite(other.sentence.chunk)})"
        return ""

    def _quality(self, fact: Fact, picked: list[tuple[VocabularyEntry, float, bool]], extra: list[Fact]) -> float:
        answer = fact.answer
        words = len(fact.sentence.text.split())
        mentions = sum(1 for m in find_terms(fact.sentence.text) if m.entry == answer)
        related = sum(1 for e, _, _ in picked if e.topic == answer.topic or e.organ_system == answer.organ_system)
        from_corpus = sum(1 for _, _, in_corpus in picked if in_corpus)
        mean_cosine = sum(c for _, c, _ in picked) / len(picked)
        score = (
            0.35
            + 0.15 * (8 <= words <= 35)
            + 0.10 * (mentions == 1)
            + 0.10 * related / len(picked)
            + 0.10 * from_corpus / len(picked)
            + 0.10 * min(1.0, max(0.0, (mean_cosine - 0.2) / 0.5))
            + (0.10 if fact.pattern.explicit else 0.05)
            + 0.05 * bool(extra)
        )
        return round(min(1.0, score), 3)


class _TermVectors:
    """Embeddings of vocabulary terms, computed once per embedder and process."""

    _cache: dict[tuple[str, int], dict[str, np.ndarray]] = {}

    def __init__(self, embedder):
        self.embedder = embedder
        self.vectors = self._cache.setdefault((embedder.name, embedder.dimensions), {})

    def similarity(self, answer: VocabularyEntry, candidates: list[VocabularyEntry]) -> np.ndarray:
        missing = list(dict.fromkeys(e for e in (answer, *candidates) if e.term not in self.vectors))
        if missing:
            vectors = self.embedder.embed([_description(e) for e in missing])
            for entry, vector in zip(missing, vectors, strict=True):
                self.vectors[entry.term] = np.asarray(vector, dtype=np.float32)
        matrix = np.stack([self.vectors[e.term] for e in candidates])
        return matrix @ self.vectors[answer.term]


def _description(entry: VocabularyEntry) -> str:
    """What is embedded for a term. A bare name is embedded by its spelling (metformin comes out next
    to metoprolol and methotrexate); naming the kind and organ system puts it among its peers."""
    where = f"used in {entry.topic}" if entry.organ_system == "multisystem" else f"of the {entry.organ_system} system"
    return f"{entry.term}, {_a(LABELS[entry.category])} {where}"


# --- Wording -------------------------------------------------------------------------------------


def _patient(condition: VocabularyEntry | None, seed: int, population=None) -> _Patient:
    """The stem's patient: the population the sentence names ("in neonates"), else the
    condition's typical patients, else an adult; chosen by `seed`."""
    rng = random.Random(seed)
    low, high, sex = population or (None, None, None)
    if low is None:
        low, high = (condition.ages if condition and condition.ages else None) or DEFAULT_AGES
    age = rng.randint(low, high)
    sex = sex or (condition.sex if condition and condition.sex else rng.choice(("female", "male")))
    if age == 0 and high == 0 and population:  # neonates: under four weeks
        noun = "girl" if sex == "female" else "boy"
        phrase = f"A {rng.randint(3, 21)}-day-old {noun}"
    elif age == 0:
        noun = "girl" if sex == "female" else "boy"
        phrase = f"A {rng.randint(2, 10)}-week-old {noun}"
    else:
        if age < 18:
            noun = "girl" if sex == "female" else "boy"
        else:
            noun = "woman" if sex == "female" else "man"
        phrase = f"{'An' if age in (8, 11, 18) or 80 <= age <= 89 else 'A'} {age}-year-old {noun}"
    pronoun, possessive = ("She", "Her") if sex == "female" else ("He", "His")
    return _Patient(phrase, pronoun, possessive, sex)


_HEDGE = re.compile(r"\b(?:usually|often|typically|classically|commonly|frequently|sometimes)\s+", re.IGNORECASE)
_COUNTABLE = ("infection", "defect", "aneurysm", "tumor", "abscess", "ulcer", "fracture", "stroke", "embolism")


def _findings(clue: str) -> str:
    """A patient's findings, as seen in one patient: "fever, flank pain, and often nausea" -> "... and nausea"."""
    return _HEDGE.sub("", clue)


def _caused_by(clue: str) -> str:
    """ "is caused by X", or, where the notes list causes, "can be caused by A, B, or C": each
    patient has one of them."""
    if clue.count(",") >= 2 and ", and " in clue:
        head, _, last = clue.rpartition(", and ")
        return f"can be caused by {head}, or {last}"
    return f"is caused by {clue}"


def _named(condition: VocabularyEntry) -> str:
    """A condition as a diagnosis is said: "a urinary tract infection", "community-acquired pneumonia"."""
    return _a(condition.term) if condition.term.split()[-1] in _COUNTABLE else condition.term


def _patient_sex(stem: str) -> str | None:
    words = stem.split()[:4]
    if any(w in ("woman", "girl") for w in words):
        return "female"
    if any(w in ("man", "boy") for w in words):
        return "male"
    return None


def _display(entry: VocabularyEntry) -> str:
    term = entry.term
    return term[0].upper() + term[1:] if term[:1].islower() else term


_YOU_SOUND = re.compile(r"^(?:uni|uri|ure|usu|use|uti|eu|one\b)", re.IGNORECASE)  # "a urinary", "a unilateral"


def _a(word: str) -> str:
    vowel = word[0].lower() in "aeiou" and not _YOU_SOUND.match(word)
    return f"{'an' if vowel else 'a'} {word}"


def _described(entry: VocabularyEntry) -> str:
    if entry.organ_system in ("multisystem",) or entry.organ_system.lower() == entry.topic.lower():
        return f"in {entry.topic}"
    return f"in {entry.topic} ({entry.organ_system} system)"


def _role(fact: Fact) -> str:
    """What the answer is, according to the sentence: 'the first-line treatment for stable angina'."""
    focus = fact.focus.term if fact.focus else ""
    noun = "drug class" if fact.answer.category == "drug_class" else "drug"
    if fact.kind == "treatment":
        return {
            "first-line": f"the first-line treatment for {focus}",
            "of choice": f"the treatment of choice for {focus}",
        }.get(fact.qualifier, f"a treatment for {focus}")
    if fact.kind == "mechanism":
        return f"the {noun} that {fact.clue}"
    if fact.kind in ("organism", "common_cause"):
        return f"the most common cause of {focus}" if fact.qualifier == "most common" else f"a cause of {focus}"
    if fact.kind == "adverse":
        return f"the {noun} associated with {fact.clue}"
    if fact.kind == "diagnosis":
        return f"the condition that {fact.relation} {fact.clue}"
    if fact.kind == "function":
        return f"the {LABELS[fact.answer.category]} that {fact.clue}"
    return fact.clue  # definition: "a supraventricular arrhythmia ..."


def _difficulty(fact: Fact, extra: list[Fact]) -> str:
    """What the item asks: recall of a definition or a function is easy; applying one named fact
    (the treatment of a named condition) medium; inferring the answer from a description (a
    diagnosis, a mechanism, an adverse effect) hard; combining two facts of the material nbme.
    The item statistics correct it later from how students answer (questions/quality.py)."""
    if fact.kind in ("definition", "function"):
        return "easy"
    if fact.kind in ("treatment", "organism", "common_cause"):
        return "medium"
    if fact.kind == "diagnosis" and extra:
        return "nbme"
    return "hard"

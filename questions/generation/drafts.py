"""What every question generator produces and how drafts are checked and deduplicated."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

from medtext.errors import ServiceError, TransientServiceError
from questions.models import Difficulty

if TYPE_CHECKING:
    from medtext.embeddings import Embedder

OPTION_COUNT = 5  # NBME items have five options, one correct
# A draft this close (cosine) to a kept draft, or to an existing vignette, asks the same thing again.
# With all-MiniLM-L6-v2, one fact asked of a different patient scores about 0.95; different facts in
# the same template at most about 0.85.
DUPLICATE_COSINE = 0.92
# Existing vignettes sharing less than this fraction of content words with every draft cannot be
# near-duplicates of one (questions that ask the same thing share their key terms), so they are not
# embedded: a student with 2,000 questions would otherwise cost a minute of CPU per material.
EXISTING_OVERLAP = 0.2


class GenerationError(ServiceError):
    """A permanent failure: bad configuration, or a request the AI backend refuses."""


class TransientGenerationError(GenerationError, TransientServiceError):
    """A failure worth retrying: timeouts, connection errors, 429 and 5xx answers."""


@dataclass(frozen=True)
class SourceChunk:
    id: str
    text: str
    page_number: int
    heading: str = ""  # DOCX and Markdown sections have no pages: citations name the heading


@dataclass
class DraftQuestion:
    vignette: str
    options: list[str]
    correct_index: int
    option_rationales: list[str]
    explanation: str
    pathophysiology: str
    clinical_relevance: str
    topic: str
    subtopic: str
    difficulty: str
    quality_score: float
    references: list[dict]  # [{"page": 3, "heading": "", "quote": "exact source sentence", "chunk_id": "..."}]
    source_chunk_id: str
    # What the item checks (checks.py) found weak in it, for staff; each lowered quality_score.
    quality_reasons: list[str] = field(default_factory=list)

    @property
    def answer(self) -> str:
        return self.options[self.correct_index]


@dataclass
class GenerationResult:
    questions: list[DraftQuestion]
    dropped: int = 0
    reasons: dict[str, int] = field(default_factory=dict)  # why drafts were dropped: invalid, duplicate, ...
    flagged: dict[str, int] = field(default_factory=dict)  # item checks that saved questions failed
    written: int = 0  # drafts written, before anything was dropped


class UsesEmbedder:
    """Generators embed drafts to find near-duplicates (and the offline one, terms to rank
    distractors). The embedder is the configured one unless given, built on first use, so making a
    generator costs nothing."""

    def __init__(self, *, embedder: Embedder | None = None):
        self._embedder = embedder

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            from medtext.embeddings import get_embedder

            self._embedder = get_embedder()
        return self._embedder


class QuestionGenerator(Protocol):
    def generate(
        self,
        *,
        chunks: list[SourceChunk],
        topic: str | None,
        max_questions: int,
        existing_vignettes: Sequence[str] = (),
    ) -> GenerationResult: ...


def option_key(text: str) -> str:
    """Options are the same when they differ only in case and spacing."""
    return " ".join(text.split()).casefold()


def validate_draft(draft: DraftQuestion) -> list[str]:
    """What is wrong with a draft, in words; [] means it can be stored and asked."""
    problems = []
    if not draft.vignette.strip():
        problems.append("the vignette is empty")
    if len(draft.options) != OPTION_COUNT:
        problems.append(f"{len(draft.options)} options instead of {OPTION_COUNT}")
    if any(not isinstance(o, str) or not o.strip() for o in draft.options):
        problems.append("an option is empty")
    else:
        keys = [option_key(o) for o in draft.options]
        if len(set(keys)) != len(keys):
            problems.append("two options are the same")
    if not 0 <= draft.correct_index < len(draft.options):
        problems.append(f"correct_index {draft.correct_index} points at no option")
    if len(draft.option_rationales) != len(draft.options) or any(
        not isinstance(r, str) or not r.strip() for r in draft.option_rationales
    ):
        problems.append("every option needs a rationale")
    if not draft.explanation.strip():
        problems.append("the explanation is empty")
    if not draft.topic.strip():
        problems.append("the topic is empty")
    if draft.difficulty not in Difficulty.values:
        problems.append(f"difficulty {draft.difficulty!r} is not one of {', '.join(Difficulty.values)}")
    if not 0.0 <= draft.quality_score <= 1.0:
        problems.append(f"quality_score {draft.quality_score} is outside 0..1")
    return problems


def cite(chunk: SourceChunk) -> str:
    """Where a quote comes from: the section heading where there is one (DOCX, Markdown), else the page."""
    return f"section “{chunk.heading}”" if chunk.heading else f"p. {chunk.page_number}"


def reference(chunk: SourceChunk, quote: str) -> dict:
    return {"page": chunk.page_number, "heading": chunk.heading, "quote": quote, "chunk_id": chunk.id}


def keep_distinct(
    drafts: Sequence[DraftQuestion],
    *,
    embedder: Embedder,
    existing_vignettes: Sequence[str],
    max_questions: int,
    reasons: dict[str, int],
) -> list[DraftQuestion]:
    """The first `max_questions` drafts, in the given (preference) order, that are not near-duplicates
    of one kept before them ("vignette + answer" embeddings) or of an existing vignette (vignette
    embeddings: existing ones come without answers); each near-duplicate counts in
    reasons["duplicate"]. Drafts past the cap are not examined (they are not failures)."""
    if max_questions <= 0 or not drafts:
        return []
    draft_words = [_content_words(d.vignette) for d in drafts]
    vocabulary = set().union(*draft_words)
    suspects = [v for v in dict.fromkeys(existing_vignettes) if _may_repeat(_content_words(v), vocabulary, draft_words)]
    seen = np.asarray(embedder.embed(suspects), dtype=np.float32).reshape(len(suspects), -1) if suspects else None

    kept: list[DraftQuestion] = []
    kept_vectors: list[np.ndarray] = []
    position = 0
    while position < len(drafts) and len(kept) < max_questions:
        # Embed a few more than still needed: most drafts are kept, and each batch is one call.
        batch = drafts[position : position + max(8, 2 * (max_questions - len(kept)))]
        position += len(batch)
        texts = [f"{d.vignette} {d.answer}" for d in batch]
        # Existing vignettes come without their answers: they are compared with vignettes alone.
        if seen is not None:
            texts += [d.vignette for d in batch]
        vectors = np.asarray(embedder.embed(texts), dtype=np.float32)
        for i, draft in enumerate(batch):
            if len(kept) == max_questions:
                break
            repeats_existing = seen is not None and (seen @ vectors[len(batch) + i]).max() >= DUPLICATE_COSINE
            repeats_kept = bool(kept_vectors) and (np.array(kept_vectors) @ vectors[i]).max() >= DUPLICATE_COSINE
            if repeats_existing or repeats_kept:
                reasons["duplicate"] = reasons.get("duplicate", 0) + 1
                continue
            kept.append(draft)
            kept_vectors.append(vectors[i])
    return kept


_WORD = re.compile(r"[a-z0-9]{4,}")
# Words every vignette uses; they say nothing about what a question asks.
_STOP_WORDS = frozenset(
    """which following most likely appropriate year old week with this that these their there from have
    been patient patients comes physician diagnosed condition treatment best describes started medication
    drug drugs class classes cause causes caused evaluated found after over were what does into also""".split()
)


def _content_words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower())) - _STOP_WORDS


def _may_repeat(words: set[str], vocabulary: set[str], draft_words: list[set[str]]) -> bool:
    if not words or not words & vocabulary:
        return False
    return any(len(words & d) / len(words | d) >= EXISTING_OVERLAP for d in draft_words if d)

"""Automatic tags for a material (the pipeline's `analyze` stage), from the medical vocabulary.

Every vocabulary term found in the text (`medtext.vocabulary.terms_in`) is a hit for its entry's
topic, its organ system and, as a keyword, itself. A term repeated many times (a running header,
a drug named in every line of a table) counts at most `TERM_CAP` times.

Confidence, in [0, 1], for a topic or organ system with `hits` (capped) hits:

    confidence = share × saturation
    share      = hits / all hits of that kind       (how much of the text is about it)
    saturation = 1 − exp(−density / DENSITY_SCALE)  (how much evidence there is)
    density    = hits per 1000 words, counting at least MIN_WORDS words

so a topic needs both to dominate the text and to be named often enough: a 20-word note naming one
disease is weak evidence, and so is a textbook chapter naming a topic once. "multisystem" (drugs
that act everywhere, metabolic pathways) is no organ system tag. A keyword's confidence is its hits
relative to the most frequent term's, times the same saturation of its own density.

Tags: topics as StudyIn spells them ("Cardiology"), organ systems lower-case ("cardiovascular"),
keywords as the vocabulary writes the term ("stable angina", "Staphylococcus aureus"). The result
is deduplicated case-insensitively (a topic wins over the organ system of the same name: "Renal"
over "renal"), ordered topics, organ systems, keywords, each strongest first (ties by name), with at
most MAX_TOPICS topics and MAX_SYSTEMS organ systems so keywords keep some room. Deterministic.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from medtext.vocabulary import ANSWERABLE_CATEGORIES, terms_in

TERM_CAP = 5
MIN_WORDS = 100
DENSITY_SCALE = 20.0  # hits per 1000 words at which saturation reaches 63 %
MIN_CONFIDENCE = 0.1
MIN_KEYWORD_HITS = 2
MAX_TOPICS = 3
MAX_SYSTEMS = 2


@dataclass(frozen=True)
class AutoTag:
    tag: str
    category: str  # "topic", "organ_system" or "keyword"
    confidence: float  # 0..1


def auto_tags(*, text: str, limit: int = 8) -> list[AutoTag]:
    """The strongest tags for `text`, by the rules in the module docstring."""
    hits = [(entry, min(count, TERM_CAP)) for entry, count in terms_in(text)]
    if not hits or limit <= 0:
        return []
    words = max(len(text.split()), MIN_WORDS)

    def saturation(count: float) -> float:
        return 1.0 - math.exp(-(count * 1000.0 / words) / DENSITY_SCALE)

    def scored(scores: dict[str, int], category: str) -> list[AutoTag]:
        total = sum(scores.values())
        tags = [AutoTag(name, category, round(count / total * saturation(count), 3)) for name, count in scores.items()]
        return _strongest(tags)

    topics: dict[str, int] = defaultdict(int)
    systems: dict[str, int] = defaultdict(int)
    for entry, count in hits:
        topics[entry.topic] += count
        if entry.organ_system != "multisystem":
            systems[entry.organ_system] += count

    keywords = [(entry, count) for entry, count in hits if entry.category in ANSWERABLE_CATEGORIES]
    top = max((count for _, count in keywords), default=0)
    keyword_tags = _strongest(
        [
            AutoTag(entry.term, "keyword", round(count / top * saturation(count), 3))
            for entry, count in keywords
            if count >= MIN_KEYWORD_HITS
        ]
    )

    chosen: list[AutoTag] = []
    seen: set[str] = set()
    for tags, quota in (
        (scored(topics, "topic"), MAX_TOPICS),
        (scored(systems, "organ_system") if systems else [], MAX_SYSTEMS),
        (keyword_tags, limit),
    ):
        taken = 0
        for tag in tags:
            if len(chosen) == limit or taken == quota:
                break
            if tag.tag.lower() not in seen:
                seen.add(tag.tag.lower())
                chosen.append(tag)
                taken += 1
    return chosen


def _strongest(tags: list[AutoTag]) -> list[AutoTag]:
    return sorted((t for t in tags if t.confidence >= MIN_CONFIDENCE), key=lambda t: (-t.confidence, t.tag))

"""The medical vocabulary shipped with StudyIn (`data/medical_vocabulary.json`), and finding it in text.

Each entry is a term with its category (disease, drug, drug_class, organism, anatomy, cell, mechanism,
enzyme, receptor, hormone, neurotransmitter, vitamin, test, symptom, or "topic" for umbrella words
such as "arrhythmia" that tag a text but are never an answer), one of the StudyIn topics, an organ
system, synonyms, the drug classes a drug (or a class) belongs to, and optionally the sex ("female"/"male") and age range in years ([0, 0]: an
infant) of the patients the condition belongs to. The list was written for StudyIn.

Matching rules (`find_terms`):
- A term or synonym matches whole words only: not inside a longer word.
- Case-insensitive, except abbreviations written without lower-case letters ("MI", "ALS", "T4"):
  those match only in capitals, so "all" is never acute lymphoblastic leukemia.
- A space and a hyphen (or dash) in a term match any run of spaces, hyphens and dashes, so
  "beta blocker", "beta-blocker" and "Beta  blocker" are the same; ’ matches '.
- An "s" or "es" plural ending is accepted ("beta blockers", "statins").
- Overlapping candidates: the longest match wins at each position ("stable angina" rather than
  "angina"); matches never overlap.

All the terms are compiled into one regular expression shaped as a trie (shared prefixes are
factored out), so a megabyte of text is scanned in a fraction of a second.
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

VOCABULARY_PATH = Path(__file__).resolve().parent / "data" / "medical_vocabulary.json"

# Categories whose entries can be the answer of a question or a distractor. "topic" entries are
# umbrella words ("anemia", "cardiology") that only help tagging.
ANSWERABLE_CATEGORIES = frozenset(
    {
        "disease", "drug", "drug_class", "organism", "anatomy", "cell", "mechanism", "enzyme", "receptor",
        "hormone", "neurotransmitter", "vitamin", "test", "symptom",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class VocabularyEntry:
    term: str
    category: str
    topic: str
    organ_system: str
    synonyms: tuple[str, ...] = ()
    sex: str | None = None  # "female" / "male" when the condition belongs to one sex
    ages: tuple[int, int] | None = None  # typical patients' ages in years; (0, 0) an infant
    classes: tuple[str, ...] = ()  # drugs and drug classes: the drug classes (terms) they belong to

    @property
    def names(self) -> tuple[str, ...]:
        return (self.term, *self.synonyms)


@dataclass(frozen=True, slots=True)
class TermMatch:
    entry: VocabularyEntry
    start: int
    end: int
    text: str  # as written in the text, plural ending included


_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015]+")
_SEPARATOR = "\x00"  # stands for _SEPARATOR_PATTERN inside the trie
_SEPARATOR_PATTERN = r"[\s\-\u2010-\u2015]+"
_APOSTROPHE_PATTERN = "['\u2019]"


def _is_abbreviation(name: str) -> bool:
    return not any(c.islower() for c in name) and any(c.isupper() for c in name)


def normalise(name: str) -> str:
    """The lookup key of a term as written: separators unified; lower-case unless an abbreviation."""
    key = _SEPARATORS.sub(_SEPARATOR, name.strip().replace("\u2019", "'"))
    return key if _is_abbreviation(key) else key.lower()


@dataclass(frozen=True)
class Vocabulary:
    entries: tuple[VocabularyEntry, ...]
    by_key: dict[str, VocabularyEntry]
    by_category: dict[str, tuple[VocabularyEntry, ...]]
    pattern: re.Pattern[str]

    def find(self, text: str) -> list[TermMatch]:
        matches = []
        for m in self.pattern.finditer(text):
            stem = m.group(1)
            key = normalise(stem)
            entry = self.by_key.get(key) or self.by_key.get(key.lower())
            if entry is not None:  # always found: the pattern is built from these keys
                matches.append(TermMatch(entry=entry, start=m.start(), end=m.end(), text=m.group(0)))
        return matches


@functools.cache
def vocabulary() -> Vocabulary:
    """The vocabulary, loaded and compiled once per process."""
    raw = json.loads(VOCABULARY_PATH.read_text(encoding="utf-8"))
    entries = tuple(
        VocabularyEntry(
            term=item["term"],
            category=item["category"],
            topic=item["topic"],
            organ_system=item["organ_system"],
            synonyms=tuple(item.get("synonyms", ())),
            sex=item.get("sex"),
            ages=tuple(item["ages"]) if item.get("ages") else None,
            classes=tuple(item.get("classes", ())),
        )
        for item in raw
    )
    by_key: dict[str, VocabularyEntry] = {}
    for entry in entries:
        for name in entry.names:
            key = normalise(name)
            other = by_key.setdefault(key, entry)
            if other is not entry:
                raise ValueError(f"vocabulary: {name!r} names both {other.term!r} and {entry.term!r}")
    by_category: dict[str, list[VocabularyEntry]] = {}
    for entry in entries:
        by_category.setdefault(entry.category, []).append(entry)

    insensitive = [k for k in by_key if not _is_abbreviation(k)]
    sensitive = [k for k in by_key if _is_abbreviation(k)]
    alternatives = [f"(?i:{_trie_pattern(insensitive)})"] + ([_trie_pattern(sensitive)] if sensitive else [])
    # Group 1 is the term itself; the plural ending and the word boundaries sit outside it.
    pattern = re.compile(rf"(?<!\w)({'|'.join(alternatives)})(?i:e?s)?(?!\w)")
    return Vocabulary(
        entries=entries,
        by_key=by_key,
        by_category={category: tuple(items) for category, items in by_category.items()},
        pattern=pattern,
    )


def _trie_pattern(keys: list[str]) -> str:
    """One regular expression matching exactly `keys`, longest alternative first at each branch."""
    trie: dict = {}
    for key in keys:
        node = trie
        for char in key:
            node = node.setdefault(char, {})
        node[""] = {}  # end of a key

    def build(node: dict) -> str:
        ends = "" in node
        branches = []
        for char in sorted(c for c in node if c):
            if char == _SEPARATOR:
                head = _SEPARATOR_PATTERN
            elif char == "'":
                head = _APOSTROPHE_PATTERN
            else:
                head = re.escape(char)
            branches.append(head + build(node[char]))
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        # Greedy optional: the longer key is tried first, the shorter one on backtracking.
        return f"(?:{body})?" if ends else body

    return build(trie)


def find_terms(text: str) -> list[TermMatch]:
    """Every vocabulary term in `text`, left to right, by the rules in the module docstring."""
    return vocabulary().find(text)


def terms_in(text: str) -> list[tuple[VocabularyEntry, int]]:
    """The entries named in `text` with how often (synonyms count for their entry), most frequent
    first, then in order of first appearance."""
    counts = Counter(match.entry for match in find_terms(text))
    return sorted(counts.items(), key=lambda item: -item[1])  # sorted() is stable: first seen first


def entry_for(name: str) -> VocabularyEntry | None:
    """The entry one of whose names is `name` (as `find_terms` would read it), if any."""
    key = normalise(name)
    table = vocabulary().by_key
    return table.get(key) or table.get(key.lower())


def organ_system(answer: str, text: str = "") -> str | None:
    """The organ system a question is about, as the USMLE outline files it: by the disease. The
    answer's, when the answer is a disease; else that of the disease `text` (the vignette) names
    most; else the answer's term's (a drug, a test, an organism with no disease named); else the
    vignette's most-named term's. A specific system goes before "multisystem"; None when nothing
    names a vocabulary term."""
    answered = entry_for(answer)
    named = [answered] if answered else [e for e, _ in terms_in(answer)]
    vignette = [e for e, _ in terms_in(text)]
    for found in (
        [e for e in named if e.category == "disease"],
        [e for e in vignette if e.category == "disease"],
        named,
        vignette,
    ):
        if found:
            return next((e for e in found if e.organ_system != "multisystem"), found[0]).organ_system
    return None


def lineage(entry: VocabularyEntry) -> set[str]:
    """The entry's term and every drug class it belongs to, classes of classes included
    (celecoxib: COX-2 inhibitor, nonsteroidal anti-inflammatory drug)."""
    seen, todo = {entry.term}, list(entry.classes)
    while todo:
        term = todo.pop()
        if term not in seen:
            seen.add(term)
            parent = entry_for(term)
            todo.extend(parent.classes if parent else ())
    return seen


DRUG_CATEGORIES = frozenset({"drug", "drug_class"})


def of_a_kind(a: VocabularyEntry, b: VocabularyEntry) -> bool:
    """Whether a question that asks for one is answered by the other too: two drugs of one class
    or a drug and its class (hydrochlorothiazide and chlorthalidone; ibuprofen and NSAIDs), which
    act alike; for anything else, one a kind of the other (acute pyelonephritis and urinary tract
    infection), as two kinds of one thing (membranous nephropathy and minimal change disease)
    are the very things a question tells apart."""
    if a.category in DRUG_CATEGORIES and b.category in DRUG_CATEGORIES:
        return bool(a.classes or b.classes) and bool(lineage(a) & lineage(b))
    return a.term in lineage(b) or b.term in lineage(a)


@functools.cache
def kinds() -> frozenset[str]:
    """The terms other entries belong to ("nephrotic syndrome", "loop diuretic"): a kind of things."""
    return frozenset(term for entry in vocabulary().entries for term in entry.classes)


def same_category(entry: VocabularyEntry) -> list[VocabularyEntry]:
    """The other entries of `entry`'s category, in vocabulary order."""
    return [other for other in vocabulary().by_category.get(entry.category, ()) if other is not entry]

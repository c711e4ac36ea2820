"""Cut parsed pages into overlapping chunks for embedding and retrieval.

Pure and deterministic: the same pages always give the same chunks.

The rules:
1. Sentences. A page's text is cut into sentences: a sentence ends after ".", "?" or "!" (any run
   of them, plus closing quotes or brackets) followed by whitespace, and at every paragraph break
   (a blank line). A "." does not end a sentence after a known abbreviation ("e.g.", "i.e.",
   "Dr.", "vs.", "Fig.", "et al." …, see `ABBREVIATIONS`), after a number that starts a line
   ("1. Aspirin"), or when the next word starts with a lower-case letter. Each sentence is
   trimmed of surrounding whitespace. A sentence longer than `size` is cut at word boundaries
   into pieces of at most `size` characters (a single word longer than `size`, at `size`); from
   here on such a piece counts as a sentence.
2. Chunks. A chunk is a run of whole consecutive sentences of one page, as many as fit in `size`
   characters counted from the first sentence's first character to the last one's last. So a
   chunk never crosses a page, is never longer than `size`, starts and ends on non-whitespace,
   and ends at a sentence boundary unless it ends inside a sentence longer than `size`.
   `text == page.text[char_start:char_end]`.
3. Overlap. The next chunk of a page starts at the start of one of the previous chunk's
   sentences (not its first), chosen so that the repeated text, from that start to the previous
   chunk's end, is as close as possible to `overlap` characters (on a tie, the longer), among the
   starts that still leave room in the new chunk for the first sentence not yet chunked; or, if
   none is closer to `overlap` than no repetition at all, right after the previous chunk. Hence
   the repeated text is between 0 and 2 × `overlap` characters, and it is non-empty exactly when
   the previous chunk's last sentence is at most 2 × `overlap` characters long and fits in one
   chunk together with the sentence after it.
4. Coverage. Consecutive chunks of a page touch or overlap, so every non-whitespace character of
   every page lies in at least one chunk; whitespace-only pages give no chunks.
5. `index` counts chunks 0, 1, 2… over the whole document, in page order as given.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    """A parsed page (materials/parsing.py makes them)."""

    number: int  # 1-based: the PDF page; for DOCX/Markdown/text the section number
    text: str  # normalised text of that page or section
    heading: str = ""  # DOCX/Markdown: the section's heading (citations use it)


# Words that end with "." without ending a sentence. Compared lower-case, without the dot and any
# opening bracket or quote. "etc." is left out on purpose: it ends sentences as often as not, and
# mid-sentence it is followed by a lower-case word, which the lower-case rule already handles.
ABBREVIATIONS = frozenset(
    {
        "al", "approx", "ca", "cf", "ch", "co", "dept", "dr", "eq", "eqs", "fig", "figs", "inc", "jr", "ltd",
        "mr", "mrs", "ms", "mt", "no", "nos", "p", "pp", "prof", "pt", "pts", "ref", "refs", "sect", "sr",
        "st", "univ", "viz", "vol", "vols", "vs",
    }
)  # fmt: skip

_SENTENCE_END = re.compile(r"[.?!]+[\"'”’)\]]*(?=\s)")
_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n")
_DOTTED = re.compile(r"(?:[a-z]\.)+[a-z]")  # e.g, i.e, a.m (the final dot is the match)
_NEXT_WORD = re.compile(r"\s*(\S)")
_OPENERS = "([{\"'“‘"


@dataclass(frozen=True)
class Chunk:
    index: int  # 0-based, consecutive over the whole document
    page_number: int  # Page.number it came from
    char_start: int  # offset into that Page.text
    char_end: int  # exclusive; text == page.text[char_start:char_end]
    text: str


def chunk_pages(pages: list[Page], *, size: int = 1000, overlap: int = 200) -> list[Chunk]:
    """Chunk every page by the rules in the module docstring."""
    if size < 1 or not 0 <= overlap < size:
        raise ValueError(f"need size >= 1 and 0 <= overlap < size, got size={size}, overlap={overlap}")
    chunks: list[Chunk] = []
    for page in pages:
        for start, end in _page_chunks(page.text, size, overlap):
            chunks.append(
                Chunk(
                    index=len(chunks),
                    page_number=page.number,
                    char_start=start,
                    char_end=end,
                    text=page.text[start:end],
                )
            )
    return chunks


def sentence_spans(text: str, *, size: int) -> list[tuple[int, int]]:
    """The (start, end) offsets of the sentences of `text`, by rule 1 of the module docstring."""
    cuts = {m.end() for m in _SENTENCE_END.finditer(text) if _ends_sentence(text, m)}
    cuts.update(m.start() for m in _PARAGRAPH_BREAK.finditer(text))
    cuts.add(len(text))
    spans: list[tuple[int, int]] = []
    previous = 0
    for cut in sorted(cuts):
        segment = text[previous:cut]
        stripped = segment.strip()
        if stripped:
            start = previous + (len(segment) - len(segment.lstrip()))
            spans.extend(_word_pieces(text, start, start + len(stripped), size))
        previous = cut
    return spans


def _ends_sentence(text: str, match: re.Match[str]) -> bool:
    if not match.group().startswith(".") or match.group().startswith(".."):
        return True  # "?", "!", and an ellipsis always end a sentence
    dot = match.start()
    begin = dot
    while begin > 0 and not text[begin - 1].isspace():
        begin -= 1
    word = text[begin:dot].lstrip(_OPENERS).lower()
    if word in ABBREVIATIONS or _DOTTED.fullmatch(word):
        return False
    if word.isdigit() and len(word) <= 3 and (begin == 0 or text[begin - 1] == "\n"):
        return False  # a numbered list item: "1. Aspirin"
    following = _NEXT_WORD.match(text, match.end())
    return not (following and following.group(1).islower())


def _word_pieces(text: str, start: int, end: int, size: int) -> list[tuple[int, int]]:
    """Cut text[start:end] (trimmed, non-empty) into pieces of at most `size` at word boundaries."""
    pieces = []
    while end - start > size:
        cut = start + size  # the piece is text[start:cut]; prefer cut at a whitespace character
        while cut > start and not text[cut].isspace():
            cut -= 1
        if cut == start:  # one word longer than size
            pieces.append((start, start + size))
            start += size
            continue
        piece_end = cut
        while text[piece_end - 1].isspace():
            piece_end -= 1
        pieces.append((start, piece_end))
        start = cut
        while text[start].isspace():
            start += 1
    pieces.append((start, end))
    return pieces


def _page_chunks(text: str, size: int, overlap: int) -> Iterator[tuple[int, int]]:
    sentences = sentence_spans(text, size=size)
    count = len(sentences)
    first = 0
    while first < count:
        start = sentences[first][0]
        last = first
        while last + 1 < count and sentences[last + 1][1] - start <= size:
            last += 1
        yield start, sentences[last][1]
        if last + 1 == count:
            return
        first = _next_first(sentences, first, last, size, overlap)


def _next_first(sentences: list[tuple[int, int]], first: int, last: int, size: int, overlap: int) -> int:
    """Rule 3: the sentence the next chunk starts with."""
    end = sentences[last][1]
    must_reach = sentences[last + 1][1]
    best, best_key = last + 1, (overlap, 0)  # no repetition
    for k in range(last, first, -1):
        repeat = end - sentences[k][0]
        # Going back only lengthens the repeat and the new chunk: stop when either is too long.
        if repeat > 2 * overlap or must_reach - sentences[k][0] > size:
            break
        key = (abs(repeat - overlap), -repeat)
        if key < best_key:
            best, best_key = k, key
    return best

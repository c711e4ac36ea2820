"""medtext.chunking: the rules of its module docstring, checked one by one and on random text."""

import random

import pytest

from materials.parsing import Page
from medtext.chunking import Chunk, chunk_pages, sentence_spans
from tests.materials import documents


def check_invariants(pages: list[Page], chunks: list[Chunk], *, size: int, overlap: int) -> None:
    """What holds for every input: slices, bounds, order, coverage, overlap bounds."""
    texts = {page.number: page.text for page in pages}
    assert [c.index for c in chunks] == list(range(len(chunks)))
    order = [page.number for page in pages]
    assert [order.index(c.page_number) for c in chunks] == sorted(order.index(c.page_number) for c in chunks)
    for chunk in chunks:
        text = texts[chunk.page_number]
        assert chunk.text == text[chunk.char_start : chunk.char_end]
        assert chunk.char_end > chunk.char_start
        assert chunk.text == chunk.text.strip() and chunk.text
        assert len(chunk.text) <= size
    for page in pages:
        mine = [c for c in chunks if c.page_number == page.number]
        covered = bytearray(len(page.text))
        for chunk in mine:
            covered[chunk.char_start : chunk.char_end] = b"\x01" * (chunk.char_end - chunk.char_start)
        missed = [i for i, ch in enumerate(page.text) if not ch.isspace() and not covered[i]]
        assert not missed, f"page {page.number}: characters {missed[:5]} are in no chunk"
        for before, after in zip(mine, mine[1:], strict=False):
            assert before.char_start < after.char_start and before.char_end < after.char_end
            repeat = max(0, before.char_end - after.char_start)
            assert 0 <= repeat <= 2 * overlap
            assert not page.text[before.char_end : after.char_start].strip(), "a gap between chunks"


def _sentences_page(sentences: list[str], separators: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """Join sentences with the given separators; return the text and each sentence's span."""
    text, spans = "", []
    for sentence, separator in zip(sentences, separators, strict=True):
        text += separator
        spans.append((len(text), len(text) + len(sentence)))
        text += sentence
    return text, spans


# --- The rules, one by one ------------------------------------------------------------------


def test_a_page_shorter_than_size_is_one_chunk():
    page = Page(number=4, text="  Hyperkalemia shows peaked T waves. Give calcium first!\n")

    chunks = chunk_pages([page])

    assert chunks == [
        Chunk(
            index=0,
            page_number=4,
            char_start=2,
            char_end=56,
            text="Hyperkalemia shows peaked T waves. Give calcium first!",
        )
    ]


def test_chunks_never_cross_pages_and_are_numbered_over_the_whole_document():
    pages = [Page(number=n, text=documents.medical_text(random.Random(n), chars=2500)) for n in (1, 2, 5)]

    chunks = chunk_pages(pages, size=600, overlap=120)

    assert {c.page_number for c in chunks} == {1, 2, 5}
    check_invariants(pages, chunks, size=600, overlap=120)


def test_chunks_hold_as_many_whole_sentences_as_fit_and_overlap_by_whole_sentences():
    # Ten sentences of 49 characters, one space apart: sentence k spans [50k, 50k + 49).
    sentences = [f"Sentence {k} is about the heart and its two valves." for k in range(10)]
    text = " ".join(sentences)
    assert {len(s) for s in sentences} == {49}

    chunks = chunk_pages([Page(number=1, text=text)], size=200, overlap=60)

    # Four sentences fit in 200 (199 characters); the next chunk repeats the last one (49
    # characters, the closest to 60 a sentence start allows; two would repeat 99).
    assert [(c.char_start, c.char_end) for c in chunks] == [(0, 199), (150, 349), (300, 499)]


def test_the_repeat_is_the_one_closest_to_overlap_and_on_a_tie_the_longer():
    sentences = [f"Sentence {k} is about the heart and its two valves." for k in range(10)]
    text = " ".join(sentences)

    # 60 is 11 from 49 and 39 from 99: one sentence. 75 is 26 from 49 and 24 from 99: two.
    # 74 is 25 from both 49 and 99: the longer, two.
    for overlap, repeat in ((60, 49), (75, 99), (74, 99), (20, 0)):
        chunks = chunk_pages([Page(number=1, text=text)], size=200, overlap=overlap)
        assert max(0, chunks[0].char_end - chunks[1].char_start) == repeat


def test_without_overlap_chunks_follow_each_other():
    text = documents.medical_text(random.Random(3), chars=5000)
    page = Page(number=1, text=text)

    chunks = chunk_pages([page], size=500, overlap=0)

    check_invariants([page], chunks, size=500, overlap=0)
    assert all(a.char_end < b.char_start for a, b in zip(chunks, chunks[1:], strict=False))


def test_a_sentence_longer_than_size_is_cut_at_word_boundaries():
    long_sentence = " ".join(f"Word{n:03d}" for n in range(100)) + "."  # 800 characters
    text = f"Short one. {long_sentence} Short two."
    page = Page(number=1, text=text)

    chunks = chunk_pages([page], size=100, overlap=20)

    check_invariants([page], chunks, size=100, overlap=20)
    for chunk in chunks:
        start_ok = chunk.char_start == 0 or text[chunk.char_start - 1] == " "
        end_ok = chunk.char_end == len(text) or text[chunk.char_end] == " "
        assert start_ok and end_ok, f"{chunk.text!r} cuts a word"
    assert chunks[0].text == "Short one."


def test_a_word_longer_than_size_is_cut_at_size():
    page = Page(number=1, text="A" * 250)

    chunks = chunk_pages([page], size=100, overlap=10)

    assert [(c.char_start, c.char_end) for c in chunks] == [(0, 100), (100, 200), (200, 250)]


def test_whitespace_only_pages_give_no_chunks():
    pages = [Page(number=1, text=" \n\n\t "), Page(number=2, text=""), Page(number=3, text="One sentence.")]

    chunks = chunk_pages(pages)

    assert [(c.index, c.page_number, c.text) for c in chunks] == [(0, 3, "One sentence.")]


@pytest.mark.parametrize(("size", "overlap"), [(0, 0), (100, 100), (100, -1), (100, 150)])
def test_impossible_sizes_are_refused(size, overlap):
    with pytest.raises(ValueError):
        chunk_pages([Page(number=1, text="Text.")], size=size, overlap=overlap)


def _sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in sentence_spans(text, size=1000)]


def test_sentences_end_at_punctuation_and_paragraph_breaks():
    text = 'Is it MI? Yes! Give aspirin. He said "stop." Then\nwe waited\n\nA heading\n\nThe end...  Really'

    assert _sentences(text) == [
        "Is it MI?",
        "Yes!",
        "Give aspirin.",
        'He said "stop."',
        "Then\nwe waited",
        "A heading",
        "The end...",
        "Really",
    ]


def test_abbreviations_numbers_and_lower_case_words_do_not_end_sentences():
    text = (
        "Dr. Osler saw the pt. with chest pain, e.g. angina vs. MI (see Fig. 2). "
        "Smith et al. found approx. 3.5 g per day, i.e. nephrotic range. "
        "Give fluids etc. and wait.\n1. Aspirin first.\n2. Heparin next."
    )

    assert _sentences(text) == [
        "Dr. Osler saw the pt. with chest pain, e.g. angina vs. MI (see Fig. 2).",
        "Smith et al. found approx. 3.5 g per day, i.e. nephrotic range.",
        "Give fluids etc. and wait.",
        "1. Aspirin first.",
        "2. Heparin next.",
    ]


def test_chunking_is_deterministic():
    pages = [Page(number=1, text=documents.medical_text(random.Random(9), chars=4000))]

    assert chunk_pages(pages, size=400, overlap=80) == chunk_pages(pages, size=400, overlap=80)


# --- Property-style: many random medical texts ----------------------------------------------


def _random_page(rng: random.Random, size: int) -> tuple[str, list[tuple[int, int]]]:
    """Medical sentences with messy whitespace; sometimes one sentence longer than `size`."""
    sentences = [documents.medical_sentence(rng) for _ in range(rng.randint(1, 40))]
    if rng.random() < 0.2:
        words = [
            rng.choice(["renal", "tubular", "acidosis", "type", "IV", "with", "hyperkalemia"]) for _ in range(size)
        ]
        sentences.insert(rng.randrange(len(sentences) + 1), "Overlong " + " ".join(words) + ".")
    separators = [rng.choice(["", " ", "  ", "\n"])] + [
        rng.choice([" ", " ", " ", "  ", "\n", "\n\n", " \n\n  ", "\t"]) for _ in sentences[1:]
    ]
    text, spans = _sentences_page(sentences, separators)
    return text + rng.choice(["", " ", "\n"]), spans


@pytest.mark.parametrize("seed", range(300))
def test_random_medical_texts_follow_every_rule(seed):
    rng = random.Random(seed)
    size = rng.choice([120, 200, 350, 500, 1000, 1500])
    overlap = rng.choice([0, size // 10, size // 5, size // 3, size // 2])
    generated = [_random_page(rng, size) for _ in range(rng.randint(1, 4))]
    pages = [Page(number=n, text=text) for n, (text, _) in enumerate(generated, start=1)]

    chunks = chunk_pages(pages, size=size, overlap=overlap)

    check_invariants(pages, chunks, size=size, overlap=overlap)
    for page, (_, spans) in zip(pages, generated, strict=True):
        mine = [c for c in chunks if c.page_number == page.number]
        if any(end - start > size for start, end in spans):
            continue  # pieces of an over-long sentence: the invariants above are what holds
        starts = [start for start, _ in spans]
        ends = [end for _, end in spans]
        for chunk in mine:
            # Whole sentences, as many as fit.
            assert chunk.char_start in starts and chunk.char_end in ends
            following = ends.index(chunk.char_end) + 1
            assert following == len(spans) or spans[following][1] - chunk.char_start > size
        for before, after in zip(mine, mine[1:], strict=False):
            # The repeat is the sentence start closest to `overlap` (the longer on a tie), among
            # those after the chunk's first that leave room for the first new sentence.
            last = ends.index(before.char_end)
            new_end = spans[last + 1][1]
            candidates = [0] + [
                before.char_end - start
                for start in starts[starts.index(before.char_start) + 1 : last + 1]
                if new_end - start <= size
            ]
            best = min(candidates, key=lambda repeat: (abs(repeat - overlap), -repeat))
            assert max(0, before.char_end - after.char_start) == best
            # Non-empty exactly when the last sentence is short enough and fits with the next one.
            last_len = spans[last][1] - spans[last][0]
            expected = last_len <= 2 * overlap and new_end - spans[last][0] <= size and overlap > 0
            assert (after.char_start < before.char_end) == expected

"""materials.parsing: real files built in code (tests/materials/documents.py), no database."""

import io
import zipfile

import pytest

from materials import parsing
from materials.parsing import (
    FILE_TYPES,
    SECTION_CHARS,
    NoExtractableText,
    Page,
    ParseError,
    UnsupportedFile,
    detect_file_type,
    join_pdf_lines,
    memory_limit,
    normalise_text,
    parse_document,
)
from tests.materials import documents

ACCEPTED_WORDS = ("PDF", ".docx", ".md", ".txt")


def _parse(data: bytes, file_type: str) -> list[Page]:
    return parse_document(io.BytesIO(data), file_type=file_type)


def _detect(data: bytes, filename: str) -> str:
    return detect_file_type(io.BytesIO(data), filename=filename)


def _refusal(data: bytes, filename: str) -> str:
    with pytest.raises(UnsupportedFile) as caught:
        _detect(data, filename)
    message = str(caught.value)
    assert all(word in message for word in ACCEPTED_WORDS), message
    return message


PARAGRAPH_1 = (
    "Dilated cardiomyopathy is a disease of the heart muscle in which the left ventricle is enlarged and "
    "cannot pump blood well. Symptoms include fatigue, swelling of the legs and shortness of breath."
)
PARAGRAPH_2 = (
    "Treatment includes beta-blockers, ACE inhibitors and diuretics; an implantable defibrillator is "
    "considered when the ejection fraction stays below 35 percent despite treatment."
)


# --- PDF ------------------------------------------------------------------------------------


def test_a_pdf_is_read_page_by_page_with_exact_page_numbers():
    pages = _parse(documents.pdf_bytes([f"Page {k} marker" for k in (1, 2, 3)]), "pdf")

    assert pages == [Page(number=k, text=f"Page {k} marker") for k in (1, 2, 3)]


def test_pages_without_text_are_left_out_and_the_others_keep_their_numbers():
    pages = _parse(documents.pdf_bytes(["Page 1 marker", "", "Page 3 marker"]), "pdf")

    assert [(p.number, p.text) for p in pages] == [(1, "Page 1 marker"), (3, "Page 3 marker")]


def test_a_pdf_with_no_text_at_all_has_no_extractable_text():
    with pytest.raises(NoExtractableText) as caught:
        _parse(documents.pdf_bytes(["", ""]), "pdf")

    assert str(caught.value).startswith("no extractable text")
    assert "text layer" in str(caught.value)


def test_wrapped_pdf_lines_become_paragraphs():
    pages = _parse(documents.pdf_bytes([f"Heart failure\n\n{PARAGRAPH_1}\n\n{PARAGRAPH_2}"]), "pdf")

    # The heading and both paragraphs wrap over several visual lines in the PDF.
    assert pages[0].text == f"Heart failure\n\n{PARAGRAPH_1}\n\n{PARAGRAPH_2}"


def test_a_word_hyphenated_at_a_line_end_is_joined_again():
    text = "Dilated cardiomyopathy is a disease of the heart muscle, also called congestive cardio-\nmyopathy."
    pages = _parse(documents.pdf_bytes([text]), "pdf")

    assert "congestive cardiomyopathy." in pages[0].text


def test_pdf_line_joining_rules():
    long = "x" * 60
    assert join_pdf_lines(f"{long} the cardio-\nmyopathy") == f"{long} the cardiomyopathy\n\n"
    assert join_pdf_lines(f"{long} non-\nHodgkin lymphoma") == f"{long} non-Hodgkin lymphoma\n\n"
    # A full line continues; a short one ends its paragraph; a bullet starts a new one.
    assert join_pdf_lines(f"{long}\n{long[:50]}\n{long[:30]}\nnext") == f"{long} {long[:50]} {long[:30]}\n\nnext\n\n"
    assert join_pdf_lines(f"{long}\n• aspirin\n• heparin") == f"{long}\n\n• aspirin\n\n• heparin\n\n"
    # A wider gap than the usual line spacing ends a paragraph, however long its last line.
    heights = [800.0, 785.0, 770.0, 740.0, 725.0]
    assert join_pdf_lines("\n".join([long] * 5), heights) == f"{long} {long} {long}\n\n{long} {long}\n\n"
    # On a page of short lines (a slide), every line is its own paragraph.
    assert join_pdf_lines("Murmurs\nAortic stenosis\nMitral regurgitation") == (
        "Murmurs\n\nAortic stenosis\n\nMitral regurgitation\n\n"
    )


def test_a_pdf_encrypted_with_an_empty_password_is_read():
    pages = _parse(documents.encrypted_pdf_bytes(["Page 1 marker"]), "pdf")

    assert pages == [Page(number=1, text="Page 1 marker")]


def test_a_password_protected_pdf_is_refused():
    data = documents.encrypted_pdf_bytes(["Page 1 marker"], user_password="s3cret")

    with pytest.raises(UnsupportedFile, match="password-protected"):
        _parse(data, "pdf")


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.7\nthis is not a PDF body at all", documents.pdf_bytes(["Page 1 marker"] * 3)[:400]],
    ids=["garbage", "truncated"],
)
def test_a_damaged_pdf_is_refused(data):
    with pytest.raises(UnsupportedFile, match="This PDF is damaged"):
        _parse(data, "pdf")


# --- DOCX -----------------------------------------------------------------------------------


def test_a_docx_is_cut_into_sections_at_headings_with_its_tables_in_place():
    data = documents.docx_bytes(
        [
            ("", ["Notes for the cardiology block."]),
            ("Heart failure", ["Heart failure is common.", "It is treated with diuretics."]),
            ("Arrhythmias", ["Atrial fibrillation is irregularly irregular."]),
        ],
        table=[["Drug", "Dose"], ["Furosemide", "40 mg"]],
        table_in=1,
    )

    pages = _parse(data, "docx")

    assert pages == [
        Page(number=1, text="Notes for the cardiology block.", heading=""),
        Page(
            number=2,
            text="Heart failure is common.\n\nIt is treated with diuretics.\n\nDrug | Dose\nFurosemide | 40 mg",
            heading="Heart failure",
        ),
        Page(number=3, text="Atrial fibrillation is irregularly irregular.", heading="Arrhythmias"),
    ]


def test_a_docx_title_starts_a_section_and_empty_sections_are_not_numbered():
    data = documents.docx_bytes([("Empty heading", []), ("Renal", ["The loop of Henle."])], title="Block 3")

    pages = _parse(data, "docx")

    assert pages == [Page(number=1, text="The loop of Henle.", heading="Renal")]


def test_a_docx_without_text_has_no_extractable_text():
    with pytest.raises(NoExtractableText, match="^no extractable text"):
        _parse(documents.docx_bytes([("", [])]), "docx")


def test_a_damaged_docx_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<not xml")

    with pytest.raises(UnsupportedFile, match="damaged"):
        _parse(buffer.getvalue(), "docx")


W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


@pytest.mark.parametrize(
    "parts",
    [
        {"word/document.xml": "<foo/>"},  # a main part that is not a document
        {"word/document.xml": f"<w:document {W}/>"},  # a document without a body
        {"word/document.xml": f"<w:document {W}><w:body><w:p><w:pPr><w:pStyle/></w:pPr></w:p></w:body></w:document>"},
        {"[Content_Types].xml": None},  # no content types
        {"[Content_Types].xml": "<Types/>"},  # content types that name no main part
        {"word/_rels/document.xml.rels": "<Relationships><Relationship Id='rId1' Target='../../x'/></Relationships>"},
        {"word/document.xml": "<" * 100_000},
        {"word/document.xml": f"<w:document {W}><w:body>" + "<w:p>" * 5000 + "</w:body></w:document>"},
    ],
    ids=[
        "not-a-document",
        "no-body",
        "style-without-id",
        "no-content-types",
        "no-main-part",
        "bad-relationship",
        "not-xml",
        "deep-nesting",
    ],  # fmt: skip
)
def test_a_hostile_or_damaged_docx_of_any_shape_gets_the_damaged_message(parts):
    data = documents.docx_with_parts(parts)
    with pytest.raises(UnsupportedFile, match="^This Word document is damaged|no extractable text"):
        _parse(data, "docx")


def test_a_docx_zip_bomb_is_refused_before_anything_is_inflated():
    data = documents.docx_bomb_bytes(inflated_mb=80)  # over DOCX_MAX_PART_BYTES
    assert len(data) < 2 * 2**20
    with pytest.raises(UnsupportedFile, match="would inflate to more than StudyIn reads from one file") as caught:
        _detect(data, "notes.docx")
    assert "save it again, or export it as PDF" in str(caught.value)
    with pytest.raises(UnsupportedFile, match="would inflate to more than"):
        _parse(data, "docx")


def test_a_docx_compressed_too_tightly_is_refused(monkeypatch):
    monkeypatch.setattr(parsing, "DOCX_MAX_PART_BYTES", 2**30)
    monkeypatch.setattr(parsing, "DOCX_MAX_TOTAL_BYTES", 2**30)
    with pytest.raises(UnsupportedFile, match="compressed too tightly"):
        _detect(documents.docx_bomb_bytes(inflated_mb=20), "notes.docx")


def test_a_docx_with_too_many_parts_is_refused(monkeypatch):
    monkeypatch.setattr(parsing, "DOCX_MAX_PARTS", 20)
    parts = {f"word/media/image{i}.png": b"x" for i in range(30)}
    with pytest.raises(UnsupportedFile, match="parts"):
        _detect(documents.docx_with_parts(parts), "notes.docx")


def test_a_docx_part_that_inflates_past_what_it_declares_is_refused():
    data = bytearray(documents.docx_bomb_bytes(inflated_mb=2))
    # Lower the declared size of word/document.xml in its local and central headers: inflating
    # it really gives more than it says (the CRC check catches it), and it must not be read.
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("word/document.xml")
    real = info.file_size.to_bytes(8, "little")
    assert data.count(real) >= 1
    data = bytes(data).replace(real, (1000).to_bytes(8, "little"))
    with pytest.raises(UnsupportedFile, match="damaged"):
        _detect(data, "notes.docx")


def test_parsing_is_bounded_in_memory(monkeypatch):
    monkeypatch.setattr(parsing, "DOCX_MAX_RATIO", 10**6)
    data = documents.docx_bomb_bytes(inflated_mb=30)  # within the size limits; lxml needs ~10x that
    with pytest.raises(ParseError, match="needs more than the 64 MB of memory StudyIn allows one file"):
        with memory_limit(64 * 2**20):
            _parse(data, "docx")
    with memory_limit(64 * 2**20):  # the limit is lifted again afterwards
        pass
    assert _parse(documents.docx_bytes([("Renal", ["The loop of Henle."])]), "docx")


def test_a_long_docx_section_is_cut_at_paragraphs_and_keeps_its_heading():
    paragraphs = [f"Paragraph {n}. " + "The nephron filters plasma. " * 30 for n in range(8)]

    pages = _parse(documents.docx_bytes([("Renal", paragraphs)]), "docx")

    assert len(pages) > 1
    assert [p.number for p in pages] == list(range(1, len(pages) + 1))
    assert {p.heading for p in pages} == {"Renal"}
    assert all(len(p.text) <= SECTION_CHARS for p in pages)
    assert "\n\n".join(p.text for p in pages) == "\n\n".join(p.strip() for p in paragraphs)


# --- Markdown and plain text ----------------------------------------------------------------


def test_markdown_is_cut_into_sections_at_headings_with_light_markup_removed():
    data = (
        b"Intro with **bold**, _emphasis_ and a [link](https://example.org/x).\n\n"
        b"# Heart failure\n\n"
        b"Give `furosemide` for *congestion*; keep snake_case_names.\n\n"
        b"```\n# a comment, not a heading\n```\n\n"
        b"## Arrhythmias ##\n\n"
        b"#### Atrial fibrillation\n\n"
        b"> Irregularly irregular.\n\n"
        b"- rate control\n- anticoagulation\n"
    )

    pages = _parse(data, "markdown")

    assert pages == [
        Page(number=1, text="Intro with bold, emphasis and a link.", heading=""),
        Page(
            number=2,
            text="Give furosemide for congestion; keep snake_case_names.\n\n# a comment, not a heading",
            heading="Heart failure",
        ),
        Page(
            number=3,
            text="Atrial fibrillation\n\nIrregularly irregular.\n\n- rate control\n- anticoagulation",
            heading="Arrhythmias",
        ),
    ]


def test_markdown_builder_round_trips():
    data = documents.markdown_bytes([("", ["Preface."]), ("Renal", ["One."]), ("Liver", ["Two.", "Three."])])

    assert [(p.heading, p.text) for p in _parse(data, "markdown")] == [
        ("", "Preface."),
        ("Renal", "One."),
        ("Liver", "Two.\n\nThree."),
    ]


def test_plain_text_with_form_feeds_is_read_as_pages_numbered_like_pdf_pages():
    pages = _parse(documents.text_bytes("Page 1 marker\fPage 2 marker\f \fPage 4 marker"), "text")

    assert [(p.number, p.text) for p in pages] == [(1, "Page 1 marker"), (2, "Page 2 marker"), (4, "Page 4 marker")]


def test_plain_text_without_form_feeds_is_cut_into_sections_at_paragraphs():
    paragraphs = [f"Paragraph {n}: " + "Potassium shifts into cells with insulin. " * 8 for n in range(40)]
    text = "\n\n".join(p.strip() for p in paragraphs)

    pages = _parse(documents.text_bytes(text), "text")

    assert [p.number for p in pages] == list(range(1, len(pages) + 1))
    assert all(SECTION_CHARS / 2 < len(p.text) <= SECTION_CHARS for p in pages[:-1])
    assert all(p.text.startswith("Paragraph") for p in pages)
    assert "\n\n".join(p.text for p in pages) == text


@pytest.mark.parametrize(
    "data",
    [
        documents.text_bytes("Hyponatrémie: corrige lentement."),
        documents.text_bytes("Hyponatrémie: corrige lentement.", bom=True),
        documents.text_bytes("Hyponatrémie: corrige lentement.", encoding="utf-16"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16"],
)
def test_text_is_decoded_from_utf8_or_utf16(data):
    assert _detect(data, "notes.txt") == "text"
    assert _parse(data, "text") == [Page(number=1, text="Hyponatrémie: corrige lentement.")]


@pytest.mark.parametrize("file_type", ["text", "markdown"])
def test_an_empty_text_file_has_no_extractable_text(file_type):
    with pytest.raises(NoExtractableText, match="^no extractable text"):
        _parse(b" \n\n \n", file_type)


NOTES = "Hyponatrémie: corrige lentement. Furosemide – a loop diuretic – costs 5 €."


@pytest.mark.parametrize(
    "data",
    [
        NOTES.encode("utf-16-le"),  # no byte-order mark
        NOTES.encode("utf-16-be"),
        "\ufeff".encode("utf-32-le") + NOTES.encode("utf-32-le"),
        ("\ufeff" + NOTES).encode("utf-16-le").replace(b"\n", b"\r\x00\n"),  # Notepad: BOM, CRLF
        NOTES.encode("cp1252"),  # Windows "ANSI"
    ],
    ids=["utf-16-le-no-bom", "utf-16-be-no-bom", "utf-32", "notepad-utf-16", "windows-1252"],
)
def test_text_is_read_in_the_encodings_students_files_come_in(data):
    assert _detect(data, "notes.txt") == "text"
    assert _parse(data, "text") == [Page(number=1, text=NOTES)]


@pytest.mark.parametrize("ending", ["é", "è", "à", "ç"])
def test_windows_1252_text_ending_in_an_accent_is_read(ending):
    data = f"Notes on the caf{ending}".encode("cp1252")
    assert _detect(data, "notes.txt") == "text"
    assert _parse(data, "text")[0].text == f"Notes on the caf{ending}"


@pytest.mark.parametrize(
    "note",
    [
        "# Anatomy\n\nNerves of the <head and neck> region: the vagus <body of text> continues.",
        "Na<sup>+</sup> reabsorption<br>\n\nSee <script-free> notes.",
    ],
)
def test_notes_with_a_tag_like_phrase_are_not_web_pages(note):
    assert _detect(note.encode(), "notes.md") == "markdown" or _detect(note.encode(), "notes.md") == "text"


def test_latin1_text_is_read_as_windows_1252():
    assert _parse("Hyponatrémie à corriger".encode("latin-1"), "text") == [
        Page(number=1, text="Hyponatrémie à corriger")
    ]


def test_stray_nul_bytes_are_dropped_rather_than_refusing_the_file():
    data = b"Digoxin inhibits\x00 the Na-K ATPase.\x00\n\nIt has a narrow therapeutic index."
    assert _detect(data, "notes.txt") == "text"
    assert [p.text for p in _parse(data, "text")] == [
        "Digoxin inhibits the Na-K ATPase.\n\nIt has a narrow therapeutic index."
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_binary_data_is_not_read_as_text_in_any_encoding(seed):
    import random

    data = random.Random(seed).randbytes(4096)
    assert "not a document" in _refusal(data, "notes.txt")


def test_parse_document_also_takes_the_mime_type():
    assert _parse(b"Plain notes.", FILE_TYPES["text"]) == [Page(number=1, text="Plain notes.")]


def test_normalisation():
    raw = "  The \ufb01rst  dose\u00a0of\tinsu\u00adlin.\x00 \r\nNext line.\n\n\n\nNew paragraph.  "
    assert normalise_text(raw) == "The first dose of insulin.\nNext line.\n\nNew paragraph."


# --- Detection ------------------------------------------------------------------------------


def test_a_pdf_or_docx_is_detected_by_content_when_the_name_says_nothing():
    assert _detect(documents.pdf_bytes(["Page 1 marker"]), "notes") == "pdf"
    assert _detect(documents.docx_bytes([("Renal", ["The loop of Henle."])]), "notes.bin") == "docx"


@pytest.mark.parametrize(
    ("data", "name", "says"),
    [
        (documents.pdf_bytes(["Page 1 marker"]), "notes.txt", "named “notes.txt” but it is a PDF inside"),
        (documents.docx_bytes([("Renal", ["The loop of Henle."])]), "x.pdf", "a Word document inside, not a PDF"),
        (b"Plain notes on the kidney.", "renal.docx", "plain text inside, not a Word document"),
        (b"Plain notes on the kidney.", "renal.pdf", "plain text inside, not a PDF"),
    ],
)
def test_a_file_whose_content_contradicts_its_name_is_refused(data, name, says):
    assert says in _refusal(data, name)


@pytest.mark.parametrize("name", ["lecture.pdf", "lecture.html", "lecture.txt", "lecture"])
@pytest.mark.parametrize(
    "page",
    [
        "<html><script>alert(document.cookie)</script><body>Beta blockers</body></html>",
        "<!DOCTYPE html>\n<html lang=en><head><title>Cardio</title></head><body><p>Notes</p></body></html>",
        "\n\n  <script src=//evil.example/x.js></script>Notes on heart failure",
    ],
)
def test_a_web_page_is_refused_under_any_name(page, name):
    assert "web page (HTML)" in _refusal(page.encode(), name)


def test_markdown_with_inline_html_tags_is_still_markdown():
    assert _detect(b"# Renal\n\nNa<sup>+</sup> and K<sub>2</sub><br>reabsorption.", "renal.md") == "markdown"


@pytest.mark.parametrize(
    ("data", "name", "says"),
    [
        (documents.png_bytes(), "scan.pdf", "PNG image"),
        (documents.jpeg_bytes(), "scan.pdf", "JPEG image"),
        (documents.EXE_BYTES, "notes.pdf", "program"),
        (documents.OLD_DOC_BYTES, "notes.doc", "save it as .docx"),
        (documents.OLD_DOC_BYTES, "notes.bin", "save it as .docx"),
        (b"{\\rtf1\\ansi Cardiology notes}", "notes.rtf", "RTF"),
        (b"\x00\x01\x02\x03binary", "notes.txt", "not a document"),
    ],
    ids=["png", "jpeg", "exe", "doc", "doc-misnamed", "rtf", "binary"],
)
def test_files_that_are_not_study_material_are_refused_saying_what_is_accepted(data, name, says):
    assert says in _refusal(data, name)


def test_other_office_zip_files_are_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")

    assert "Excel" in _refusal(buffer.getvalue(), "grades.docx")
    assert "damaged" in _refusal(b"PK\x03\x04 not really a zip", "notes.docx")


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        ("Just notes.\n- a dash list\n- is not enough", "notes.txt", "text"),
        ("Just notes.", "notes.md", "markdown"),
        ("Just notes.", "notes.MARKDOWN", "markdown"),
        ("# Cardiology\n\nNotes.", "notes.txt", "markdown"),
        ("See [the guideline](https://example.org/hf).", "notes", "markdown"),
        ("```\ncode\n```", "notes", "markdown"),
        ("#hashtag is not a heading", "notes", "text"),
        ("", "empty.txt", "text"),
    ],
)
def test_markdown_and_plain_text_are_told_apart(text, name, expected):
    assert _detect(text.encode(), name) == expected


def test_detection_leaves_the_file_at_its_start():
    for data in (documents.pdf_bytes(["Page 1 marker"]), documents.docx_bytes([("A", ["b"])]), b"notes"):
        file = io.BytesIO(data)
        file.seek(3)
        detect_file_type(file, filename="x")
        assert file.tell() == 0

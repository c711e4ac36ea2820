"""Item checks (questions/generation/checks.py), on the failing questions a medical educator
found in StudyIn's generated questions, as fixtures. No database."""

import pytest

from questions.generation import DraftQuestion, SourceChunk
from questions.generation.checks import FLAG_PENALTY, MaterialText, check_draft, screen
from tests.questions.test_generation import WordEmbedder

HFREF = "Spironolactone reduces mortality in heart failure with reduced ejection fraction."


def _draft(vignette: str, options: list[str], correct: int = 0, *, quote: str = "", score: float = 0.9):
    return DraftQuestion(
        vignette=vignette,
        options=options,
        correct_index=correct,
        option_rationales=[f"About {o}." for o in options],
        explanation="Because the notes say so.",
        pathophysiology="",
        clinical_relevance="",
        topic="Pharmacology",
        subtopic="",
        difficulty="medium",
        quality_score=score,
        references=[{"page": 1, "heading": "", "quote": quote, "chunk_id": "c1"}] if quote else [],
        source_chunk_id="c1",
    )


def _material(*sentences: str) -> MaterialText:
    return MaterialText.of([SourceChunk(id=f"c{i}", text=s, page_number=i) for i, s in enumerate(sentences, 1)])


def _checks(draft, *sentences) -> dict[str, str]:
    return {f.check: f.message for f in check_draft(draft, _material(*sentences))}


HF_VIGNETTE = (
    "A 64-year-old man with heart failure and an ejection fraction of 30% comes for follow-up. "
    "Adding which of the following drugs is most likely to reduce his mortality?"
)


@pytest.mark.parametrize(
    "other",
    [
        "Enalapril reduces mortality in heart failure with reduced ejection fraction too.",
        "ACE inhibitors such as enalapril also reduce mortality in heart failure with reduced ejection fraction.",
    ],
)
def test_a_distractor_the_notes_say_the_same_of_is_a_second_right_answer(other):
    draft = _draft(HF_VIGNETTE, ["Spironolactone", "Enalapril", "Digoxin", "Amlodipine", "Verapamil"], quote=HFREF)
    found = _checks(draft, HFREF, other, "Digoxin relieves symptoms without a mortality benefit.")
    assert "two_answers" in found and "Enalapril" in found["two_answers"] and "p. 2" in found["two_answers"]


def test_a_distractor_the_notes_say_something_else_of_is_fine():
    draft = _draft(HF_VIGNETTE, ["Spironolactone", "Enalapril", "Digoxin", "Amlodipine", "Verapamil"], quote=HFREF)
    found = _checks(draft, HFREF, "Enalapril causes a dry cough by raising bradykinin.")
    assert "two_answers" not in found


@pytest.mark.parametrize(
    ("options", "offered"),
    [
        (["Hydrochlorothiazide", "Chlorthalidone", "Furosemide", "Spironolactone", "Acetazolamide"], "Chlorthalidone"),
        (
            ["Nonsteroidal anti-inflammatory drug", "COX-2 inhibitor", "Opioid analgesic", "Triptan", "Statin"],
            "COX-2 inhibitor",
        ),
        (["Ibuprofen", "Celecoxib", "Morphine", "Acetaminophen", "Sumatriptan"], "Celecoxib"),
    ],
    ids=["two-thiazides", "class-and-subclass", "nsaid-and-cox2"],
)
def test_two_drugs_of_one_class_or_a_drug_and_its_class_are_two_right_answers(options, offered):
    draft = _draft(
        "A 58-year-old woman starts a new medication. Which of the following was most likely given?", options
    )
    assert offered in _checks(draft).get("two_answers", "")


def test_an_option_inside_another_is_two_right_answers():
    draft = _draft(
        "A 45-year-old man on lisinopril has swelling of the lips and tongue. Which of the following is the most "
        "likely diagnosis?",
        ["Angioedema", "Hereditary angioedema", "Anaphylaxis", "Urticaria", "Contact dermatitis"],
    )
    assert "contains “Angioedema”" in _checks(draft)["option_contains_option"]


def test_a_stem_that_states_the_answer_gives_it_away():
    draft = _draft(
        "A 60-year-old woman with hypertension is started on a medication that blocks L-type calcium channels. "
        "Which of the following drug classes does it belong to?",
        ["Calcium channel blocker", "Beta blocker", "ACE inhibitor", "Thiazide diuretic", "Alpha-1 blocker"],
    )
    assert "answer_in_stem" in _checks(draft)


def test_a_stem_naming_the_answer_gives_it_away():
    draft = _draft(
        "A 55-year-old man takes furosemide for edema. Which of the following drugs did he start?",
        ["Furosemide", "Mannitol", "Acetazolamide", "Spironolactone", "Hydrochlorothiazide"],
    )
    assert "names the answer" in _checks(draft)["answer_in_stem"]


@pytest.mark.parametrize(
    "vignette",
    [
        "A 50-year-old man needs a drug classs for angina. Which of the following is best?",
        "A 50-year-old man has has angina. Which of the following is best?",
        "A 50-year-old man has angina (stable. Which of the following is best?",
        "A 50-year-old man has angina. which of the following is best?",
    ],
    ids=["tripled-letter", "repeated-word", "bracket", "lower-case"],
)
def test_ungrammatical_text_is_malformed(vignette):
    draft = _draft(vignette, ["Beta blocker", "Nitrate", "Statin", "ACE inhibitor", "Calcium channel blocker"])
    assert "malformed" in _checks(draft)


def test_a_vignette_without_a_question_has_no_lead_in():
    draft = _draft(
        "A 50-year-old man has stable angina and takes a beta blocker.",
        ["Beta blocker", "Nitrate", "Statin", "ACE inhibitor", "Calcium channel blocker"],
    )
    assert "no_lead_in" in _checks(draft)


def test_distractors_from_other_fields_are_heterogeneous():
    draft = _draft(
        "A 62-year-old woman with stable angina needs a drug that relaxes vascular smooth muscle. Which of the "
        "following is most appropriate?",
        ["Nifedipine", "Combined oral contraceptive", "Finasteride", "Letrozole", "Hydralazine"],
    )
    assert "Distractors from other fields" in _checks(draft)["heterogeneous_options"]


def test_options_of_different_kinds_are_heterogeneous():
    draft = _draft(
        "A 62-year-old woman has exertional chest pain. Which of the following is most appropriate?",
        ["Metoprolol", "Stable angina", "ACE inhibitor", "Nitroglycerin", "Aspirin"],
    )
    assert "not all of one kind" in _checks(draft)["heterogeneous_options"]


def test_a_direct_question_is_flagged_as_recall_and_still_saved():
    draft = _draft(
        "Which of the following is a diuretic that acts on the thick ascending limb?",
        ["Furosemide", "Mannitol", "Acetazolamide", "Spironolactone", "Hydrochlorothiazide"],
    )
    kept = screen([draft], chunks=[], embedder=WordEmbedder(), existing_vignettes=[], max_questions=5, reasons={})
    assert kept == [draft]
    assert draft.quality_reasons == ["A direct question, not a clinical vignette."]
    assert draft.quality_score == pytest.approx(0.9 - FLAG_PENALTY)


def test_a_fair_question_passes_every_check():
    draft = _draft(
        HF_VIGNETTE, ["Spironolactone", "Digoxin", "Amlodipine", "Verapamil", "Hydralazine"], quote=HFREF, score=0.9
    )
    assert _checks(draft, HFREF, "Digoxin relieves symptoms without a mortality benefit.") == {}


def test_screening_drops_what_fails_counts_why_and_keeps_one_of_two_patients():
    fair = _draft(HF_VIGNETTE, ["Spironolactone", "Digoxin", "Amlodipine", "Verapamil", "Hydralazine"], quote=HFREF)
    same_for_a_woman = _draft(
        HF_VIGNETTE.replace("64-year-old man", "71-year-old woman").replace("his", "her"),
        ["Spironolactone", "Digoxin", "Amlodipine", "Verapamil", "Hydralazine"],
        quote=HFREF,
        score=0.8,
    )
    two_answers = _draft(HF_VIGNETTE, ["Hydrochlorothiazide", "Chlorthalidone", "Furosemide", "Mannitol", "Digoxin"])
    reasons: dict[str, int] = {}
    chunks = [SourceChunk(id="c1", text=HFREF, page_number=1)]
    kept = screen(
        [fair, same_for_a_woman, two_answers], chunks=chunks, embedder=WordEmbedder(), existing_vignettes=[],
        max_questions=10, reasons=reasons,
    )  # fmt: skip
    assert kept == [fair]
    assert reasons == {"duplicate": 1, "two_answers": 1}


ASD = "Atrial septal defect causes a wide, fixed splitting of S2."
ASD_VIGNETTE = (
    "A 30-year-old woman is found to have a wide, fixed splitting of S2 on examination. "
    "Which of the following is the most likely diagnosis?"
)
MURMURS = [
    "Atrial septal defect",
    "Aortic stenosis",
    "Ventricular septal defect",
    "Patent ductus arteriosus",
    "Mitral stenosis",
]


def test_a_sentence_contrasting_the_answer_with_a_distractor_is_no_second_answer():
    draft = _draft(ASD_VIGNETTE, MURMURS, quote=ASD)
    contrast = "In atrial septal defect, the splitting of S2 is fixed, whereas in aortic stenosis it is paradoxical."
    other_claim = (
        "Aortic stenosis causes a crescendo-decrescendo systolic murmur, and the splitting of S2 may be paradoxical."
    )
    assert _checks(draft, ASD, contrast, other_claim) == {}


def test_the_same_finding_said_of_a_distractor_is_a_second_answer():
    draft = _draft(ASD_VIGNETTE, MURMURS, quote=ASD)
    found = _checks(draft, ASD, "Aortic stenosis also causes a wide, fixed splitting of S2.")
    assert "Aortic stenosis" in found["two_answers"]

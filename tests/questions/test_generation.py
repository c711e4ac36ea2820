import hashlib
import json
import re
import socket

import numpy as np
import pytest

from medtext.vocabulary import entry_for, find_terms
from questions.generation import (
    DraftQuestion,
    GenerationError,
    LLMGenerator,
    OfflineGenerator,
    SourceChunk,
    TransientGenerationError,
    get_generator,
    validate_draft,
)
from questions.generation.facts import Sentence, facts_in
from tests.fake_openai import FakeOpenAI


class WordEmbedder:
    """A small deterministic stand-in for the real embedder: a hashed bag of words, unit length.
    Texts sharing most of their words come out close, as with a real model."""

    name = "test-words"
    dimensions = 512

    def __init__(self):
        self.calls = 0

    def embed(self, texts):
        self.calls += 1
        vectors = []
        for text in texts:
            vector = np.zeros(self.dimensions)
            for word in re.findall(r"[a-z]+", text.lower()):
                vector[int(hashlib.sha256(word.encode()).hexdigest(), 16) % self.dimensions] += 1.0
            vectors.append((vector / (np.linalg.norm(vector) or 1.0)).tolist())
        return vectors


ANGINA = "The first-line treatment for stable angina is a beta blocker."
METFORMIN = "Metformin works by decreasing hepatic gluconeogenesis."
ADDISON = "Addison disease is caused by autoimmune destruction of the adrenal cortex."

CHUNKS = [
    SourceChunk(
        id="c1",
        text=f"Stable angina presents with chest pain on exertion that is relieved by rest. {ANGINA} "
        "Sublingual nitroglycerin relieves an acute attack.",
        page_number=3,
    ),
    SourceChunk(
        id="c2",
        text=f"{METFORMIN} The first-line treatment for type 2 diabetes mellitus is metformin.",
        page_number=7,
    ),
    SourceChunk(
        id="c3",
        text=f"{ADDISON} Addison disease presents with fatigue, weight loss, hypotension and hyperpigmentation.",
        page_number=12,
    ),
    SourceChunk(
        id="c4",
        text="Tuberculosis is caused by Mycobacterium tuberculosis. Amiodarone can cause pulmonary fibrosis "
        "and thyroid dysfunction. Atrial fibrillation is a supraventricular arrhythmia with an irregularly "
        "irregular rhythm. Glipizide and pioglitazone are added when glycemic targets are missed.",
        page_number=20,
    ),
]


def _generate(chunks=CHUNKS, *, embedder=None, max_questions=30, existing=()):
    generator = OfflineGenerator(embedder=embedder or WordEmbedder())
    return generator.generate(chunks=chunks, topic=None, max_questions=max_questions, existing_vignettes=existing)


def _question_from(result, sentence):
    return next(q for q in result.questions if q.references[0]["quote"] == sentence)


def _draft(**changes) -> DraftQuestion:
    fields = {
        "vignette": "A 60-year-old man has stable angina. Which of the following is first-line?",
        "options": ["Beta blocker", "Nitrate", "Statin", "ACE inhibitor", "Loop diuretic"],
        "correct_index": 0,
        "option_rationales": ["Correct.", "No.", "No.", "No.", "No."],
        "explanation": "Beta blockers are first-line.",
        "pathophysiology": "",
        "clinical_relevance": "",
        "topic": "Cardiology",
        "subtopic": "Treatment",
        "difficulty": "medium",
        "quality_score": 0.5,
        "references": [],
        "source_chunk_id": "c1",
    }
    return DraftQuestion(**(fields | changes))


# --- validate_draft --------------------------------------------------------------------------------


def test_a_complete_draft_is_valid():
    assert validate_draft(_draft()) == []


@pytest.mark.parametrize(
    "changes",
    [
        {"vignette": "  "},
        {"options": ["A", "B", "C", "D"], "option_rationales": ["r"] * 4},
        {"options": ["Beta blocker", " beta  BLOCKER ", "Statin", "ACE inhibitor", "Loop diuretic"]},
        {"correct_index": 5},
        {"correct_index": -1},
        {"option_rationales": ["Correct.", "No.", "", "No.", "No."]},
        {"option_rationales": ["Correct."]},
        {"explanation": ""},
        {"difficulty": "impossible"},
        {"quality_score": 1.5},
    ],
)
def test_an_incomplete_or_contradictory_draft_is_invalid(changes):
    assert validate_draft(_draft(**changes)) != []


# --- Facts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "kind", "answer", "clue"),
    [
        (ANGINA, "treatment", "beta blocker", ""),
        ("Metformin is first-line for type 2 diabetes mellitus.", "treatment", "metformin", ""),
        ("The drug of choice for absence seizures is ethosuximide.", "treatment", "ethosuximide", ""),
        (
            "Lisinopril inhibits angiotensin-converting enzyme.",
            "mechanism",
            "lisinopril",
            "inhibits angiotensin-converting enzyme",
        ),
        (
            "Beta blockers block beta-1 adrenergic receptors and reduce heart rate.",
            "mechanism",
            "beta blocker",
            "blocks beta-1 adrenergic receptors and reduces heart rate",
        ),
        (
            "Furosemide acts on the thick ascending limb of the loop of Henle.",
            "mechanism",
            "furosemide",
            "acts on the thick ascending limb of the loop of Henle",
        ),
        (
            "The most common cause of community-acquired pneumonia is Streptococcus pneumoniae.",
            "organism",
            "Streptococcus pneumoniae",
            "",
        ),
        (  # the organism with who gets it: the stem's patient has chronic gastritis
            "Helicobacter pylori causes peptic ulcer disease in patients with chronic gastritis.",
            "organism",
            "Helicobacter pylori",
            "peptic ulcer disease",
        ),
        (ADDISON, "diagnosis", "Addison disease", "autoimmune destruction of the adrenal cortex"),
        (
            "Patients with Graves disease present with heat intolerance, weight loss and exophthalmos.",
            "diagnosis",
            "Graves disease",
            "heat intolerance, weight loss and exophthalmos",
        ),
        (
            "Amiodarone is associated with pulmonary fibrosis and hypothyroidism.",
            "adverse",
            "amiodarone",
            "pulmonary fibrosis and hypothyroidism",
        ),
        (
            "Aspirin is an antiplatelet agent that irreversibly inhibits cyclooxygenase.",
            "definition",
            "aspirin",
            "an antiplatelet agent that irreversibly inhibits cyclooxygenase",
        ),
    ],
)
def test_facts_are_read_from_sentences_of_known_shapes(sentence, kind, answer, clue):
    fact = facts_in(Sentence(text=sentence, chunk=CHUNKS[0], order=0))

    assert (fact.kind, fact.answer.term, fact.clue) == (kind, answer, clue)


@pytest.mark.parametrize(
    "sentence",
    [
        "Beta blockers are not the first-line treatment for Prinzmetal angina.",
        "ACE inhibitors are preferred in patients with diabetes.",  # about hypertension in diabetics
        "Hypertension is a major risk factor for stroke.",  # many answers fit
        "Is metformin the first-line treatment for type 2 diabetes mellitus?",
        "The heart is an organ.",
        "Warfarin is monitored with the INR.",
        "Helicobacter pylori causes peptic ulcer disease.",  # one cause of several, nothing to tell it by
        "Listeria also causes neonatal meningitis.",
        # The term modifies the subject: TSH does not activate orbital fibroblasts, opioids do not
        # cause diarrhea.
        "TSH-receptor antibodies also activate orbital fibroblasts, which lay down glycosaminoglycans.",
        "Opioid withdrawal causes diarrhea, mydriasis and piloerection.",
    ],
)
def test_sentences_that_state_no_single_answerable_fact_give_none(sentence):
    assert facts_in(Sentence(text=sentence, chunk=CHUNKS[0], order=0)) is None


# --- Offline generator -----------------------------------------------------------------------------


def test_offline_drafts_are_valid_nbme_style_items():
    result = _generate()

    assert len(result.questions) >= 6
    for question in result.questions:
        assert validate_draft(question) == []
        assert len(question.options) == 5
        assert len({o.casefold() for o in question.options}) == 5
        assert question.difficulty in {"easy", "medium", "hard", "nbme"}
        assert 0.0 <= question.quality_score <= 1.0
        # The stem never names the answer.
        assert entry_for(question.answer) not in {m.entry for m in find_terms(question.vignette)}


def test_the_answer_comes_from_the_source_sentence_which_the_explanation_quotes_with_its_page():
    result = _generate()

    for question in result.questions:
        source = question.references[0]
        chunk = next(c for c in CHUNKS if c.id == question.source_chunk_id)
        assert source["quote"] in chunk.text
        assert source["page"] == chunk.page_number
        assert f"p. {chunk.page_number}: “{source['quote']}”" in question.explanation
        answer = entry_for(question.answer)
        assert answer in {m.entry for m in find_terms(source["quote"])}
        assert question.option_rationales[question.correct_index].startswith(
            "Correct."
        )  # the quote is in the explanation

    angina = _question_from(result, ANGINA)
    assert angina.answer == "Beta blocker"
    assert "stable angina" in angina.vignette
    assert angina.vignette.endswith("Which of the following drug classes is the most appropriate first-line treatment?")
    assert angina.topic == "Cardiology"
    metformin = _question_from(result, METFORMIN)
    assert metformin.answer == "Metformin"
    assert "works by decreasing hepatic gluconeogenesis" in metformin.vignette
    addison = _question_from(result, ADDISON)
    assert addison.answer == "Addison disease"
    assert "autoimmune destruction of the adrenal cortex" in addison.vignette


def test_distractors_are_terms_of_the_answers_category():
    result = _generate()

    for question in result.questions:
        categories = {entry_for(option).category for option in question.options}
        assert categories == {entry_for(question.answer).category}
    # The student's own material is preferred: another chunk names glipizide and pioglitazone.
    metformin = _question_from(result, METFORMIN)
    assert {"Glipizide", "Pioglitazone"} <= set(metformin.options)


def test_another_answer_the_material_gives_to_the_same_question_is_never_a_distractor():
    chunks = [
        SourceChunk(id="h1", text="The first-line treatment for hypertension is a thiazide diuretic.", page_number=1),
        SourceChunk(id="h2", text="The first-line treatment for hypertension is an ACE inhibitor.", page_number=2),
        SourceChunk(id="h3", text="Stable angina presents with chest pain on exertion.", page_number=3),
        SourceChunk(id="h4", text="Unstable angina presents with chest pain at rest.", page_number=4),
    ]

    result = _generate(chunks)

    thiazide = _question_from(result, chunks[0].text)
    assert "ACE inhibitor" not in thiazide.options
    # Different questions: the other condition is a fine (and the closest) distractor.
    stable = _question_from(result, chunks[2].text)
    assert "Unstable angina" in stable.options


def test_a_question_combining_two_sentences_cites_both():
    addison = _question_from(_generate(), ADDISON)

    assert "fatigue, weight loss, hypotension and hyperpigmentation" in addison.vignette
    assert addison.difficulty == "nbme"
    assert [r["page"] for r in addison.references] == [12, 12]
    assert len({r["quote"] for r in addison.references}) == 2


def test_the_same_input_gives_the_same_questions():
    assert _generate() == _generate()


def test_a_near_duplicate_chunk_yields_no_second_question():
    again = SourceChunk(
        id="c5", text="The first-line treatment for stable angina is usually a beta blocker.", page_number=30
    )

    first = _generate()
    second = _generate([*CHUNKS, again])

    assert len(second.questions) == len(first.questions)
    assert second.reasons["duplicate"] == first.reasons.get("duplicate", 0) + 1
    assert second.dropped == first.dropped + 1
    assert [q.answer for q in second.questions].count("Beta blocker") == 1


def test_a_sentence_repeated_by_overlapping_chunks_is_asked_once():
    overlap = SourceChunk(id="c1b", text=ANGINA, page_number=3)

    result = _generate([*CHUNKS, overlap])

    assert [q.references[0]["quote"] for q in result.questions].count(ANGINA) == 1
    assert result.reasons["duplicate"] >= 1


def test_existing_vignettes_suppress_repeats():
    first = _generate()

    again = _generate(existing=[q.vignette for q in first.questions])

    assert again.questions == []
    assert again.reasons["duplicate"] == len(first.questions) + first.reasons.get("duplicate", 0)


def test_max_questions_keeps_the_best():
    everything = _generate()

    best = _generate(max_questions=2)

    assert best.questions == sorted(everything.questions, key=lambda q: -q.quality_score)[:2]


def test_section_headings_are_cited_where_there_are_no_pages():
    chunk = SourceChunk(id="d1", text=ANGINA, page_number=1, heading="Chronic coronary syndromes")

    (question,) = _generate([chunk]).questions

    assert "Source, section “Chronic coronary syndromes”: “" in question.explanation
    assert question.references == [
        {"page": 1, "heading": "Chronic coronary syndromes", "quote": ANGINA, "chunk_id": "d1"}
    ]


def test_negated_and_hedged_sentences_give_no_questions():
    chunks = [
        SourceChunk(
            id="n1", text="Beta blockers are not the first-line treatment for Prinzmetal angina.", page_number=1
        ),
        SourceChunk(id="n2", text="The weather was pleasant and the train left on time.", page_number=2),
    ]
    assert _generate(chunks).questions == []


def test_offline_questions_with_the_real_embedder():
    embeddings = pytest.importorskip("medtext.embeddings", reason="medtext/embeddings.py is not there yet")
    embedder = embeddings.get_embedder()

    result = _generate(embedder=embedder)
    near_duplicate = SourceChunk(
        id="c5", text="The first-line treatment for stable angina is usually a beta blocker.", page_number=30
    )
    with_repeat = _generate([*CHUNKS, near_duplicate], embedder=embedder)

    assert len(result.questions) >= 6
    assert all(validate_draft(q) == [] for q in result.questions)
    assert len(with_repeat.questions) == len(result.questions)
    assert with_repeat.reasons["duplicate"] == result.reasons.get("duplicate", 0) + 1
    # Distractors are the answer's peers, not words spelled alike.
    assert {"Calcium channel blocker", "Angiotensin receptor blocker"} & set(_question_from(result, ANGINA).options)
    assert _generate(embedder=embedder, existing=[q.vignette for q in result.questions]).questions == []


# --- LLM generator ---------------------------------------------------------------------------------


def _llm_question(**changes) -> dict:
    question = {
        "vignette": "A 62-year-old man has chest pain on exertion relieved by rest. An ECG at rest is normal. "
        "Which of the following is the most appropriate first-line treatment?",
        "options": [
            {"text": "Beta blocker", "correct": True, "rationale": "First-line for stable angina per the notes."},
            {
                "text": "Calcium channel blocker",
                "correct": False,
                "rationale": "An alternative when beta blockers fail.",
            },
            {"text": "Loop diuretic", "correct": False, "rationale": "Treats congestion, not angina itself."},
            {"text": "Statin", "correct": False, "rationale": "Lowers risk but does not relieve symptoms."},
            {"text": "Cardiac glycoside", "correct": False, "rationale": "Used for rate control and heart failure."},
        ],
        "explanation": "The notes state beta blockers are first-line for stable angina.",
        "pathophysiology": "Beta blockade lowers myocardial oxygen demand.",
        "clinical_relevance": "Most patients with stable angina start here.",
        "topic": "Cardiology",
        "subtopic": "Angina",
        "difficulty": "medium",
        "source_chunk_id": "c1",
        "quote": ANGINA,
    }
    return question | changes


def _reply(*questions) -> str:
    return json.dumps({"questions": list(questions)})


@pytest.fixture
def llm(settings):
    with FakeOpenAI() as server:
        settings.LLM_API_BASE = server.base_url
        settings.LLM_API_KEY = "test-key"
        settings.LLM_MODEL = "test-model"
        yield server


def _llm_generate(chunks=CHUNKS[:1], **kwargs):
    return LLMGenerator(embedder=WordEmbedder()).generate(chunks=chunks, topic="Cardiology", max_questions=3, **kwargs)


def test_a_valid_llm_reply_becomes_drafts(llm):
    llm.chat_replies.append(_reply(_llm_question()))

    result = _llm_generate()

    (question,) = result.questions
    assert validate_draft(question) == []
    assert question.answer == "Beta blocker"
    assert question.references == [{"page": 3, "heading": "", "quote": ANGINA, "chunk_id": "c1"}]
    assert question.quality_score == 1.0  # quote found, both explanations, full rationales, long vignette
    assert result.dropped == 0
    ((path, headers, body),) = llm.requests
    assert path == "/v1/chat/completions"
    assert headers["Authorization"] == "Bearer test-key"
    assert body["model"] == "test-model"
    assert body["response_format"] == {"type": "json_object"}
    assert 0 <= body["temperature"] <= 1
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert "exactly 5 options" in body["messages"][0]["content"]
    assert "id=c1 page=3" in body["messages"][1]["content"] and ANGINA in body["messages"][1]["content"]


INVALID_REPLIES = {
    "not json": "Here are your questions: 1. ...",
    "two correct answers": _reply(
        _llm_question(
            options=[{**o, "correct": True} if o["text"] == "Statin" else o for o in _llm_question()["options"]]
        )
    ),
    "duplicate options": _reply(
        _llm_question(
            options=[{**o, "text": " beta BLOCKER"} if o["text"] == "Statin" else o for o in _llm_question()["options"]]
        )
    ),
    "missing explanation": _reply(_llm_question(explanation="")),
    "four options": _reply(_llm_question(options=_llm_question()["options"][:4])),
}


@pytest.mark.parametrize("invalid", INVALID_REPLIES.values(), ids=INVALID_REPLIES.keys())
def test_an_invalid_llm_reply_is_asked_again_once(llm, invalid):
    llm.chat_replies += [invalid, _reply(_llm_question())]

    result = _llm_generate()

    assert len(result.questions) == 1
    assert result.dropped == 0
    assert len(llm.requests) == 2
    retry = llm.requests[1][2]["messages"]
    assert retry[2] == {"role": "assistant", "content": invalid}
    assert retry[3]["role"] == "user" and "cannot be used" in retry[3]["content"]


@pytest.mark.parametrize(
    ("invalid", "reason"),
    [(INVALID_REPLIES["not json"], "bad_reply"), (INVALID_REPLIES["two correct answers"], "invalid")],
)
def test_an_llm_reply_invalid_twice_is_dropped_and_counted(llm, invalid, reason):
    llm.chat_replies += [invalid, invalid]

    result = _llm_generate()

    assert result.questions == []
    assert result.dropped == 1
    assert result.reasons == {reason: 1}
    assert len(llm.requests) == 2


def test_only_the_invalid_questions_of_a_reply_are_dropped(llm):
    bad = _llm_question(explanation="", vignette="A 30-year-old woman has another question entirely about something.")
    llm.chat_replies += [_reply(_llm_question(), bad), _reply(_llm_question(), bad)]

    result = _llm_generate()

    assert len(result.questions) == 1
    assert result.reasons == {"invalid": 1}


def test_a_server_error_is_transient(llm):
    llm.fail_next(503)
    with pytest.raises(TransientGenerationError):
        _llm_generate()


def test_a_rejected_key_is_a_permanent_error(llm, settings):
    settings.LLM_API_KEY = "wrong-key"
    with pytest.raises(GenerationError) as caught:
        _llm_generate()
    assert not isinstance(caught.value, TransientGenerationError)
    assert "401" in str(caught.value) and "wrong-key" not in str(caught.value)


def test_an_unreachable_server_is_transient(settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once the socket is closed
    settings.LLM_API_BASE = f"http://127.0.0.1:{port}/v1"
    with pytest.raises(TransientGenerationError):
        _llm_generate()


def test_large_materials_are_sent_in_groups_that_fit_the_prompt(llm):
    chunks = [
        SourceChunk(id=f"k{i}", text=ANGINA + " " + "Filler sentence about angina. " * 150, page_number=i)
        for i in range(6)
    ]
    llm.chat_replies += [
        _reply(_llm_question(source_chunk_id=f"k{i}", vignette=f"Case {i}: " + _llm_question()["vignette"]))
        for i in range(6)
    ]

    LLMGenerator(embedder=WordEmbedder()).generate(chunks=chunks, topic=None, max_questions=30)

    assert len(llm.requests) > 1
    assert all(len(body["messages"][1]["content"]) < 14_000 for _, _, body in llm.requests)


def test_the_settings_choose_the_generator(settings, llm):
    settings.QUESTION_GENERATOR = "offline"
    assert isinstance(get_generator(), OfflineGenerator)
    settings.QUESTION_GENERATOR = "openai"
    assert isinstance(get_generator(), LLMGenerator)
    settings.LLM_API_BASE = ""
    with pytest.raises(GenerationError):
        get_generator()
    settings.QUESTION_GENERATOR = "magic"
    with pytest.raises(GenerationError):
        get_generator()


NEPHROTIC = SourceChunk(
    id="n1",
    heading="Nephrotic syndrome",
    page_number=8,
    text="Minimal change disease is the most common cause of nephrotic syndrome in children. "
    "Focal segmental glomerulosclerosis is the most common cause of nephrotic syndrome in adults in the United States. "
    "Membranous nephropathy is a leading cause of nephrotic syndrome in white adults.",
)


def test_what_the_notes_call_most_common_elsewhere_is_no_distractor_to_a_most_common_cause():
    question = _question_from(_generate([NEPHROTIC]), NEPHROTIC.text.split(". ")[0] + ".")

    assert question.options[question.correct_index] == "Minimal change disease"
    assert int(question.vignette.split("-")[0].split()[-1]) < 18  # "in children": the patient is a child
    for excluded in ("Focal segmental glomerulosclerosis", "Membranous nephropathy", "Nephrotic syndrome"):
        assert excluded not in question.options  # most common in adults; the syndrome itself


def test_a_countable_condition_takes_its_article():
    chunk = SourceChunk(id="u1", page_number=2, text="Urinary tract infection is usually caused by Escherichia coli.")
    (question,) = _generate([chunk]).questions
    assert "is diagnosed with a urinary tract infection." in question.vignette
    assert question.options[question.correct_index] == "Escherichia coli"


def _with_option(old: str, text: str) -> list[dict]:
    return [{**o, "text": text} if o["text"] == old else o for o in _llm_question()["options"]]


ALSO_FIRST_LINE = SourceChunk(
    id="c9", page_number=4, text="A calcium channel blocker is also a first-line treatment for stable angina."
)
BROKEN_RULES = {  # check -> (the model's question, the material it was given)
    "two_answers": (_llm_question(), [CHUNKS[0], ALSO_FIRST_LINE]),
    "option_contains_option": (_llm_question(options=_with_option("Statin", "Beta blocker and statin")), CHUNKS[:1]),
    "answer_in_stem": (
        _llm_question(vignette="A 62-year-old man with angina takes a beta blocker. Which drug is first-line?"),
        CHUNKS[:1],
    ),
    "no_lead_in": (
        _llm_question(vignette="A 62-year-old man has chest pain on exertion relieved by rest."),
        CHUNKS[:1],
    ),
    "malformed": (
        _llm_question(vignette="A 62-year-old man has has chest pain on exertion. Which drug class is first-line?"),
        CHUNKS[:1],
    ),
}


@pytest.mark.parametrize(("check", "case"), BROKEN_RULES.items(), ids=BROKEN_RULES.keys())
def test_a_model_question_breaking_an_item_rule_is_dropped_like_an_offline_one(llm, check, case):
    question, chunks = case
    llm.chat_replies.append(_reply(question))

    result = _llm_generate(chunks=chunks)

    assert result.questions == []
    assert result.reasons == {check: 1}
    assert result.written == 1


def test_a_model_question_with_options_of_mixed_kinds_is_saved_flagged(llm):
    llm.chat_replies.append(_reply(_llm_question(options=_with_option("Statin", "Stable angina"))))

    (question,) = _llm_generate().questions

    assert question.quality_reasons == ["The options are not all of one kind."]
    assert question.quality_score < 1.0


def test_the_model_is_told_the_item_writing_rules(llm):
    llm.chat_replies.append(_reply(_llm_question()))
    _llm_generate()
    prompt = llm.requests[0][2]["messages"][0]["content"]
    for rule in ("only one best answer", "cover the options", "never names the answer", "same kind", "ends with"):
        assert rule in prompt

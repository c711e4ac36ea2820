import pytest

from materials.tagging import AutoTag, auto_tags
from medtext.vocabulary import entry_for, find_terms, organ_system, same_category, terms_in, vocabulary

CARDIOLOGY = """Stable angina is chest pain on exertion caused by myocardial ischemia, usually from coronary
artery disease. An electrocardiogram at rest is often normal, and an exercise stress test shows the
ischemia. Myocardial infarction follows rupture of an atherosclerotic plaque in a coronary artery;
cardiac troponin rises within hours. Heart failure may follow, and atrial fibrillation raises the risk
of ischemic stroke. Echocardiography measures the function of the left ventricle."""


# --- Vocabulary ------------------------------------------------------------------------------------


def test_the_vocabulary_loads_with_every_name_naming_one_entry():
    entries = vocabulary().entries
    assert len(entries) >= 300
    names = [name.casefold() for entry in entries for name in entry.names]
    assert len(names) == len(set(names))
    assert {e.category for e in entries} >= {"disease", "drug", "drug_class", "organism", "anatomy", "test"}


def test_terms_match_whole_words_synonyms_plurals_and_the_longest_term():
    found = [(m.text, m.entry.term) for m in find_terms("Beta-blockers help in chronic stable angina; anginal pain.")]
    assert found == [("Beta-blockers", "beta blocker"), ("chronic stable angina", "stable angina")]
    assert [m.entry.term for m in find_terms("Addison’s disease and Graves' disease")] == [
        "Addison disease",
        "Graves disease",
    ]


def test_abbreviations_match_only_in_capitals():
    assert [m.entry.term for m in find_terms("ALL patients with an MI")] == ["myocardial infarction"]
    assert find_terms("all patients, mi casa") == []


def test_terms_in_counts_synonyms_for_their_entry_most_frequent_first():
    counts = terms_in("Metformin. An MI is a myocardial infarction; a heart attack.")
    assert [(e.term, n) for e, n in counts] == [("myocardial infarction", 3), ("metformin", 1)]


def test_same_category_lists_the_other_entries_of_the_category():
    metformin = entry_for("metformin")
    drugs = same_category(metformin)
    assert metformin not in drugs
    assert entry_for("glipizide") in drugs
    assert {e.category for e in drugs} == {"drug"}


# --- Auto tags -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "vignette", "system"),
    [
        ("Acute pyelonephritis", "A woman with fever and flank pain", "renal"),  # a disease answer decides
        # else the disease the vignette names most, whatever the answer is (an organism, a drug)
        ("Staphylococcus aureus", "Infective endocarditis in a drug user is most often caused by", "cardiovascular"),
        ("Observe", "Pyelonephritis in a man with heart failure; acute pyelonephritis recurs.", "renal"),
        # no disease named: the answer's term, else the vignette's
        ("Furosemide", "Which drug lowers preload?", "cardiovascular"),
        ("Observe", "Which enzyme does digoxin inhibit?", "cardiovascular"),
        ("Observe", "The weather was pleasant.", None),
    ],
)
def test_a_question_is_filed_under_the_organ_system_of_its_disease(answer, vignette, system):
    assert organ_system(answer, vignette) == system


def test_a_cardiology_paragraph_is_tagged_cardiology_and_cardiovascular():
    tags = auto_tags(text=CARDIOLOGY)

    assert tags[0] == AutoTag("Cardiology", "topic", tags[0].confidence)
    assert next(t for t in tags if t.category == "organ_system").tag == "cardiovascular"
    assert all(0.0 <= t.confidence <= 1.0 for t in tags)
    assert tags[0].confidence > 0.5
    assert len({t.tag.lower() for t in tags}) == len(tags)
    assert len(tags) <= 8


def test_tags_are_deterministic_and_respect_the_limit():
    assert auto_tags(text=CARDIOLOGY) == auto_tags(text=CARDIOLOGY)
    assert len(auto_tags(text=CARDIOLOGY, limit=2)) == 2


@pytest.mark.parametrize("text", ["", "The weather was pleasant and the train left on time."])
def test_text_without_medical_terms_has_no_tags(text):
    assert auto_tags(text=text) == []


def test_one_mention_in_a_long_text_is_weak_evidence():
    text = "Metformin is used in type 2 diabetes mellitus. " + "The committee met again on Tuesday. " * 400
    (topic,) = [t for t in auto_tags(text=text) if t.tag == "Endocrine"] or [AutoTag("Endocrine", "topic", 0.0)]
    assert topic.confidence < 0.2

import pytest

from medtext.embeddings import get_embedder
from tests import factories

RENAL = [
    "Minimal change disease is the most common cause of nephrotic syndrome in children. "
    "Podocyte foot processes are effaced on electron microscopy, and it responds to corticosteroids.",
    "Membranous nephropathy is the most common cause of nephrotic syndrome in adults. "
    "It is associated with antibodies against the phospholipase A2 receptor.",
    "Diabetic nephropathy shows nodular glomerulosclerosis, the Kimmelstiel-Wilson nodules. "
    "ACE inhibitors slow its progression by lowering intraglomerular pressure.",
]
CARDIO = [
    "Beta blockers reduce mortality after myocardial infarction. They lower myocardial oxygen demand.",
    "Stable angina presents as chest pain on exertion relieved by rest or nitroglycerin.",
]


def notes_material(user, paragraphs, *, title, topic, first_page=1):
    """A processed material of `user`: one page per paragraph, one embedded chunk each."""
    material = factories.MaterialFactory(
        user=user, title=title, topic=topic, processing_status="completed", chunk_count=len(paragraphs)
    )
    vectors = get_embedder().embed(paragraphs)
    for i, (text, vector) in enumerate(zip(paragraphs, vectors, strict=True)):
        page = first_page + i
        factories.MaterialPageFactory(material=material, page_number=page, text=text)
        factories.MaterialChunkFactory(
            material=material, content=text, embedding=vector, page_number=page, chunk_index=i,
            char_start=0, char_end=len(text),
        )  # fmt: skip
    return material


@pytest.fixture
def renal(student):
    return notes_material(student, RENAL, title="Pathoma Ch. 12: Kidney", topic="Renal", first_page=3)


@pytest.fixture
def cardio(student):
    return notes_material(student, CARDIO, title="First Aid Cardiology", topic="Cardiology")


@pytest.fixture
def eager_celery(monkeypatch):
    from studyin.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)

"""Ingestion speed: a 300-page medical-style PDF through the whole pipeline.

    .venv/bin/python bench/ingest.py [--pages 300]

Prints pages/s for each stage, the embedder's raw throughput on the same chunks, and the
pipeline's overhead over that raw embedding (target <= 25%). Runs on a scratch database
(migrated first, dropped after) on the configured server, so it never touches real data.
"""

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studyin.settings")

SENTENCES = [
    "Stable angina is chest pain on exertion that is relieved by rest.",
    "The first-line treatment for stable angina is a beta blocker.",
    "Nitroglycerin relieves anginal pain by venodilation, which lowers preload.",
    "Atrial fibrillation is an irregularly irregular rhythm without discernible P waves.",
    "Warfarin is used to prevent stroke in atrial fibrillation.",
    "Digoxin works by inhibiting the sodium-potassium ATPase of cardiac myocytes.",
    "Aortic stenosis is caused by calcification of the aortic valve in the elderly.",
    "Infective endocarditis is most often caused by Staphylococcus aureus in people who inject drugs.",
    "Metformin works by decreasing hepatic gluconeogenesis.",
    "Addison disease is caused by autoimmune destruction of the adrenal cortex.",
    "Graves disease presents with exophthalmos, pretibial myxedema and a diffuse goiter.",
    "The first-line treatment for community-acquired pneumonia in healthy adults is amoxicillin.",
    "Asthma is a reversible obstruction of the airways driven by type 2 inflammation.",
    "Furosemide works by inhibiting the Na-K-2Cl cotransporter in the thick ascending limb.",
    "Nephrotic syndrome presents with proteinuria above 3.5 grams per day, edema and hyperlipidemia.",
    "Parkinson disease is caused by loss of dopaminergic neurons in the substantia nigra.",
    "Levodopa is combined with carbidopa to reduce its peripheral conversion to dopamine.",
    "Iron deficiency anemia presents with a microcytic, hypochromic blood smear.",
    "Vitamin B12 deficiency causes a megaloblastic anemia with neurological signs.",
    "Celiac disease is associated with antibodies against tissue transglutaminase.",
    "Helicobacter pylori is associated with peptic ulcer disease and gastric adenocarcinoma.",
    "Lithium is the first-line treatment for bipolar disorder and requires monitoring of renal function.",
    "Myasthenia gravis is caused by antibodies against the acetylcholine receptor.",
    "The brachial plexus is formed by the ventral rami of C5 to T1.",
]


def medical_pdf(pages: int, path: Path) -> None:
    from fpdf import FPDF

    rng = random.Random(252)
    pdf = FPDF()
    pdf.set_font("Helvetica", size=10)
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.multi_cell(0, 5, f"Chapter {1 + number // 20}, page {number}", new_x="LMARGIN", new_y="NEXT")
        for _ in range(5):  # five paragraphs of about 90 words
            pdf.multi_cell(0, 5, " ".join(rng.choice(SENTENCES) for _ in range(7)), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
    pdf.output(str(path))


def run(pdf_path: str) -> dict:
    """In a process whose database is the scratch one: ingest, then time the raw embedder."""
    from django.core.files import File
    from django.core.management import call_command

    from accounts.models import User
    from materials import services
    from medtext.embeddings import get_embedder
    from studyin.rls import rls_context

    call_command("migrate", verbosity=0)
    user = User.objects.create_user(email="bench@studyin.app", password=None, name="Bench")
    embedder = get_embedder()
    embedder.embed(["warm up: load the model before timing anything"])
    with open(pdf_path, "rb") as fh, rls_context(user_id=user.pk):
        material = services.material_upload(user=user, file=File(fh, name="bench.pdf"), enqueue=False)
    started = time.perf_counter()
    jobs = services.material_process_now(material=material)
    total = time.perf_counter() - started
    with rls_context(user_id=user.pk):
        texts = list(material.chunks.order_by("chunk_index").values_list("content", flat=True))
    raw_started = time.perf_counter()
    for start in range(0, len(texts), 64):
        embedder.embed(texts[start : start + 64])
    raw = time.perf_counter() - raw_started
    stages = {j.job_type: (j.completed_at - j.started_at).total_seconds() for j in jobs if j.completed_at}
    return {"statuses": [j.status for j in jobs], "stages": stages, "total": total, "raw_embed": raw,
            "chunks": len(texts), "pages": jobs[0].result.get("pages", 0), "questions": jobs[-1].result}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=300)
    args = parser.parse_args()

    import django

    django.setup()
    from studyin.scratchdb import run_django, scratch_database

    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "bench.pdf"
        medical_pdf(args.pages, pdf)
        print(f"generated {pdf.stat().st_size / 2**20:.1f} MB, {args.pages} pages")
        with scratch_database("studyin_bench") as url:
            script = f"import json; from bench.ingest import run; print('RESULT', json.dumps(run({str(pdf)!r})))"
            result = run_django(url, script, timeout=3600)
    if result.returncode:
        sys.exit(result.stdout + result.stderr)
    r = json.loads(result.stdout.split("RESULT ", 1)[1])
    pages = r["pages"]
    print(f"stages: {', '.join(r['statuses'])}; {r['chunks']} chunks; questions: {r['questions']}")
    for stage, seconds in r["stages"].items():
        print(f"  {stage:<20} {seconds:7.2f} s  {pages / seconds:8.1f} pages/s")
    print(f"  {'whole pipeline':<20} {r['total']:7.2f} s  {pages / r['total']:8.1f} pages/s")
    raw, embed = r["raw_embed"], r["stages"].get("embed", float("nan"))
    print(f"raw embedder on the same {r['chunks']} chunks: {raw:.2f} s, {r['chunks'] / raw:.1f} chunks/s")
    print(f"embed stage overhead over raw embedding: {100 * (embed - raw) / raw:.1f}% (target <= 25%)")


if __name__ == "__main__":
    main()

from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from materials import services
from studyin.rls import rls_context


class Command(BaseCommand):
    help = (
        "Upload files for a student and run the whole pipeline (parse, embed, analyze, generate questions) "
        "here and now, without Celery: for staff bulk imports and benchmarks."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
        parser.add_argument("--user", required=True, metavar="EMAIL", help="the student who owns the materials")
        parser.add_argument("--topic", default="", help="topic of every file (guessed from the text when left out)")

    def handle(self, *args, files: list[Path], user: str, topic: str, **options):
        student = User.objects.filter(email=user.strip().lower()).first()
        if student is None:
            raise CommandError(f"No user with e-mail {user}.")
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            raise CommandError(f"Not a file: {', '.join(missing)}")
        failures = 0
        for path in files:
            failures += not self.ingest(path, student=student, topic=topic)
        if failures:
            raise CommandError(f"{failures} of {len(files)} files failed.")

    def ingest(self, path: Path, *, student: User, topic: str) -> bool:
        """Ingest one file and print its summary; True when every stage completed."""
        with path.open("rb") as fh, rls_context(user_id=student.pk):
            try:
                material = services.material_upload(
                    user=student, file=File(fh, name=path.name), topic=topic, enqueue=False
                )
            except services.UploadRejected as exc:
                self.stdout.write(f"{path.name}: refused: {exc}")
                return False
        jobs = services.material_process_now(material=material)
        with rls_context(user_id=student.pk):
            material.refresh_from_db()
        timings = ", ".join(
            f"{job.job_type} {(job.completed_at - job.started_at).total_seconds():.1f}s"
            if job.completed_at and job.started_at
            else f"{job.job_type} {job.status}"
            for job in jobs
        )
        pages = next((job.result.get("pages") for job in jobs if job.job_type == "parse"), 0) or 0
        self.stdout.write(
            f"{path.name}: {material.processing_status}: {pages} pages, {material.chunk_count} chunks, "
            f"{material.question_count} questions, tags {', '.join(material.tags) or '-'} ({timings})"
        )
        if material.processing_error:
            self.stdout.write(f"  error: {material.processing_error}")
        return material.processing_status == "completed"

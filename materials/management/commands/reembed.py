import re
import time
import uuid

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from materials.models import EMBEDDING_INDEX, MaterialChunk
from medtext.embeddings import Embedder, EmbeddingError, get_embedder
from studyin.rls import ROLE_SYSTEM, rls_context


class Command(BaseCommand):
    help = (
        "Re-embed every material chunk with the configured backend. To switch backend or dimension: stop the "
        "workers, change EMBEDDING_BACKEND / EMBEDDING_DIMENSIONS (and EMBEDDING_MODEL, EMBEDDING_API_*) in the "
        "environment, run this command, start the workers. If EMBEDDING_DIMENSIONS differs from the column's "
        "dimension, material_chunks.embedding is first changed to vector(N) and emptied, and its HNSW index "
        "rebuilt, in one transaction. No new migration is needed: migration 0001 reads EMBEDDING_DIMENSIONS, so "
        "Django's migration state follows the setting. Chunks are re-embedded in id order, one transaction per "
        "batch; safe to run twice, and --after resumes an interrupted run."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch",
            type=int,
            default=settings.EMBEDDING_BATCH_SIZE,
            help="chunks per batch and per transaction (default %(default)s)",
        )
        parser.add_argument(
            "--after",
            type=uuid.UUID,
            metavar="CHUNK_ID",
            help="resume: only chunks whose id sorts after this one (the last id a progress line printed)",
        )
        parser.add_argument("--dry-run", action="store_true", help="print what would be done, change nothing")

    def handle(self, *args, batch: int, after: uuid.UUID | None, dry_run: bool, **options):
        if batch < 1:
            raise CommandError("--batch must be at least 1")
        try:
            embedder = get_embedder()
        except EmbeddingError as exc:
            raise CommandError(str(exc)) from exc
        target = settings.EMBEDDING_DIMENSIONS
        current = self.column_dimensions()
        total = self.chunk_count(after=after)
        resize = current != target
        if resize and after is not None:
            raise CommandError(
                f"the column is vector({current}) but EMBEDDING_DIMENSIONS is {target}: "
                "resizing empties every embedding, so start without --after"
            )

        prefix = "would " if dry_run else ""
        self.stdout.write(f"backend {embedder.name}, {embedder.dimensions} dimensions; column is vector({current})")
        if resize:
            self.stdout.write(f"{prefix}change material_chunks.embedding to vector({target}) (emptied):")
            for statement in self.resize_statements(target):
                self.stdout.write(f"  {statement}")
        self.stdout.write(f"{prefix}re-embed {total} chunks in batches of {batch}")
        if dry_run:
            return

        try:
            self.check_backend(embedder)  # before anything is emptied
            if resize:
                self.resize_column(target)
            self.reembed_chunks(embedder=embedder, batch=batch, after=after, total=total)
        except EmbeddingError as exc:
            raise CommandError(str(exc)) from exc

    def column_dimensions(self) -> int | None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                "WHERE attrelid = 'material_chunks'::regclass AND attname = 'embedding'"
            )
            (type_,) = cursor.fetchone()
        match = re.fullmatch(r"vector\((\d+)\)", type_)
        return int(match[1]) if match else None

    def chunk_count(self, *, after: uuid.UUID | None = None) -> int:
        with rls_context(role=ROLE_SYSTEM):
            chunks = MaterialChunk.objects.all()
            if after is not None:
                chunks = chunks.filter(pk__gt=after)
            return chunks.count()

    def check_backend(self, embedder: Embedder) -> None:
        (vector,) = embedder.embed(["StudyIn checks the embedding backend before re-embedding."])
        if len(vector) != settings.EMBEDDING_DIMENSIONS:
            raise EmbeddingError(
                f"{embedder.name} makes {len(vector)}-dimensional vectors, EMBEDDING_DIMENSIONS is "
                f"{settings.EMBEDDING_DIMENSIONS}"
            )

    def resize_statements(self, dimensions: int) -> list[str]:
        """Drop the HNSW index, retype the column (emptying it), recreate the index from the model."""
        # The index is the model's own, so it comes back exactly as the migrations made it.
        table = connection.ops.quote_name(MaterialChunk._meta.db_table)
        with connection.schema_editor(collect_sql=True, atomic=False) as editor:
            editor.remove_index(MaterialChunk, EMBEDDING_INDEX)
            editor.execute(f"ALTER TABLE {table} ALTER COLUMN embedding TYPE vector({int(dimensions)}) USING NULL")
            editor.add_index(MaterialChunk, EMBEDDING_INDEX)
        return editor.collected_sql

    def resize_column(self, dimensions: int) -> None:
        # One transaction: readers see the old column and index or the new ones, never no index.
        # ALTER TABLE locks the table; on an emptied column the index builds at once.
        with transaction.atomic(), connection.cursor() as cursor:
            # Inside an outer transaction (a test's) rows written earlier leave deferred foreign-key
            # checks pending, and ALTER TABLE refuses to run behind them: run the checks now.
            connection.check_constraints()
            for statement in self.resize_statements(dimensions):
                cursor.execute(statement)
        self.stdout.write(
            f"material_chunks.embedding is now vector({dimensions}), index {EMBEDDING_INDEX.name} rebuilt"
        )

    def reembed_chunks(
        self, *, embedder: Embedder, batch: int, after: uuid.UUID | None = None, total: int | None = None
    ) -> int:
        total = self.chunk_count(after=after) if total is None else total
        started = time.monotonic()
        done = 0
        while True:
            with rls_context(role=ROLE_SYSTEM):
                chunks = MaterialChunk.objects.order_by("pk")
                if after is not None:
                    chunks = chunks.filter(pk__gt=after)
                rows = list(chunks.values_list("pk", "content")[:batch])
            if not rows:
                break
            # Embedding runs outside any transaction: no locks held while the model works.
            try:
                vectors = embedder.embed([content for _, content in rows])
            except EmbeddingError as exc:
                resume = f"; rerun with --after {after} to resume" if after is not None else ""
                raise type(exc)(f"stopped after {done} chunks: {exc}{resume}") from exc
            with rls_context(role=ROLE_SYSTEM):
                # One UPDATE per row, not bulk_update: bulk_update casts to the model field's
                # vector(N), fixed when the process started, which is the old N during a resize.
                for (pk, _), vector in zip(rows, vectors, strict=True):
                    MaterialChunk.objects.filter(pk=pk).update(embedding=vector)
            done += len(rows)
            after = rows[-1][0]
            elapsed = max(time.monotonic() - started, 1e-6)
            self.stdout.write(f"{done}/{max(total, done)} chunks, {done / elapsed:.1f} chunks/s, last id {after}")
        elapsed = max(time.monotonic() - started, 1e-6)
        rate = done / elapsed if done else 0.0
        self.stdout.write(
            self.style.SUCCESS(
                f"re-embedded {done} chunks in {elapsed:.1f} s ({rate:.1f} chunks/s) with {embedder.name}"
            )
        )
        return done

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone
from pgvector.django import HnswIndex, VectorField

from studyin.models import UUIDModel, choices_check, created_at_field, non_negative, owner_field


class ProcessingStatus(models.TextChoices):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


class Material(UUIDModel):
    user = owner_field("materials")

    filename = models.CharField(max_length=255)
    file_path = models.CharField(max_length=1000)
    file_size = models.IntegerField()
    file_type = models.CharField(max_length=100)

    title = models.CharField(max_length=500)
    description = models.TextField(null=True, blank=True)
    topic = models.CharField(max_length=255, null=True, blank=True)
    tags = models.JSONField(default=list, blank=True)

    processing_status = models.CharField(
        max_length=20,
        choices=ProcessingStatus.choices,
        default=ProcessingStatus.PENDING,
        db_default=ProcessingStatus.PENDING,
    )
    processing_error = models.TextField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    chunk_count = models.IntegerField(default=0, db_default=0)
    question_count = models.IntegerField(default=0, db_default=0)

    created_at = created_at_field()
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    class Meta:
        db_table = "materials"
        constraints = [
            models.CheckConstraint(condition=Q(file_size__gt=0), name="positive_file_size"),
            models.CheckConstraint(condition=non_negative("chunk_count", "question_count"), name="positive_counts"),
            choices_check("materials", "processing_status", ProcessingStatus),
            # What the chunks' owner key references (migration 0008): a chunk's user_id is its
            # material's, kept so by the database.
            models.UniqueConstraint(fields=["id", "user"], name="unique_material_owner"),
        ]
        # idx_materials_search (full text over title and description) is in migration 0002.
        indexes = [
            models.Index(fields=["user"], name="idx_materials_user_id"),
            models.Index(
                fields=["processing_status"],
                name="idx_materials_status",
                condition=~Q(processing_status=ProcessingStatus.COMPLETED),
            ),
            models.Index(fields=["topic"], name="idx_materials_topic", condition=Q(topic__isnull=False)),
            models.Index(F("created_at").desc(), name="idx_materials_created"),
            GinIndex(fields=["tags"], name="idx_materials_tags"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("materials:detail", args=[self.pk])

    @property
    def is_processing(self) -> bool:
        return self.processing_status in (ProcessingStatus.PENDING, ProcessingStatus.PROCESSING)


# The chunks' vector index (ef_construction 128 since migration 0009): reembed rebuilds it as it
# is here, bench/retrieval.py prints its parameters.
EMBEDDING_INDEX = HnswIndex(
    name="idx_chunks_embedding", fields=["embedding"], m=16, ef_construction=128, opclasses=["vector_cosine_ops"]
)


class MaterialChunk(UUIDModel):
    material = models.ForeignKey(Material, on_delete=models.CASCADE, related_name="chunks", db_index=False)
    # The material's owner, denormalised (DESIGN.md, per-student vector search) so the coach's
    # search and row-level security filter chunks with one comparison instead of a lookup of the
    # material. (material_id, user_id) references materials (id, user_id), so it cannot disagree
    # (migration 0008).
    user = owner_field("+")

    content = models.TextField()
    embedding = VectorField(dimensions=settings.EMBEDDING_DIMENSIONS, null=True, blank=True)

    page_number = models.IntegerField(null=True, blank=True)
    chunk_index = models.IntegerField()
    char_start = models.IntegerField()
    char_end = models.IntegerField()

    metadata = models.JSONField(default=dict, blank=True)
    created_at = created_at_field()

    class Meta:
        db_table = "material_chunks"
        constraints = [
            models.CheckConstraint(condition=Q(char_end__gt=F("char_start")), name="valid_chunk_range"),
            models.CheckConstraint(condition=Q(chunk_index__gte=0), name="positive_chunk_index"),
            # One chunk per position: a re-run of the embed stage replaces, never duplicates. It
            # starts with material_id, so idx_chunks_material_id became redundant (migration 0004).
            models.UniqueConstraint(fields=["material", "chunk_index"], name="unique_material_chunk"),
        ]
        # content_search, the chunk's full-text vector (a generated column the ORM never reads),
        # is in migration 0007; idx_chunks_content_search on it and the owner, in 0008.
        indexes = [
            models.Index(fields=["user"], name="idx_chunks_user_id"),
            models.Index(fields=["page_number"], name="idx_chunks_page_number", condition=Q(page_number__isnull=False)),
            EMBEDDING_INDEX,
        ]


class MaterialPage(UUIDModel):
    """The text of one page (PDF) or section (DOCX, Markdown, text) as parsed: what the reader
    shows, and what chunk offsets (char_start/char_end) point into."""

    material = models.ForeignKey(Material, on_delete=models.CASCADE, related_name="pages", db_index=False)
    page_number = models.IntegerField()
    heading = models.CharField(max_length=500, blank=True, default="")
    text = models.TextField()
    created_at = created_at_field()

    class Meta:
        db_table = "material_pages"
        ordering = ["page_number"]
        constraints = [
            models.UniqueConstraint(fields=["material", "page_number"], name="unique_material_page"),
            models.CheckConstraint(condition=Q(page_number__gte=1), name="positive_page_number"),
        ]


class JobType(models.TextChoices):
    PARSE = "parse"
    EMBED = "embed"
    GENERATE_QUESTIONS = "generate_questions"
    ANALYZE = "analyze"


class JobStatus(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class MaterialProcessingJob(UUIDModel):
    """The truth about one stage of a material's processing: one row per (material, stage)."""

    material = models.ForeignKey(Material, on_delete=models.CASCADE, related_name="jobs", db_index=False)

    job_type = models.CharField(max_length=30, choices=JobType.choices)
    status = models.CharField(
        max_length=20, choices=JobStatus.choices, default=JobStatus.PENDING, db_default=JobStatus.PENDING
    )
    parameters = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error_message = models.TextField(null=True, blank=True)

    attempts = models.IntegerField(default=0, db_default=0)  # runs started, for the reaper's limit

    # The claim of the run under way (DESIGN.md "Processing pipeline"). The worker that claims a
    # stage renews `lease_expires_at` while it works; once the lease lapses (the worker died), a
    # redelivered task or the reaper may take the stage over, and the old worker, should it come
    # back, finds its `claim_id` gone and writes nothing.
    claim_id = models.UUIDField(null=True, blank=True)
    claimed_by = models.CharField(max_length=255, blank=True, default="", db_default="")
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # When the stage was last handed to the queue: the reaper queues it again if no worker took
    # it (a message lost with Redis, or never sent because Redis was down).
    queued_at = models.DateTimeField(null=True, blank=True)

    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = created_at_field()

    class Meta:
        db_table = "material_processing_jobs"
        constraints = [
            # One row per stage. It starts with material_id, so idx_jobs_material_id became
            # redundant (migration 0004).
            models.UniqueConstraint(fields=["material", "job_type"], name="unique_material_job"),
            models.CheckConstraint(
                condition=Q(status=JobStatus.COMPLETED, completed_at__isnull=False) | ~Q(status=JobStatus.COMPLETED),
                name="valid_completion",
            ),
            choices_check("material_processing_jobs", "job_type", JobType),
            choices_check("material_processing_jobs", "status", JobStatus),
        ]
        indexes = [
            models.Index(
                fields=["status"],
                name="idx_jobs_status",
                condition=Q(status__in=[JobStatus.PENDING, JobStatus.RUNNING]),
            ),
            models.Index(fields=["job_type"], name="idx_jobs_type"),
        ]

    @property
    def skipped(self) -> bool:
        """Failed without running: an earlier stage failed (`result["skipped_because"]`)."""
        return self.status == JobStatus.FAILED and bool(self.result.get("skipped_because"))

    def lease_lapsed(self, now=None) -> bool:
        """Running, but its worker stopped renewing the claim: it will be taken over."""
        now = now or timezone.now()
        return self.status == JobStatus.RUNNING and self.lease_expires_at is not None and self.lease_expires_at < now

    def progress_percent(self) -> int | None:
        """For the progress bar: None while running with nothing measured (an indeterminate bar)."""
        if self.status == JobStatus.COMPLETED:
            return 100
        if self.status == JobStatus.RUNNING and self.result.get("total"):
            return round(100 * self.result.get("done", 0) / self.result["total"])
        return None if self.status == JobStatus.RUNNING else 0


class MaterialTag(UUIDModel):
    material = models.ForeignKey(Material, on_delete=models.CASCADE, related_name="material_tags", db_index=False)

    tag = models.CharField(max_length=100)
    category = models.CharField(max_length=50, null=True, blank=True)  # topic, organ_system, difficulty, ...
    confidence = models.FloatField(null=True, blank=True)
    is_auto_generated = models.BooleanField(default=False, db_default=False)
    created_at = created_at_field()

    class Meta:
        db_table = "material_tags"
        constraints = [
            # idx_tags_material_id is left out: unique_material_tag starts with material_id.
            models.UniqueConstraint(fields=["material", "tag"], name="unique_material_tag"),
            models.CheckConstraint(
                condition=Q(confidence__gte=0, confidence__lte=1), name="material_tags_confidence_check"
            ),
        ]
        indexes = [
            models.Index(fields=["tag"], name="idx_tags_tag"),
            models.Index(fields=["category"], name="idx_tags_category", condition=Q(category__isnull=False)),
        ]

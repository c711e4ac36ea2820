"""Demo data for development and benchmarks:
`manage.py seed_demo [--users N] [--questions N] [--attempts N]`.

What the app itself would hold after two months of use:
- the demo student's study notes, one document per topic (demo/notes.py), uploaded and run
  through the real pipeline (parse, embed, analyze, generate): real pages, chunks with
  embeddings, tags, and the unverified questions the generator wrote, in the moderation queue;
- a verified bank written by staff from the facts of demo/facts.py (one question per fact; more
  with --questions, as patient variants, for benchmarks);
- each student's blocks drawn from the questions that student may see (the verified bank and
  their own), never two variants of one fact in a block; answers, progress, mastery, study
  sessions (their monthly partitions created for the history) and a few students' flags.

Safe to run twice: every row has a deterministic id (uuid5 of a fixed namespace and the row's
place in the demo), inserts skip rows that exist, a note already uploaded is not uploaded again,
and what follows from the attempts (question counters and answer counts, progress per question,
mastery per topic) is recomputed from them in SQL. Random choices come from generators seeded
per user, per question and per block, so a second run draws the same rows (and is then turned
away by the conflicts).

`--users 200 --questions 5000 --attempts 1000000` (bench/answer_path.py) takes about 120 s on two
cores: answers are generated as plain tuples and COPYed in once, in binary; attempts, block items
and everything derived from them are then INSERT ... SELECT.
"""

import contextlib
import datetime
import hashlib
import json
import math
import random
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from analytics.models import StudySession
from analytics.partitions import PARTITIONED_TABLES, add_months
from analytics.services import day_metrics_write, user_stats_refresh
from coach.paths import path_create, path_propose, tier_prerequisites
from demo.facts import FACTS, FIRST_NAMES, LAST_NAMES, MATERIAL_TITLES, TOPICS, Fact
from demo.notes import notes_for
from gamification.services import rewards_recompute
from materials import services as materials_services
from materials.models import Material, MaterialChunk, MaterialProcessingJob
from medtext.vocabulary import organ_system
from practice.models import PracticeSession, SessionStatus, SessionType
from practice.selectors import BLOCK_SIZE_MAX, SECONDS_PER_QUESTION, BlockFilters
from practice.services import ATTEMPT_TYPES, completed_review_blocks
from progress.models import MasteryLevel, UserProgress
from progress.services import progress_recompute
from questions import services as questions_services
from questions.models import (
    AttemptType,
    Difficulty,
    FlagReason,
    Question,
    QuestionExplanation,
    QuestionOption,
    UserQuestionAttempt,
)
from studyin.rls import ROLE_SYSTEM, rls_context

NAMESPACE = uuid.UUID("5b0f3c52-7d43-4c1e-9a38-3f1d2c6e8a10")
DEMO_EMAIL = "demo@studyin.app"
DEMO_PASSWORD = "studyin-demo"
STAFF_EMAIL = "staff@studyin.app"
STAFF_PASSWORD = "studyin-staff"
BATCH = 2000
HISTORY_DAYS = 60
# Blocks fill the last 60 days but the last two hours, each ending before the next begins.
ACTIVITY_WINDOW = datetime.timedelta(days=HISTORY_DAYS, hours=-2)
BLOCK_SIZE_MIN = 10
LONGEST_ANSWER = 140  # seconds; timed and test blocks keep to their 90 a question
LONGEST_BLOCK = datetime.timedelta(seconds=BLOCK_SIZE_MAX * LONGEST_ANSWER)
STREAK_DAYS = 7  # the demo account studied every day of the last week
SESSION_SHARE = 0.8  # of blocks; the others are loose review attempts outside any practice session
MARKED_SHARE = 0.04
STRUCK_SHARE = 0.2
ACTIVITY_BATCH = 50_000  # attempts generated before they are copied into the database
DIFFICULTY_SHIFT = {Difficulty.EASY: 0.1, Difficulty.MEDIUM: 0.0, Difficulty.HARD: -0.1, Difficulty.NBME: -0.15}
# What students reported on the bank: (the fact's subtopic, reason, comment).
FLAGS = (
    ("Valvular disease", FlagReason.UNCLEAR, "Hypertrophic cardiomyopathy could fit if the radiation were not given."),
    ("Diabetes", FlagReason.OUTDATED, "Don't current guidelines start the insulin infusion together with the fluids?"),
)


def demo_id(*parts: object) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, ":".join(str(p) for p in parts))


@dataclass(frozen=True)
class SeedUser:
    email: str
    id: uuid.UUID
    heavy: bool  # the demo account gets a fuller history
    active: bool = True  # the staff account has no study history


@dataclass(frozen=True)
class SeedQuestion:
    id: uuid.UUID
    topic: str
    difficulty: str
    correct_index: int
    option_count: int
    key: str  # questions with one key are variants of one fact: a block holds at most one of them


def _patient(rng: random.Random, fact: Fact) -> str:
    age = rng.randint(*fact.ages)
    sex = fact.sex if fact.sex != "any" else rng.choice(("male", "female"))
    noun = {("male", True): "boy", ("female", True): "girl", ("male", False): "man", ("female", False): "woman"}
    article = "An" if age in (8, 11, 18) or 80 <= age <= 89 else "A"
    return f"{article} {age}-year-old {noun[sex, age < 18]}"


SESSION_COLUMNS = (
    "id", "user_id", "session_type", "settings", "total_questions", "correct_count", "total_time_seconds",
    "xp_earned", "status", "current_position", "elapsed_seconds", "resumed_at", "time_limit_seconds",
    "started_at", "completed_at", "created_at",
)  # fmt: skip
# One row per answer, copied in once: each becomes an attempt, and a block item when it was
# answered in a practice session (item_id and session_id NULL otherwise).
ANSWER_COLUMNS = (
    "attempt_id", "item_id", "session_id", "user_id", "question_id", "question_order", "selected_index",
    "is_correct", "confidence_rating", "time_taken_seconds", "attempt_type", "answered_at", "is_marked",
    "struck_options",
)  # fmt: skip
ANSWER_TYPES = (
    "uuid", "uuid", "uuid", "uuid", "uuid", "integer", "integer", "boolean", "integer", "integer", "text",
    "timestamptz", "boolean", "jsonb",
)  # fmt: skip
STAGE_ANSWERS = f"""
CREATE TEMPORARY TABLE seed_answers ({", ".join(f"{c} {t}" for c, t in zip(ANSWER_COLUMNS, ANSWER_TYPES, strict=True))})
ON COMMIT DROP
"""
INSERT_ITEMS = """
INSERT INTO practice_session_questions (id, session_id, question_id, question_order, selected_index, confidence_rating,
                                        is_marked, struck_options, shown_at, is_correct, time_taken_seconds, answered_at)
SELECT item_id, session_id, question_id, question_order, selected_index, confidence_rating, is_marked, struck_options,
       answered_at - make_interval(secs => time_taken_seconds), is_correct, time_taken_seconds, answered_at
FROM seed_answers
WHERE session_id IS NOT NULL
ON CONFLICT DO NOTHING
"""
INSERT_ATTEMPTS = """
INSERT INTO user_question_attempts (id, user_id, question_id, selected_index, is_correct, confidence_rating,
                                    time_taken_seconds, attempt_type, session_id, answered_at)
SELECT attempt_id, user_id, question_id, selected_index, is_correct, confidence_rating, time_taken_seconds,
       attempt_type, session_id, answered_at
FROM seed_answers
ON CONFLICT DO NOTHING
"""


def _demo_ids(*parts: object) -> Callable[[int], uuid.UUID]:
    """demo_id(*parts, k) for many k, hashing the common prefix once (a million ids add up)."""
    prefix = hashlib.sha1(NAMESPACE.bytes + (":".join(str(p) for p in parts) + ":").encode())

    def make(k: int) -> uuid.UUID:
        h = prefix.copy()
        h.update(str(k).encode())
        return uuid.UUID(bytes=h.digest()[:16], version=5)

    return make


class _Block(NamedTuple):
    session: tuple | None  # SESSION_COLUMNS; None for loose review attempts
    answers: list[tuple]  # ANSWER_COLUMNS


@dataclass
class _Rows:
    sessions: list[tuple] = field(default_factory=list)
    answers: list[tuple] = field(default_factory=list)

    def add(self, block: _Block) -> None:
        if block.session:
            self.sessions.append(block.session)
        self.answers.extend(block.answers)

    def copy_into(self, sessions: "_Staging") -> list[uuid.UUID]:
        """COPY the rows into the staging tables; returns the practice session ids."""
        sessions.copy(PracticeSession._meta.db_table, self.sessions)
        _copy("seed_answers", ", ".join(ANSWER_COLUMNS), self.answers, ANSWER_TYPES)
        return [session[0] for session in self.sessions]


def _user_blocks(
    user: SeedUser, target: int, questions: list[SeedQuestion], now: datetime.datetime
) -> Iterator[_Block]:
    """The student's blocks, oldest first, until they hold `target` attempts, from `questions`,
    those the student may see. Each block draws from a generator of its own (student, number),
    so a larger --attempts adds blocks and changes none of those already there; the blocks share
    out the window evenly."""
    skill = random.Random(f"skill:{user.email}").uniform(0.55, 0.85)
    facts: dict[str, list[SeedQuestion]] = {}
    for question in questions:
        facts.setdefault(question.key, []).append(question)
    variants = list(facts.values())
    drafts: list[tuple[random.Random, int]] = []
    total = 0
    while total < target:
        rng = random.Random(f"block:{user.email}:{len(drafts)}")
        size = min(len(variants), rng.randint(BLOCK_SIZE_MIN, BLOCK_SIZE_MAX))
        drafts.append((rng, size))
        total += size
    if not drafts:
        return
    # The demo account's last week is a study day each day, ending just before now, so its
    # dashboard opens on a live streak; the other blocks share out the window before it.
    recent = min(STREAK_DAYS, len(drafts)) if user.heavy else 0
    end = now - datetime.timedelta(hours=2)
    window = ACTIVITY_WINDOW - datetime.timedelta(days=recent)
    slot = window / max(1, len(drafts) - recent)
    slack = max(0.0, (slot - LONGEST_BLOCK).total_seconds())
    first = now - datetime.timedelta(days=HISTORY_DAYS)
    for b, (rng, size) in enumerate(drafts):
        if b < len(drafts) - recent:
            start = first + b * slot + datetime.timedelta(seconds=round(rng.uniform(0, slack)))
        else:  # one a day, the last ending by `end`
            start = end - LONGEST_BLOCK - datetime.timedelta(days=len(drafts) - 1 - b)
        yield _block(user, b, rng, size, skill, variants, start)


def _block(
    user: SeedUser, b: int, rng: random.Random, size: int, skill: float, variants: list[list[SeedQuestion]],
    start: datetime.datetime,
) -> _Block:  # fmt: skip
    """One block of `size` questions, each of another fact (`variants` holds each fact's questions)."""
    session_type = rng.choice(SessionType.values) if rng.random() < SESSION_SHARE else None
    session_id = demo_id("session", user.email, b) if session_type else None
    attempt_id, item_id = _demo_ids("attempt", user.email, b), _demo_ids("session", user.email, b)
    attempt_type = str(ATTEMPT_TYPES[session_type] if session_type else AttemptType.REVIEW)
    timed = session_type in (SessionType.TIMED, SessionType.TEST)
    longest = SECONDS_PER_QUESTION if timed else LONGEST_ANSWER
    answers = []
    answered_at, correct_count = start, 0
    for order, k in enumerate(rng.sample(range(len(variants)), size), 1):
        q = rng.choice(variants[k])
        is_correct = rng.random() < skill + DIFFICULTY_SHIFT[q.difficulty]
        # A wrong answer picks any of the other options, each as likely.
        selected = (
            q.correct_index if is_correct else (q.correct_index + rng.randint(1, q.option_count - 1)) % q.option_count
        )
        seconds = rng.randint(25, longest)
        confidence = rng.randint(3, 5) if is_correct else rng.randint(1, 4)
        answered_at += datetime.timedelta(seconds=seconds)
        correct_count += is_correct
        marked, struck = False, []
        if session_id:
            marked = rng.random() < MARKED_SHARE
            if rng.random() < STRUCK_SHARE:  # one or two options ruled out before answering
                others = [i for i in range(q.option_count) if i not in (selected, q.correct_index)]
                struck = sorted(rng.sample(others, min(len(others), rng.randint(1, 2))))
        answers.append(
            (attempt_id(order), item_id(order) if session_id else None, session_id, user.id, q.id, order, selected,
             is_correct, confidence, seconds, attempt_type, answered_at, marked, struck)
        )  # fmt: skip
    session = None
    if session_id:
        elapsed = int((answered_at - start).total_seconds())
        session = (
            session_id, user.id, session_type, json.dumps(BlockFilters(mode=session_type, size=size).as_settings()),
            size, correct_count, elapsed, 0,  # XP is the gamification services' to award
            str(SessionStatus.COMPLETED), size, elapsed, None, SECONDS_PER_QUESTION * size if timed else None,
            start, answered_at, start,
        )  # fmt: skip
    return _Block(session, answers)


class _Staging:
    """Rows for several tables, COPYed into temporary twins of them as they come, then inserted
    into the real tables (in the order given, for the foreign keys) with INSERT ... SELECT ...
    ON CONFLICT DO NOTHING: COPY alone cannot skip rows that exist.

    Several times faster than bulk_create, and it keeps the rows' own timestamps where
    bulk_create would overwrite an auto_now_add column (answered_at, started_at) with now.
    Inside a transaction: the temporary tables go with it."""

    def __init__(self, tables: dict[str, Sequence[str]]):
        self.tables = {
            table: ", ".join(connection.ops.quote_name(c) for c in columns) for table, columns in tables.items()
        }
        with connection.cursor() as cursor:
            for table in self.tables:
                cursor.execute(f"DROP TABLE IF EXISTS seed_{table}")
                cursor.execute(f"CREATE TEMPORARY TABLE seed_{table} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP")

    def copy(self, table: str, rows: Iterable[Sequence]) -> None:
        _copy(f"seed_{table}", self.tables[table], rows)

    def insert_new(self) -> None:
        with connection.cursor() as cursor:
            for table, names in self.tables.items():
                cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM seed_{table} ON CONFLICT DO NOTHING")
                cursor.execute(f"DROP TABLE seed_{table}")


def _copy(table: str, names: str, rows: Iterable[Sequence], types: Sequence[str] = ()) -> None:
    """COPY rows in; in binary when their column types are given (twice as fast for a million)."""
    binary = " (FORMAT BINARY)" if types else ""
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN{binary}") as copy:
        if types:
            copy.set_types(types)
        for row in rows:
            copy.write_row(row)


def _insert(model, objs: Sequence) -> None:
    """Insert the model instances whose keys are new (see _Staging)."""
    if not objs:
        return
    fields = [f for f in model._meta.concrete_fields if not f.generated]
    table = model._meta.db_table
    db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: the `connection` proxy costs a lookup per use
    staging = _Staging({table: [f.column for f in fields]})
    # pre_save(add=False): auto_now columns get now, auto_now_add ones keep their value.
    staging.copy(table, ([f.get_db_prep_save(f.pre_save(obj, False), db) for f in fields] for obj in objs))
    staging.insert_new()


class Command(BaseCommand):
    help = "Fill the database with a demo (users, materials, questions, attempts, sessions); safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=20, help="extra students besides the demo and staff users")
        parser.add_argument(
            "--questions",
            type=int,
            default=len(FACTS),
            help="questions in the verified bank: one per fact, and patient variants past that, for benchmarks "
            "(default %(default)s)",
        )
        parser.add_argument(
            "--attempts",
            type=int,
            default=None,
            help="attempts to reach in all, shared among the students as by default (default: about 120 each)",
        )
        parser.add_argument(
            "--first-run", action="store_true", help="do nothing if the demo user exists (`make run` passes it)"
        )
        parser.add_argument("--dry-run", action="store_true", help="seed inside a transaction, report, roll back")

    def handle(
        self, *args, users: int, questions: int, attempts: int | None, first_run: bool, dry_run: bool, **options
    ):
        if first_run and self.demo_present():
            self.stdout.write("demo data already present")
            return
        started = time.monotonic()
        self.uploaded: list[str] = []  # files the demo notes were stored as
        with transaction.atomic() if dry_run else contextlib.nullcontext():
            self.seed(n_users=users, n_questions=questions, n_attempts=attempts)
            summary = self.summary()
            if dry_run:
                transaction.set_rollback(True)
        if dry_run:
            for path in self.uploaded:  # the rows that named them were rolled back
                default_storage.delete(path)
        elapsed = time.monotonic() - started
        self.stdout.write(f"{'dry run, rolled back: ' if dry_run else ''}{summary} ({elapsed:.1f} s)")

    def demo_present(self) -> bool:
        with rls_context(role=ROLE_SYSTEM):
            return User.objects.filter(email=DEMO_EMAIL).exists()

    def seed(self, *, n_users: int, n_questions: int, n_attempts: int | None = None) -> None:
        now = timezone.now()
        users = self.seed_users(n_users=n_users, now=now)
        self.seed_partitions(now=now)
        demo = next(u for u in users if u.heavy)
        material_ids = self.seed_materials(user=demo, now=now)
        bank = self.seed_questions(n_questions=n_questions, now=now)
        pools = {u.email: bank + (self.own_questions(user=u) if u.heavy else []) for u in users if u.active}
        session_ids = self.seed_activity(users=users, pools=pools, now=now, n_attempts=n_attempts)
        self.seed_study_sessions(users=users, session_ids=session_ids)
        self.seed_flags(users=users, bank=bank)
        all_questions = {q.id for pool in pools.values() for q in pool}
        self.recount(material_ids=material_ids, question_ids=list(all_questions))
        # What answers derive, by the answer path's own definitions in bulk (progress, mastery and
        # cards; XP, study days and achievements): one definition, so the demo is consistent.
        user_ids = [u.id for u in users]
        progress_recompute(user_ids=user_ids)
        rewards_recompute(user_ids=user_ids, completed_reviews=completed_review_blocks(user_ids=user_ids))
        self.seed_path(user_id=demo.id)
        self.seed_analytics(now=now)

    def seed_analytics(self, *, now: datetime.datetime) -> None:
        """The nightly tables for the history's days, as the nightly job would have written them
        (replacing: a second run rewrites the same rows), and the statistics view refreshed."""
        with rls_context(role=ROLE_SYSTEM):
            with connection.cursor() as cursor:  # the bulk load just written: plan on its real size
                cursor.execute("ANALYZE user_question_attempts, xp_transactions, questions, users")
            today = now.date()
            for back in range(HISTORY_DAYS + 1, 0, -1):
                day_metrics_write(day=today - datetime.timedelta(days=back))
            user_stats_refresh()

    def seed_path(self, *, user_id) -> None:
        """The demo student's learning path, as the coach proposes it from the demo's mastery."""
        with rls_context(user_id=user_id):
            user = User.objects.get(pk=user_id)
            proposal = path_propose(user=user)[:6]
            if proposal and not user.learning_paths.exists():
                chosen = [p.topic for p in proposal]
                needs = tier_prerequisites(chosen)
                path_create(user=user, name="Step 1: my weakest systems", milestones=[(t, needs[t]) for t in chosen])

    def seed_partitions(self, *, now: datetime.datetime) -> None:
        """The analytics tables' monthly partitions back to the start of the history, as an
        installation that has run that long has them (`migrate` creates this month on)."""
        first = (now - datetime.timedelta(days=HISTORY_DAYS + 1)).date().replace(day=1)
        months = []
        while first < now.date().replace(day=1):
            months.append(first)
            first = add_months(first, 1)
        with connection.cursor() as cursor:
            for table in PARTITIONED_TABLES:
                for month in months:
                    cursor.execute("SELECT studyin_create_partition(%s, %s)", [table, month])

    # Users ------------------------------------------------------------------------------------

    def seed_users(self, *, n_users: int, now: datetime.datetime) -> list[SeedUser]:
        students = [f"student{i:03d}@studyin.app" for i in range(1, n_users + 1)]
        with rls_context(role=ROLE_SYSTEM):
            emails = [DEMO_EMAIL, STAFF_EMAIL, *students]
            existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
            new = []
            if DEMO_EMAIL not in existing:  # Argon2 only for the two named accounts, and only once
                new.append(User(email=DEMO_EMAIL, name="Demo Student", password=make_password(DEMO_PASSWORD)))
            if STAFF_EMAIL not in existing:
                new.append(
                    User(
                        email=STAFF_EMAIL,
                        name="Staff",
                        password=make_password(STAFF_PASSWORD),
                        is_staff=True,
                        is_superuser=True,
                    )
                )
            missing = [email for email in students if email not in existing]
            shared_hash = make_password(DEMO_PASSWORD) if missing else ""
            for i, email in enumerate(missing):
                name = f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {LAST_NAMES[i * 5 % len(LAST_NAMES)]}"
                new.append(User(email=email, name=name, password=shared_hash))
            for user in new:
                user.id = demo_id("user", user.email)
                user.is_verified = True
                user.created_at = now - datetime.timedelta(days=HISTORY_DAYS + 30)
            _insert(User, new)
            # Look the ids up: an account made by hand before the first seed keeps its own id.
            ids = dict(User.objects.filter(email__in=emails).values_list("email", "id"))
        return [
            SeedUser(DEMO_EMAIL, ids[DEMO_EMAIL], heavy=True),
            SeedUser(STAFF_EMAIL, ids[STAFF_EMAIL], heavy=False, active=False),
            *(SeedUser(email, ids[email], heavy=False) for email in students),
        ]

    # Materials --------------------------------------------------------------------------------

    def seed_materials(self, *, user: SeedUser, now: datetime.datetime) -> list[uuid.UUID]:
        """The demo student's notes, uploaded and processed by the real pipeline here and now (as
        `manage.py ingest` does), then dated back to when the student uploaded them. A note
        already in the library is not uploaded again."""
        student = User.objects.get(pk=user.id)
        rng = random.Random(f"materials:{user.email}")
        with rls_context(user_id=user.id):
            present = dict(Material.objects.filter(user_id=user.id).values_list("title", "id"))
        ids = []
        for topic in TOPICS:
            title = MATERIAL_TITLES[topic][0]
            uploaded = now - datetime.timedelta(days=HISTORY_DAYS + rng.randint(0, 25), minutes=rng.randint(0, 600))
            if title in present:
                ids.append(present[title])
                continue
            filename, data = notes_for(topic)
            with rls_context(user_id=user.id):
                material = materials_services.material_upload(
                    user=student, file=ContentFile(data, name=filename), title=title, tags=["step-1"], enqueue=False
                )
            self.uploaded.append(material.file_path)
            materials_services.material_process_now(material=material)
            with rls_context(role=ROLE_SYSTEM):
                self._date_back(material, uploaded)
            ids.append(material.id)
        return ids

    @staticmethod
    def _date_back(material: Material, uploaded: datetime.datetime) -> None:
        """Move a material processed just now, and what the pipeline made from it, to `uploaded`."""
        shift = timezone.now() - uploaded
        Material.objects.filter(pk=material.pk).update(
            created_at=F("created_at") - shift,
            processed_at=F("processed_at") - shift,
            updated_at=F("updated_at") - shift,
        )
        MaterialProcessingJob.objects.filter(material=material).update(
            created_at=F("created_at") - shift, started_at=F("started_at") - shift,
            completed_at=F("completed_at") - shift, queued_at=None,
        )  # fmt: skip
        Question.objects.filter(material=material).update(created_at=F("created_at") - shift)

    def own_questions(self, *, user: SeedUser) -> list[SeedQuestion]:
        """The questions the pipeline wrote from the student's notes: theirs to practise."""
        with rls_context(role=ROLE_SYSTEM):
            rows = Question.objects.filter(material__user_id=user.id).values_list(
                "id", "topic", "difficulty", "correct_index", "options"
            )
            return [SeedQuestion(pk, topic, difficulty, correct, len(options), str(pk))
                    for pk, topic, difficulty, correct, options in rows]  # fmt: skip

    # Questions --------------------------------------------------------------------------------

    def seed_questions(self, *, n_questions: int, now: datetime.datetime) -> list[SeedQuestion]:
        seeded = []
        for start in range(0, n_questions, BATCH):
            questions, options, explanations = [], [], []
            for i in range(start, min(start + BATCH, n_questions)):
                question, question_options, explanation = self._question(i, now)
                questions.append(question)
                options.extend(question_options)
                explanations.append(explanation)
                seeded.append(
                    SeedQuestion(
                        question.id, question.topic, question.difficulty, question.correct_index,
                        len(question.options), f"fact:{i % len(FACTS)}",
                    )
                )  # fmt: skip
            with rls_context(role=ROLE_SYSTEM):  # one transaction per batch: the rows and their options
                _insert(Question, questions)
                _insert(QuestionOption, options)
                _insert(QuestionExplanation, explanations)
        return seeded

    def _question(self, i: int, now: datetime.datetime):
        rng = random.Random(f"question:{i}")
        fact = FACTS[i % len(FACTS)]
        choices = [(fact.answer, fact.why), *fact.distractors]
        rng.shuffle(choices)
        correct_index = next(k for k, (text, _) in enumerate(choices) if text == fact.answer)
        difficulty = fact.difficulty if rng.random() < 0.7 else rng.choice(Difficulty.values)
        question_id = demo_id("question", i)
        question = Question(
            id=question_id,
            material_id=None,  # staff's bank, not written from a student's material
            vignette=f"{_patient(rng, fact)} {fact.stem} {fact.lead}",
            options=[text for text, _ in choices],
            correct_index=correct_index,
            explanation=f"{fact.why} {fact.pathophysiology}",
            topic=fact.topic,
            subtopic=fact.subtopic,
            organ_system=organ_system(fact.answer, fact.stem),
            difficulty=difficulty,
            quality_score=round(rng.uniform(0.8, 0.98), 2),
            is_verified=True,  # staff wrote and checked it; students' flags come later (seed_flags)
            metadata={"source": "seed_demo", "fact": i % len(FACTS)},
            created_at=now - datetime.timedelta(days=HISTORY_DAYS + 20, seconds=-i),
        )
        options = [
            QuestionOption(
                id=demo_id("question", i, "option", k),
                question_id=question_id,
                option_index=k,
                option_text=text,
                rationale=why,
                created_at=question.created_at,
            )
            for k, (text, why) in enumerate(choices)
        ]
        explanation = QuestionExplanation(
            id=demo_id("question", i, "explanation"),
            question_id=question_id,
            correct_explanation=fact.why,
            incorrect_explanations={str(k): why for k, (_, why) in enumerate(choices) if k != correct_index},
            pathophysiology=fact.pathophysiology,
            clinical_relevance=fact.clinical,
            references=[fact.reference],
            created_at=question.created_at,
        )
        return question, options, explanation

    # Attempts and practice blocks -------------------------------------------------------------

    def activity_targets(self, *, users: list[SeedUser], n_attempts: int | None) -> dict[str, int]:
        """Attempts per student: 400 for the demo student, 40 to 200 for each other one; with
        --attempts, the same shares scaled up or down to add up to (at least) that many."""
        shares = {}
        for user in users:
            if user.active:
                shares[user.email] = 240 if user.heavy else random.Random(f"activity:{user.email}").randint(40, 160)
        if n_attempts is None:
            return shares
        total = sum(shares.values())
        return {email: math.ceil(n_attempts * share / total) for email, share in shares.items()}

    def seed_activity(
        self,
        *,
        users: list[SeedUser],
        pools: dict[str, list[SeedQuestion]],
        now: datetime.datetime,
        n_attempts: int | None = None,
    ) -> list[uuid.UUID]:
        """Each student answers in blocks spread over the last 60 days, from the questions they
        may see (`pools`): most blocks are finished practice sessions, the rest loose review
        attempts. Returns the practice session ids.

        Rows are written as plain tuples (a million model instances would cost more than the
        database's work), in batches, all in one transaction."""
        if not any(pools.values()):
            return []
        targets = self.activity_targets(users=users, n_attempts=n_attempts)
        session_ids = []
        with rls_context(role=ROLE_SYSTEM), connection.cursor() as cursor:
            sessions = _Staging({PracticeSession._meta.db_table: SESSION_COLUMNS})
            cursor.execute(STAGE_ANSWERS)
            batch = _Rows()
            for user in users:
                if not user.active:
                    continue
                for block in _user_blocks(user, targets[user.email], pools[user.email], now):
                    batch.add(block)
                if len(batch.answers) >= ACTIVITY_BATCH:
                    session_ids.extend(batch.copy_into(sessions))
                    batch = _Rows()
            session_ids.extend(batch.copy_into(sessions))
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            sessions.insert_new()  # before their items
            cursor.execute(INSERT_ITEMS)
            cursor.execute(INSERT_ATTEMPTS)
            cursor.execute("DROP TABLE seed_answers")
            # The aggregates that follow (counters, progress, mastery) plan on these statistics;
            # autovacuum would gather them only after the seed.
            cursor.execute("ANALYZE practice_sessions, practice_session_questions, user_question_attempts")
        return session_ids

    def seed_study_sessions(self, *, users: list[SeedUser], session_ids: list[uuid.UUID]) -> None:
        """An analytics row for each demo practice session (seed_partitions made their months).
        The rows' key includes created_at, so "exists" is checked by id, not left to a conflict."""
        seeded = set(session_ids)
        with rls_context(role=ROLE_SYSTEM):
            practice = PracticeSession.objects.filter(user_id__in=[u.id for u in users], status=SessionStatus.COMPLETED)
            wanted = {demo_id("study-session", p.id): p for p in practice if p.id in seeded}
            existing = set(StudySession.objects.filter(id__in=wanted).values_list("id", flat=True))
            _insert(
                StudySession,
                [
                    StudySession(
                        id=study_id,
                        user_id=p.user_id,
                        session_type=p.session_type,
                        duration_seconds=p.total_time_seconds,
                        questions_answered=p.total_questions,
                        xp_earned=p.xp_earned,
                        activity_data={"practice_session_id": str(p.id), "correct": p.correct_count},
                        started_at=p.started_at,
                        ended_at=p.completed_at,
                        created_at=p.completed_at,
                    )
                    for study_id, p in wanted.items()
                    if study_id not in existing
                ],
            )

    def seed_flags(self, *, users: list[SeedUser], bank: list[SeedQuestion]) -> None:
        """A few students' reports on the bank, through the service students use (a second run
        updates the same open flag rather than adding one)."""
        students = [u for u in users if u.active and not u.heavy] or [u for u in users if u.heavy]
        for n, (subtopic, reason, comment) in enumerate(FLAGS):
            number = next((i for i, fact in enumerate(FACTS[: len(bank)]) if fact.subtopic == subtopic), None)
            if number is None:
                continue
            reporter = User.objects.get(pk=students[n % len(students)].id)
            with rls_context(user_id=reporter.pk):
                question = Question.objects.get(pk=bank[number].id)
                questions_services.question_flag(user=reporter, question=question, reason=reason, comment=comment)

    # Counters and what is derived from the attempts --------------------------------------------

    def recount(self, *, material_ids: list[uuid.UUID], question_ids: list[uuid.UUID]) -> None:
        """Counters from the rows, never incremented: a second run leaves them as they are.
        answer_counts gets one count per option (the answer path's studyin_count_answer grows
        the array only up to the option chosen; peer statistics read both alike)."""
        with rls_context(role=ROLE_SYSTEM), connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute(
                """
                WITH chosen AS (
                    SELECT question_id, selected_index, count(*) AS n, count(*) FILTER (WHERE is_correct) AS correct
                    FROM user_question_attempts
                    WHERE question_id = ANY(%(ids)s)
                    GROUP BY question_id, selected_index
                ), counted AS (
                    SELECT q.id,
                           coalesce(sum(c.n), 0)::int AS answered,
                           coalesce(sum(c.correct), 0)::int AS correct,
                           array_agg(coalesce(c.n, 0)::int ORDER BY o.i) AS counts
                    FROM questions q
                    CROSS JOIN LATERAL generate_series(0, jsonb_array_length(q.options) - 1) AS o(i)
                    LEFT JOIN chosen c ON c.question_id = q.id AND c.selected_index = o.i
                    WHERE q.id = ANY(%(ids)s)
                    GROUP BY q.id
                )
                UPDATE questions q
                SET times_answered = s.answered, times_correct = s.correct, answer_counts = s.counts
                FROM counted s
                WHERE q.id = s.id
                  AND (q.times_answered, q.times_correct, q.answer_counts) IS DISTINCT FROM (s.answered, s.correct, s.counts)
                """,
                {"ids": question_ids},
            )
            cursor.execute(
                """
                UPDATE materials m
                SET question_count = (SELECT count(*) FROM questions q WHERE q.material_id = m.id),
                    chunk_count = (SELECT count(*) FROM material_chunks c WHERE c.material_id = m.id)
                WHERE m.id = ANY(%s)
                """,
                [material_ids],
            )

    def summary(self) -> str:
        with rls_context(role=ROLE_SYSTEM):
            counts = {
                "users": User.objects.count(),
                "materials": Material.objects.count(),
                "questions": Question.objects.count(),
                "chunks": MaterialChunk.objects.count(),
                "option rows": QuestionOption.objects.count(),
                "attempts": UserQuestionAttempt.objects.count(),
                "progress rows": UserProgress.objects.count(),
                "mastery rows": MasteryLevel.objects.count(),
                "practice sessions": PracticeSession.objects.count(),
                "study sessions": StudySession.objects.count(),
            }
        return "demo data: " + ", ".join(f"{n:,} {name}" for name, n in counts.items())

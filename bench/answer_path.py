"""Answer submission through Django against the same SQL run directly.

    .venv/bin/python bench/answer_path.py [--answers 2000] [--attempts 1000000] [--profile]

On a scratch database (migrated, seeded with `seed_demo --users 200 --questions 5000
--attempts 1000000`, dropped after) on the configured server, the demo student answers
`--answers` block questions each way, each a new item, one at a time, the ways taking turns
in rounds of 50 after a warm-up:

- django: `django.test.Client`, logged in, POSTs the answer form (urlencoded, as a browser
  sends it) to the real URL: the whole stack, with middleware, the session in Redis, the user
  lookup, row-level security, the view, the form and `answer_submit`;
- raw: psycopg runs the same SQL in a loop, one transaction per answer, with the same Python
  scheduling and reward rules between the statements: the statements the Django request sends,
  taken from the code that sends them (`USER_SQL`, `RLS_SET_SQL`, the answer's savepoint,
  `ANSWER_LOCK`, `ANSWER_ITEM_WRITE`, `ATTEMPT_RECORD`, `PROGRESS_RECORD`, `CARD_WRITE`,
  `STATE_READ`, `REWARD_WRITE`, and `MILESTONES_REACH` when the topic's mastery is at the
  milestone mark), with the connection settings Django uses (server-side binding,
  prepared after 5 runs). The benchmark checks that the Django request sent exactly these;
- floor: the same client POSTs the same form to a view that only reads it and redirects
  (bench/floor_urls.py): what any logged-in POST costs before the answer's own work.

Prints the throughputs, the ratio django/raw, p50/p95 latency and the SQL statements of one
answer request (BEGIN and COMMIT included: each is a round trip).
Targets: <= 14 statements, django/raw >= 0.4, django p95 <= 10 ms. `--profile` adds a cProfile
of further Django answers (the functions with the most time of their own).
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studyin.settings")

from bench.common import seeded_database, stats  # noqa: E402

MAX_STATEMENTS, MIN_RATIO, MAX_P95_MS = 14, 0.4, 10.0


def _items(*, user, count: int) -> list[tuple]:
    """(session id, position, option count) of `count` unanswered questions, in new tutor
    blocks (untimed, so no clock ends them mid-run) started the way the builder starts them."""
    from practice import services
    from practice.selectors import BLOCK_SIZE_MAX, BlockFilters
    from studyin.rls import rls_context

    items = []
    with rls_context(user_id=user.pk):
        while len(items) < count:
            session = services.block_start(user=user, filters=BlockFilters(size=BLOCK_SIZE_MAX))
            items.extend(
                (session.pk, item.question_order, len(item.question.options))
                for item in session.items.select_related("question")
            )
    return items[:count]


class DjangoPath:
    """The student's browser: the test client, logged in, POSTs the answer form to the real URL."""

    def __init__(self, *, user, rng):
        from django.test import Client

        self.client = Client(HTTP_HOST="localhost")  # DEBUG is off: "testserver" is not an allowed host
        self.client.force_login(user)
        self.rng = rng

    def answer(self, session_id, position: int, options: int) -> float:
        from urllib.parse import urlencode

        from django.urls import reverse

        url = reverse("practice:answer", args=[session_id, position])
        body = urlencode({"choice": self.rng.randrange(options), "confidence": self.rng.randint(1, 5)})
        started = time.perf_counter()
        response = self.client.post(url, body, content_type="application/x-www-form-urlencoded")
        elapsed = time.perf_counter() - started
        if response.status_code != 302 or response.url != reverse("practice:question", args=[session_id, position]):
            raise RuntimeError(f"answer refused: {response.status_code} {response.get('Location')}")
        # The browser follows the redirect, and the question page shows (and so consumes) the
        # message of what the answer earned; the client does not, so it drops the message itself.
        self.client.cookies.pop("messages", None)
        return elapsed

    def statements(self, item: tuple) -> tuple[list[str], list[str]]:
        """The statements of one answer request: as logged (BEGIN and COMMIT included), and
        as sent to psycopg (the SQL text alone, placeholders and all)."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        sent = []

        def capture(execute, sql, params, many, context):
            sent.append(sql)
            return execute(sql, params, many, context)

        with CaptureQueriesContext(connection) as queries, connection.execute_wrapper(capture):
            self.answer(*item)
        return [q["sql"] for q in queries.captured_queries], sent


class RawPath:
    """The Django request's SQL, sent by psycopg in a loop, with the same Python in between (the
    scheduler and the reward rules): the user lookup, the row-level security context, the
    savepoint, the lock, each app's statements, one transaction each, with the connection
    settings Django uses (server-side binding, statements prepared after their fifth run)."""

    def __init__(self, *, user, rng):
        import psycopg
        from django.conf import settings

        from studyin.scratchdb import database_url

        self.user, self.rng = user, rng
        db = settings.DATABASES["default"]
        self.conn = psycopg.connect(database_url(db["NAME"]), autocommit=False)
        self.conn.prepare_threshold = db["OPTIONS"].get("prepare_threshold")

    @staticmethod
    def statements() -> list[str]:
        from accounts.backends import USER_SQL
        from gamification.services import REWARD_WRITE, STATE_READ
        from practice.services import ANSWER_ITEM_WRITE, ANSWER_LOCK
        from progress.services import CARD_WRITE, PROGRESS_RECORD
        from questions.answers import ATTEMPT_RECORD
        from studyin.rls import RLS_SET_SQL

        return [USER_SQL, RLS_SET_SQL, ANSWER_LOCK, ANSWER_ITEM_WRITE, ATTEMPT_RECORD, PROGRESS_RECORD, CARD_WRITE,
                STATE_READ, REWARD_WRITE]  # fmt: skip

    def answer(self, session_id, position: int, options: int) -> float:
        import json
        import uuid

        from django.utils import timezone

        from coach.paths import MILESTONE_MASTERY, MILESTONE_MIN_ANSWERS, MILESTONES_REACH
        from gamification.services import StudentState, level_for, reward_decide
        from practice.services import ATTEMPT_TYPES, MAX_SECONDS_PER_ANSWER, _Locked
        from progress.scheduling import CardState, grade_for, review
        from progress.services import CARD_COLUMNS
        from questions.answers import RecordedAnswer

        user_sql, rls_sql, lock_sql, item_sql, attempt_sql, progress_sql, card_sql, state_sql, reward_sql = (
            self.statements()
        )
        user = self.user
        selected, confidence = self.rng.randrange(options), self.rng.randint(1, 5)
        started = time.perf_counter()
        now = timezone.now()
        with self.conn.cursor() as cur:
            if cur.execute(user_sql, [user.pk]).fetchone() is None:
                raise RuntimeError("no such user")
            cur.execute(rls_sql, [str(user.pk), ""])
            cur.execute("SAVEPOINT answer")
            row = cur.execute(lock_sql, {"session": session_id, "position": position, "user": user.pk}).fetchone()
            locked = _Locked(*row)
            if locked.answered_at is not None:
                raise RuntimeError(f"item {session_id}/{position} answered already")
            showing = (now - locked.shown_at).total_seconds() if locked.shown_at else 0
            answer = RecordedAnswer(
                user_id=user.pk, question_id=locked.question_id, topic=locked.topic, difficulty=locked.difficulty,
                selected_index=selected, is_correct=selected == locked.correct_index, confidence=confidence,
                seconds=max(0, min(int(locked.viewed_seconds + showing), MAX_SECONDS_PER_ANSWER)), answered_at=now,
                attempt_type=str(ATTEMPT_TYPES[locked.session_type]), session_id=session_id,
            )  # fmt: skip
            correct = int(answer.is_correct)
            cur.execute(item_sql, {"item": locked.item_id, "session": session_id, "selected": selected,
                                   "confidence": confidence, "is_correct": answer.is_correct, "correct": correct,
                                   "seconds": answer.seconds, "now": now})  # fmt: skip
            cur.fetchone()
            cur.execute(attempt_sql, {
                "user": user.pk, "question": answer.question_id, "selected": selected, "slot": selected + 1,
                "is_correct": answer.is_correct, "correct": correct, "confidence": confidence,
                "seconds": answer.seconds, "attempt_type": answer.attempt_type, "session": session_id, "now": now,
            })  # fmt: skip
            params = {"user": user.pk, "question": answer.question_id, "topic": answer.topic, "correct": correct,
                      "confidence": confidence, "seconds": answer.seconds, "now": now}  # fmt: skip
            answered, mastery, scheduler, retention, card_id, *columns = cur.execute(progress_sql, params).fetchone()
            before = CardState(**dict(zip(CARD_COLUMNS, columns, strict=True))) if card_id else CardState()
            card_id = card_id or uuid.uuid4()
            after = review(before, grade_for(is_correct=answer.is_correct, confidence=confidence), now,
                           scheduler=scheduler, card_id=card_id, desired_retention=retention)  # fmt: skip
            cur.execute(card_sql, {**params, "id": card_id, "next_review_date": after.due.date(), **after.__dict__})
            reached = []
            if answered >= MILESTONE_MIN_ANSWERS and mastery >= MILESTONE_MASTERY:  # as milestones_reach
                reached = [t for t, _ in cur.execute(MILESTONES_REACH, {"user": user.pk, "topic": answer.topic,
                                                                        "now": now}).fetchall()]  # fmt: skip
            xp, _, streak, freezes, goal, today, hour, today_seconds, goal_met, last_day, catalogue = cur.execute(
                state_sql, {"user": user.pk, "now": now}
            ).fetchone()
            state = StudentState(xp=xp, streak=streak, freezes=freezes, goal_minutes=goal, today=today, hour=hour,
                                 today_seconds=today_seconds, goal_met=bool(goal_met), last_day=last_day,
                                 catalogue=catalogue)  # fmt: skip
            decision = reward_decide(state, answer, topic_answered=answered, topic_mastery=mastery, milestones=reached)
            cur.execute(reward_sql, {
                "user": user.pk, "now": now, "ledger": json.dumps(decision.ledger), "days": json.dumps(decision.days),
                "achievements": json.dumps(decision.progress), "gained": state.xp - xp, "level": level_for(state.xp),
                "streak": state.streak, "freezes": state.freezes,
            })  # fmt: skip
            cur.execute("RELEASE SAVEPOINT answer")
        self.conn.commit()
        return time.perf_counter() - started


class FloorPath(DjangoPath):
    """The same client POSTing the same form to a view that only reads it and redirects: what
    any logged-in POST costs here (middleware, the session, the user lookup, the request's
    transaction), before the answer's own work."""

    def answer(self, session_id, position: int, options: int) -> float:
        started = time.perf_counter()
        response = self.client.post(
            "/bench/floor/", "choice=0&confidence=3", content_type="application/x-www-form-urlencoded"
        )
        elapsed = time.perf_counter() - started
        if response.status_code != 302:
            raise RuntimeError(f"floor request refused: {response.status_code}")
        return elapsed


def _profile(path: DjangoPath, items: list[tuple]) -> str:
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for item in items:
        path.answer(*item)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sortstats("tottime").printstats(25)
    stats.sortstats("cumulative").printstats(40)
    return out.getvalue()


def run(*, answers: int, warmup: int, profile: int = 0, round_size: int = 50) -> dict:
    """In a process whose database is the scratch one, seeded: the paths answer for the demo
    student in turns of `round_size` answers, so a change in the machine's load (two cores,
    shared) weighs on all of them alike."""
    import random

    from django.conf import settings
    from django.test import override_settings

    from accounts.models import User
    from demo.management.commands.seed_demo import DEMO_EMAIL
    from studyin.rls import ROLE_SYSTEM, rls_context

    if settings.DEBUG:
        raise RuntimeError("DEBUG is on: Django would record every query and run slower than in production.")
    override_settings(ROOT_URLCONF="bench.floor_urls").enable()  # the site's URLs, and the floor's view
    with rls_context(role=ROLE_SYSTEM):
        user = User.objects.get(email=DEMO_EMAIL)
    rng = random.Random(42)
    django_path = DjangoPath(user=user, rng=rng)
    raw_path = RawPath(user=user, rng=rng)
    paths = {"django": django_path, "raw": raw_path, "floor": FloorPath(user=user, rng=rng)}
    items = iter(_items(user=user, count=len(paths) * (warmup + answers) + 1 + profile))
    for path in paths.values():
        for _ in range(warmup):
            path.answer(*next(items))
    statements, sent = django_path.statements(next(items))
    sent = [sql for sql in sent if sql.split()[0] not in ("SAVEPOINT", "RELEASE")]  # named per request
    from coach.paths import MILESTONES_REACH
    from progress.services import CARD_WRITE

    expected = raw_path.statements()
    if any(" ".join(sql.split()) == " ".join(MILESTONES_REACH.split()) for sql in sent):
        expected.insert(expected.index(CARD_WRITE) + 1, MILESTONES_REACH)  # this answer reached the mark
    if [" ".join(sql.split()) for sql in sent] != [" ".join(sql.split()) for sql in expected]:
        raise RuntimeError("the Django request sent other SQL than the raw path runs:\n" + "\n".join(sent))
    latencies = {name: [] for name in paths}
    for done in range(0, answers, round_size):
        for name, path in paths.items():
            latencies[name].extend(path.answer(*next(items)) for _ in range(min(round_size, answers - done)))
    result = {name: stats(values) for name, values in latencies.items()}
    result["statements"] = statements
    if profile:
        result["profile"] = _profile(django_path, [next(items) for _ in range(profile)])
    raw_path.conn.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--answers", type=int, default=2000, help="timed answers on each path")
    parser.add_argument("--warmup", type=int, default=100, help="untimed answers first, on each path")
    parser.add_argument("--attempts", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--questions", type=int, default=5000)
    parser.add_argument("--profile", type=int, nargs="?", const=300, default=0, help="profile N more Django answers")
    args = parser.parse_args()

    import django

    django.setup()
    from studyin.scratchdb import run_django

    with seeded_database(users=args.users, questions=args.questions, attempts=args.attempts) as url:
        script = (
            "import json; from bench.answer_path import run\n"
            f"print('RESULT', json.dumps(run(answers={args.answers}, warmup={args.warmup}, profile={args.profile})))"
        )
        result = run_django(url, script, timeout=3600)
    if result.returncode:
        sys.exit(result.stdout + result.stderr)
    r = json.loads(result.stdout.split("RESULT ", 1)[1])
    django_path, raw, statements = r["django"], r["raw"], r["statements"]
    ratio = django_path["per_s"] / raw["per_s"]
    for name, s in (("django", django_path), ("raw psycopg", raw), ("django floor", r["floor"])):
        print(f"{name:<12} {s['n']:>5} requests {s['per_s']:7.1f} per s  "
              f"p50 {s['p50_ms']:6.2f} ms  p95 {s['p95_ms']:6.2f} ms")  # fmt: skip
    print(
        f"(django floor: the same POST to a view that only reads the form, {r['floor']['p50_ms']:.2f} ms at p50, "
        f"{r['floor']['p50_ms'] / raw['p50_ms']:.2f}x a whole raw answer, before any of the answer's own work)"
    )
    checks = [
        (f"SQL statements per answer, BEGIN and COMMIT included: {len(statements)} (target <= {MAX_STATEMENTS})",
         len(statements) <= MAX_STATEMENTS),
        (f"throughput django/raw: {ratio:.2f} (target >= {MIN_RATIO})", ratio >= MIN_RATIO),
        (f"django p95: {django_path['p95_ms']:.2f} ms (target <= {MAX_P95_MS:g} ms)", django_path["p95_ms"] <= MAX_P95_MS),
    ]  # fmt: skip
    for text, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    print("statements of one answer request:")
    for i, sql in enumerate(statements, 1):
        print(f"  {i:2}. {' '.join(sql.split())[:110]}")
    if r.get("profile"):
        print(r["profile"])
    print("PASS" if all(ok for _, ok in checks) else "FAIL")


if __name__ == "__main__":
    main()

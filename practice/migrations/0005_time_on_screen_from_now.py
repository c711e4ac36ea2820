"""Blocks under way when time on screen came: only the question a block shows is on screen.

Before 0004, `shown_at` meant "first shown" and stayed set on every question shown once; read as
"on screen since", it would add the time since then to the first answer of each. The running
showing of every other unanswered question is ended here (nothing banked: it was not counted
before either)."""

from django.db import migrations

END_OTHER_SHOWINGS = """
SELECT set_config('app.role', 'system', true);
UPDATE practice_session_questions i SET shown_at = NULL
FROM practice_sessions s
WHERE s.id = i.session_id AND i.answered_at IS NULL AND i.shown_at IS NOT NULL
  AND i.question_order <> s.current_position;
"""


class Migration(migrations.Migration):
    dependencies = [("practice", "0004_time_on_screen")]

    operations = [migrations.RunSQL(END_OTHER_SHOWINGS, reverse_sql=migrations.RunSQL.noop)]

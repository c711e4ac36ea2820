from django.db import migrations

from studyin.rls_sql import child_policies, drop_policies, owner_policies


class Migration(migrations.Migration):
    dependencies = [("practice", "0001_initial"), ("accounts", "0002_row_level_security")]

    operations = [
        migrations.RunSQL(owner_policies("practice_sessions"), reverse_sql=drop_policies("practice_sessions")),
        migrations.RunSQL(
            child_policies("practice_session_questions", "practice_sessions", "session_id"),
            reverse_sql=drop_policies("practice_session_questions"),
        ),
    ]

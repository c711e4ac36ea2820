"""Attempts belong to their user. Questions themselves are shared content, not user rows."""

from django.db import migrations

from studyin.rls_sql import drop_policies, owner_policies


class Migration(migrations.Migration):
    dependencies = [("questions", "0002_fulltext_indexes"), ("accounts", "0002_row_level_security")]

    operations = [
        migrations.RunSQL(
            owner_policies("user_question_attempts"), reverse_sql=drop_policies("user_question_attempts")
        ),
    ]

from django.db import migrations

from studyin.rls_sql import drop_policies, owner_policies

TABLES = ["user_progress", "mastery_levels", "sm2_review_cards"]


class Migration(migrations.Migration):
    dependencies = [("progress", "0001_initial"), ("accounts", "0002_row_level_security")]

    operations = [migrations.RunSQL(owner_policies(t), reverse_sql=drop_policies(t)) for t in TABLES]

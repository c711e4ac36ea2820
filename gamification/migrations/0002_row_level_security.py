"""User rows only; the achievements catalogue is shared."""

from django.db import migrations

from studyin.rls_sql import drop_policies, owner_policies

TABLES = ["user_achievements", "xp_transactions", "user_streaks"]


class Migration(migrations.Migration):
    dependencies = [("gamification", "0001_initial"), ("accounts", "0002_row_level_security")]

    operations = [migrations.RunSQL(owner_policies(t), reverse_sql=drop_policies(t)) for t in TABLES]

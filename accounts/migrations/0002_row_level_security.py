"""Row-level security on the token tables, and the helper functions every policy uses.

A row is visible to the user in `app.current_user_id`, or to the narrow service roles
`staff` (the admin) and `system` (workers, operator commands) in `app.role`. The app's role owns
these tables, so FORCE ROW LEVEL SECURITY makes the policies apply to it too.
"""

from django.db import migrations

from studyin.rls_sql import DROP_HELPER_FUNCTIONS, HELPER_FUNCTIONS, drop_policies, owner_policies

TABLES = ["email_verification_tokens", "password_reset_tokens", "refresh_tokens"]


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.RunSQL(HELPER_FUNCTIONS, reverse_sql=DROP_HELPER_FUNCTIONS),
        *[migrations.RunSQL(owner_policies(t), reverse_sql=drop_policies(t)) for t in TABLES],
    ]

"""Who sees which question (README, "Question bank"): a student sees the questions written from
their own materials and every verified question; staff and workers (`staff`, `system`) see all.

"Own material" is `EXISTS (SELECT 1 FROM materials ...)`: the materials policy already limits
that subquery to the student's own rows. Only the owner of a question's material writes it or
its options and explanation; anyone who sees a question may count an answer to it (the
UPDATE of times_answered), and deleting a material may leave its answered questions with
material_id NULL. Flags belong to the student who raised them; the moderation history is staff's.
"""

from django.db import migrations

from studyin.rls_sql import SERVICE_ROLES, drop_policies, owner_policies

OWN_MATERIAL = "EXISTS (SELECT 1 FROM materials m WHERE m.id = questions.material_id)"
VISIBLE = f"(is_verified OR {OWN_MATERIAL} OR {SERVICE_ROLES})"
OWNED = f"({OWN_MATERIAL} OR {SERVICE_ROLES})"

QUESTIONS = f"""
ALTER TABLE questions ENABLE ROW LEVEL SECURITY;
ALTER TABLE questions FORCE ROW LEVEL SECURITY;
CREATE POLICY questions_select ON questions FOR SELECT USING {VISIBLE};
CREATE POLICY questions_insert ON questions FOR INSERT WITH CHECK {OWNED};
CREATE POLICY questions_update ON questions FOR UPDATE USING {VISIBLE} WITH CHECK ({VISIBLE} OR material_id IS NULL);
CREATE POLICY questions_delete ON questions FOR DELETE USING {OWNED};
"""
DROP_QUESTIONS = """
DROP POLICY questions_select ON questions;
DROP POLICY questions_insert ON questions;
DROP POLICY questions_update ON questions;
DROP POLICY questions_delete ON questions;
ALTER TABLE questions NO FORCE ROW LEVEL SECURITY;
ALTER TABLE questions DISABLE ROW LEVEL SECURITY;
"""


def _question_child(table: str) -> str:
    parent_visible = f"EXISTS (SELECT 1 FROM questions q WHERE q.id = {table}.question_id)"
    parent_owned = (
        f"EXISTS (SELECT 1 FROM questions q JOIN materials m ON m.id = q.material_id WHERE q.id = {table}.question_id)"
    )
    return f"""
ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
CREATE POLICY {table}_select ON {table} FOR SELECT USING ({parent_visible});
CREATE POLICY {table}_write ON {table} FOR ALL USING ({parent_owned} OR {SERVICE_ROLES})
    WITH CHECK ({parent_owned} OR {SERVICE_ROLES});
"""


def _drop_question_child(table: str) -> str:
    return f"""
DROP POLICY {table}_select ON {table};
DROP POLICY {table}_write ON {table};
ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY;
ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;
"""


MODERATION = f"""
ALTER TABLE question_moderation_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE question_moderation_events FORCE ROW LEVEL SECURITY;
CREATE POLICY question_moderation_events_service ON question_moderation_events
    USING ({SERVICE_ROLES}) WITH CHECK ({SERVICE_ROLES});
"""
DROP_MODERATION = """
DROP POLICY question_moderation_events_service ON question_moderation_events;
ALTER TABLE question_moderation_events NO FORCE ROW LEVEL SECURITY;
ALTER TABLE question_moderation_events DISABLE ROW LEVEL SECURITY;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("questions", "0004_flags_moderation_and_answer_counts"),
        ("materials", "0005_material_pages_row_level_security"),
    ]

    operations = [
        migrations.RunSQL(QUESTIONS, reverse_sql=DROP_QUESTIONS),
        *[
            migrations.RunSQL(_question_child(t), reverse_sql=_drop_question_child(t))
            for t in ("question_options", "question_explanations")
        ],
        migrations.RunSQL(owner_policies("question_flags"), reverse_sql=drop_policies("question_flags")),
        migrations.RunSQL(MODERATION, reverse_sql=DROP_MODERATION),
    ]

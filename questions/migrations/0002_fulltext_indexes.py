from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("questions", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX idx_questions_vignette_search ON questions USING GIN (to_tsvector('english', vignette))",
            reverse_sql="DROP INDEX idx_questions_vignette_search",
        ),
    ]

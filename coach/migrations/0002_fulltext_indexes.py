from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("coach", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX idx_messages_content_search ON chat_messages USING GIN (to_tsvector('english', content))",
            reverse_sql="DROP INDEX idx_messages_content_search",
        ),
    ]

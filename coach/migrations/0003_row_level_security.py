from django.db import migrations

from studyin.rls_sql import child_policies, drop_policies, owner_policies


class Migration(migrations.Migration):
    dependencies = [("coach", "0002_fulltext_indexes"), ("accounts", "0002_row_level_security")]

    operations = [
        migrations.RunSQL(owner_policies("chat_conversations"), reverse_sql=drop_policies("chat_conversations")),
        migrations.RunSQL(
            child_policies("chat_messages", "chat_conversations", "conversation_id"),
            reverse_sql=drop_policies("chat_messages"),
        ),
        migrations.RunSQL(owner_policies("learning_paths"), reverse_sql=drop_policies("learning_paths")),
        migrations.RunSQL(
            child_policies("learning_path_milestones", "learning_paths", "learning_path_id"),
            reverse_sql=drop_policies("learning_path_milestones"),
        ),
    ]

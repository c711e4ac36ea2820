"""Each question's organ system (the progress page's accuracy by system), classified for the
questions there are from their answer and vignette, a thousand at a time."""

from django.db import migrations, models

BATCH = 1000


def organ_systems_classify(apps, schema_editor):
    from medtext.vocabulary import organ_system

    Question = apps.get_model("questions", "Question")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT set_config('app.role', 'system', true)")  # every student's questions
    after = None
    while True:
        rows = Question.objects.filter(organ_system__isnull=True).order_by("id")
        if after is not None:
            rows = rows.filter(id__gt=after)
        batch = list(rows.only("id", "vignette", "options", "correct_index")[:BATCH])
        if not batch:
            return
        for question in batch:
            options = question.options or []
            answer = options[question.correct_index] if 0 <= question.correct_index < len(options) else ""
            question.organ_system = organ_system(str(answer), question.vignette)
        Question.objects.bulk_update(batch, ["organ_system"])
        after = batch[-1].id


class Migration(migrations.Migration):
    dependencies = [
        ("materials", "0006_job_claims_and_leases"),
        ("questions", "0006_item_quality"),
    ]

    operations = [
        migrations.AddField(
            model_name="question",
            name="organ_system",
            field=models.CharField(
                blank=True,
                choices=[
                    ("behavioral", "Behavioral health"),
                    ("cardiovascular", "Cardiovascular"),
                    ("endocrine", "Endocrine"),
                    ("gastrointestinal", "Gastrointestinal"),
                    ("hematologic", "Blood & lymphoreticular"),
                    ("immune", "Immune"),
                    ("integumentary", "Skin & subcutaneous tissue"),
                    ("multisystem", "Multisystem processes"),
                    ("musculoskeletal", "Musculoskeletal"),
                    ("nervous", "Nervous system & special senses"),
                    ("renal", "Renal & urinary"),
                    ("reproductive", "Reproductive"),
                    ("respiratory", "Respiratory"),
                ],
                max_length=20,
                null=True,
            ),
        ),
        migrations.AddConstraint(
            model_name="question",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("organ_system__isnull", True),
                    (
                        "organ_system__in",
                        [
                            "behavioral",
                            "cardiovascular",
                            "endocrine",
                            "gastrointestinal",
                            "hematologic",
                            "immune",
                            "integumentary",
                            "multisystem",
                            "musculoskeletal",
                            "nervous",
                            "renal",
                            "reproductive",
                            "respiratory",
                        ],
                    ),
                    _connector="OR",
                ),
                name="questions_organ_system_valid",
            ),
        ),
        migrations.RunPython(organ_systems_classify, migrations.RunPython.noop, elidable=True),
    ]

"""Seed 000's eight achievements. Re-running (or reversing and re-applying) is safe."""

from django.db import migrations

ACHIEVEMENTS = [
    (
        "first_question",
        "First Steps",
        "Answer your first question",
        "🎯",
        "milestone",
        10,
        {"questions_answered": 1},
        "common",
    ),
    ("streak_7", "Week Warrior", "Maintain a 7-day study streak", "🔥", "streak", 50, {"streak_days": 7}, "uncommon"),
    ("streak_30", "Monthly Master", "Maintain a 30-day study streak", "🏆", "streak", 200, {"streak_days": 30}, "rare"),
    (
        "perfect_10",
        "Perfect Score",
        "Answer 10 questions in a row correctly",
        "💯",
        "mastery",
        100,
        {"correct_streak": 10},
        "epic",
    ),
    (
        "speed_demon",
        "Speed Demon",
        "Answer a question in under 30 seconds",
        "⚡",
        "speed",
        25,
        {"time_under_seconds": 30},
        "uncommon",
    ),
    ("night_owl", "Night Owl", "Study after midnight", "🦉", "special", 15, {"study_hour_after": 0}, "common"),
    ("early_bird", "Early Bird", "Study before 6 AM", "🐦", "special", 15, {"study_hour_before": 6}, "common"),
    (
        "master_anatomy",
        "Anatomy Master",
        "Achieve 90% mastery in Anatomy",
        "🧠",
        "mastery",
        150,
        {"topic": "Anatomy", "mastery_percentage": 90},
        "rare",
    ),
]


def load(apps, schema_editor):
    Achievement = apps.get_model("gamification", "Achievement")
    for code, name, description, icon, category, xp_reward, conditions, rarity in ACHIEVEMENTS:
        Achievement.objects.update_or_create(
            code=code,
            defaults=dict(
                name=name,
                description=description,
                icon=icon,
                category=category,
                xp_reward=xp_reward,
                unlock_conditions=conditions,
                rarity=rarity,
            ),
        )


def unload(apps, schema_editor):
    apps.get_model("gamification", "Achievement").objects.filter(code__in=[a[0] for a in ACHIEVEMENTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("gamification", "0002_row_level_security")]

    operations = [migrations.RunPython(load, unload)]

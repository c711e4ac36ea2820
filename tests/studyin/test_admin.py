import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.audit import audit_record
from accounts.models import AuditAction, User
from analytics.models import StudySessionRow
from questions.models import Question, QuestionFlag, QuestionModerationEvent
from tests import factories

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)


def _changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


@pytest.fixture
def staff_client(client, staff_member):
    client.force_login(staff_member)
    return client


@pytest.fixture
def question():
    question = factories.QuestionFactory()
    for index, text in enumerate(question.options):
        factories.QuestionOptionFactory(question=question, option_index=index, option_text=text)
    factories.QuestionExplanationFactory(question=question)
    return question


@pytest.fixture
def one_of_each(student, question):
    """A row for every registered model, all owned by the student: the staff role must see them."""
    material = factories.MaterialFactory(user=student)
    factories.MaterialChunkFactory(material=material)
    factories.MaterialPageFactory(material=material)
    factories.MaterialProcessingJobFactory(material=material)
    factories.MaterialTagFactory(material=material)
    factories.AttemptFactory(user=student, question=question)
    factories.PracticeSessionQuestionFactory(session=factories.PracticeSessionFactory(user=student), question=question)
    factories.MessageFactory(conversation=factories.ConversationFactory(user=student))
    factories.MilestoneFactory(learning_path=factories.LearningPathFactory(user=student))
    factories.UserProgressFactory(user=student, question=question)
    factories.MasteryLevelFactory(user=student)
    factories.ReviewCardFactory(user=student, question=question)
    factories.UserAchievementFactory(user=student)
    factories.XPTransactionFactory(user=student)
    factories.UserStreakFactory(user=student)
    factories.EmailVerificationTokenFactory(user=student)
    factories.PasswordResetTokenFactory(user=student)
    factories.RefreshTokenFactory(user=student)
    factories.StudySessionFactory(user=student)
    factories.PerformanceMetricFactory(user=student)
    factories.RetentionAnalyticFactory(user=student)
    QuestionFlag.objects.create(question=question, user=student, reason="typo")
    QuestionModerationEvent.objects.create(question=question, action="verify", details={"is_verified": [False, True]})
    Group.objects.create(name="Moderators")
    audit_record(action=AuditAction.PASSWORD_RESET, subject=student)


def _form_data(response) -> dict:
    """The POST a browser would send back for an admin change page, as rendered."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update({f"{formset.prefix}-{key}": value for key, value in formset.management_form.initial.items()})
        forms += formset.forms
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is not None:
                data[form.add_prefix(name)] = value
                if form.fields[name].show_hidden_initial:  # fields with a callable default
                    data[form.add_initial_prefix(name)] = value
    return data


@pytest.mark.parametrize("model", REGISTERED, ids=[model._meta.label for model in REGISTERED])
def test_every_changelist_lists_the_rows(staff_client, one_of_each, model):
    response = staff_client.get(_changelist(model))
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1


@pytest.mark.parametrize("model", REGISTERED, ids=[model._meta.label for model in REGISTERED])
def test_every_change_page_renders(staff_client, one_of_each, model):
    obj = model._default_manager.order_by("pk").first()
    opts = model._meta
    response = staff_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
    assert response.status_code == 200


def test_the_analytics_tables_are_read_only(staff_client, one_of_each):
    model_admin = admin.site._registry[StudySessionRow]
    request = staff_client.get(_changelist(StudySessionRow)).wsgi_request
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_the_question_change_page_shows_its_options_and_explanation(staff_client, question):
    response = staff_client.get(reverse("admin:questions_question_change", args=[question.pk]))
    assert response.status_code == 200
    inlines = response.context["inline_admin_formsets"]
    assert [len(inline.formset.forms) for inline in inlines] == [5, 1]


def test_editing_an_option_row_rewrites_the_options_json(staff_client, question):
    url = reverse("admin:questions_question_change", args=[question.pk])
    data = _form_data(staff_client.get(url))
    data["option_rows-1-option_text"] = "Sublingual nitroglycerin"
    response = staff_client.post(url, data)
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.options[1] == "Sublingual nitroglycerin"
    assert question.option_rows.get(option_index=1).option_text == "Sublingual nitroglycerin"


def test_a_correct_index_past_the_options_is_a_form_error(staff_client, question):
    url = reverse("admin:questions_question_change", args=[question.pk])
    data = _form_data(staff_client.get(url)) | {"correct_index": 7}
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert "correct_index" in response.context["adminform"].form.errors
    question.refresh_from_db()
    assert question.correct_index == 0


@pytest.mark.parametrize(
    ("action", "field", "before", "after"),
    [
        ("verify", "is_verified", False, True),
        ("flag", "is_flagged", False, True),
        ("unflag", "is_flagged", True, False),
    ],
)
def test_moderation_actions_update_the_selected_questions(staff_client, action, field, before, after):
    chosen = [factories.QuestionFactory(**{field: before}) for _ in range(2)]
    other = factories.QuestionFactory(**{field: before})
    response = staff_client.post(
        _changelist(Question), {"action": action, "_selected_action": [q.pk for q in chosen]}, follow=True
    )
    assert response.status_code == 200
    assert "2 question(s)" in str(list(response.context["messages"])[0])
    assert set(Question.objects.filter(**{field: after}).values_list("pk", flat=True)) == {q.pk for q in chosen}
    other.refresh_from_db()
    assert getattr(other, field) is before


def test_staff_can_add_a_user_with_a_password(staff_client):
    response = staff_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": " New.Person@Example.com",
            "name": "New Person",
            "password1": "tachy-brady-42",
            "password2": "tachy-brady-42",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.com")
    assert user.check_password("tachy-brady-42")


def test_adding_a_user_with_a_taken_email_is_a_form_error(staff_client, student):
    response = staff_client.post(
        reverse("admin:accounts_user_add"),
        {"email": student.email.upper(), "name": "Copy", "password1": "tachy-brady-42", "password2": "tachy-brady-42"},
    )
    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors
    assert User.objects.filter(email=student.email).count() == 1


def test_the_user_change_page_renders(staff_client, student):
    response = staff_client.get(reverse("admin:accounts_user_change", args=[student.pk]))
    assert response.status_code == 200


def test_a_student_is_sent_to_the_admin_login(student_client):
    response = student_client.get(_changelist(Question))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))

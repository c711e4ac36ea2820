import pytest
from django.template import Context, Template
from django.urls import reverse

from questions import services
from questions.models import FlagReason, FlagStatus, Question, QuestionFlag, QuestionModerationEvent
from tests import factories

pytestmark = pytest.mark.django_db

THANKS = "Thanks — staff will review this question."


@pytest.fixture
def question():
    return factories.QuestionFactory(is_verified=True)


def _flag_url(question) -> str:
    return reverse("questions:flag", args=[question.pk])


def test_a_student_flags_a_question_they_can_see(student_client, student, question):
    response = student_client.post(
        _flag_url(question), {"reason": "incorrect_answer", "comment": "Morphine is keyed wrong", "next": "/practice/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/practice/"
    flag = QuestionFlag.objects.get()
    assert (flag.question, flag.user, flag.reason, flag.comment, flag.status) == (
        question,
        student,
        "incorrect_answer",
        "Morphine is keyed wrong",
        FlagStatus.OPEN,
    )
    question.refresh_from_db()
    assert question.is_flagged


def test_without_next_it_goes_back_to_the_referer_with_a_message(student_client, question):
    response = student_client.post(
        _flag_url(question), {"reason": "typo"}, HTTP_REFERER="http://testserver/materials/", follow=True
    )
    assert response.redirect_chain[0] == ("http://testserver/materials/", 302)
    assert THANKS in [str(m) for m in response.context["messages"]]
    assert QuestionFlag.objects.filter(status=FlagStatus.OPEN).count() == 1


def test_a_next_on_another_site_is_ignored(student_client, question):
    response = student_client.post(_flag_url(question), {"reason": "typo", "next": "https://evil.example/"})
    assert response["Location"] == reverse("home")


def test_flagging_again_updates_the_one_open_flag(student_client, student, question):
    student_client.post(_flag_url(question), {"reason": "typo", "comment": ""})
    student_client.post(_flag_url(question), {"reason": "unclear", "comment": "Which patient?"})
    flag = QuestionFlag.objects.get(user=student)
    assert (flag.reason, flag.comment, flag.status) == ("unclear", "Which patient?", FlagStatus.OPEN)


def test_after_a_flag_is_resolved_a_new_report_opens_a_new_flag(student_client, student, question, staff_member):
    services.question_flag(user=student, question=question, reason="typo")
    services.questions_unflag(staff=staff_member, questions=Question.objects.filter(pk=question.pk))
    student_client.post(_flag_url(question), {"reason": "outdated"})
    assert sorted(QuestionFlag.objects.values_list("status", "reason")) == [("open", "outdated"), ("resolved", "typo")]
    question.refresh_from_db()
    assert question.is_flagged


def test_a_student_may_flag_an_unverified_question_from_their_own_material(student_client, student):
    question = factories.QuestionFactory(material=factories.MaterialFactory(user=student), is_verified=False)
    response = student_client.post(_flag_url(question), {"reason": "not_from_material"})
    assert response.status_code == 302
    assert QuestionFlag.objects.filter(question=question, user=student).exists()


@pytest.mark.parametrize("owner", ["peer", None])
def test_a_student_cannot_flag_a_question_they_cannot_see(request, student_client, owner):
    material = factories.MaterialFactory(user=request.getfixturevalue(owner)) if owner else None
    hidden = factories.QuestionFactory(material=material, is_verified=False)
    response = student_client.post(_flag_url(hidden), {"reason": "typo"})
    assert response.status_code == 404
    assert not QuestionFlag.objects.exists()
    hidden.refresh_from_db()
    assert not hidden.is_flagged


def test_the_service_refuses_a_question_the_user_cannot_see(student, peer):
    hidden = factories.QuestionFactory(material=factories.MaterialFactory(user=peer), is_verified=False)
    with pytest.raises(services.QuestionNotVisible):
        services.question_flag(user=student, question=hidden, reason="typo")
    assert issubclass(services.QuestionNotVisible, ValueError)
    assert not QuestionFlag.objects.exists()


def test_a_bad_reason_is_a_form_error(student_client, question):
    response = student_client.post(_flag_url(question), {"reason": "rude", "next": "/practice/"})
    assert response.status_code == 200
    assert "reason" in response.context["flag_form"].errors
    assert 'name="next" value="/practice/"' in response.content.decode()
    assert not QuestionFlag.objects.exists()
    question.refresh_from_db()
    assert not question.is_flagged


def test_a_too_long_comment_is_a_form_error(student_client, question):
    response = student_client.post(_flag_url(question), {"reason": "other", "comment": "x" * 1001})
    assert response.status_code == 200
    assert "comment" in response.context["flag_form"].errors
    assert not QuestionFlag.objects.exists()


def test_htmx_gets_the_partial_back(student_client, question):
    response = student_client.post(_flag_url(question), {"reason": "typo"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert [t.name for t in response.templates] == ["questions/_flag.html"]
    assert THANKS in response.content.decode()
    assert QuestionFlag.objects.filter(question=question).count() == 1


def test_htmx_gets_the_form_errors_in_the_partial(student_client, question):
    response = student_client.post(_flag_url(question), {"reason": "rude"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "questions/_flag.html"
    assert "errorlist" in response.content.decode()
    assert not QuestionFlag.objects.exists()


def test_flagging_needs_a_login_and_a_post(client, student_client, question):
    assert student_client.get(_flag_url(question)).status_code == 405
    student_client.logout()
    response = client.post(_flag_url(question), {"reason": "typo"})
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert not QuestionFlag.objects.exists()


def test_the_flag_question_tag_renders_the_form_for_any_page(question):
    html = Template("{% load questions_tags %}{% flag_question question %}").render(Context({"question": question}))
    assert reverse("questions:flag", args=[question.pk]) in html
    for value, label in FlagReason.choices:
        assert f'<option value="{value}">{label}</option>' in html


def test_staff_unflagging_resolves_the_open_flags(question, student, peer, staff_member, client):
    services.question_flag(user=student, question=question, reason="typo")
    services.question_flag(user=peer, question=question, reason="unclear")
    dismissed = QuestionFlag.objects.create(question=question, user=peer, reason="other", status=FlagStatus.DISMISSED)
    client.force_login(staff_member)
    response = client.post(
        reverse("admin:questions_question_changelist"), {"action": "unflag", "_selected_action": [question.pk]}
    )
    assert response.status_code == 302
    question.refresh_from_db()
    assert not question.is_flagged
    resolved = QuestionFlag.objects.filter(status=FlagStatus.RESOLVED)
    assert {flag.user for flag in resolved} == {student, peer}
    assert all(flag.resolved_by == staff_member and flag.resolved_at for flag in resolved)
    dismissed.refresh_from_db()
    assert dismissed.status == FlagStatus.DISMISSED and dismissed.resolved_by is None
    event = QuestionModerationEvent.objects.get()
    assert (event.question, event.staff, event.action) == (question, staff_member, "unflag")
    assert event.details == {"is_flagged": [True, False], "resolved_flags": 2}

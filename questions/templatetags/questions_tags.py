from django import template

from questions.forms import FlagForm

register = template.Library()


@register.inclusion_tag("questions/_flag.html", takes_context=True)
def flag_question(context, question):
    """ "Report a problem" for a question, with an empty FlagForm (any page can include it)."""
    return {"question": question, "flag_form": FlagForm(question_id=question.pk), "request": context.get("request"),
            "csrf_token": context.get("csrf_token")}  # fmt: skip

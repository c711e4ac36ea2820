import pygal
from django import template

from analytics.charts import STYLE, Chart
from analytics.selectors import staff_overview

register = template.Library()


@register.simple_tag
def staff_numbers() -> dict:
    """The admin index's analytics: the last two weeks by day, a chart of them, the queues."""
    overview = staff_overview()
    days = overview["days"]
    chart = pygal.Bar(style=STYLE, js=[], disable_xml_declaration=True, width=860, height=260, margin=10,
                      legend_at_bottom=True, x_label_rotation=0, truncate_label=-1)  # fmt: skip
    chart.x_labels = [d.day.strftime("%d %b") for d in days]
    chart.add("Active students", [d.active_students for d in days])
    chart.add("Answers (hundreds)", [round(d.answers / 100, 1) for d in days])
    overview["chart"] = Chart("staff", "The last two weeks", "Active students and answers per day",
                              chart.render, [], [])  # fmt: skip
    return overview

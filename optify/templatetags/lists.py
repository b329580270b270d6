"""
Template tags of the list pages (templates/lists/).

`choice_checkboxes` writes a filter's ticked boxes in Python. Through the template engine each
box is a template of its own (`checkbox_option.html`, which includes `input.html`, which
includes `attrs.html`): with 30-odd boxes in the filter panel, that was a tenth of the
Engagements page's time. The HTML is the same as those templates' (Django's own: Optify does
not override them).
"""

from django import template
from django.utils.html import format_html, format_html_join

register = template.Library()


def _attrs(attrs):
    """As django/forms/widgets/attrs.html: `False` leaves an attribute out, `True` names it."""
    return format_html_join(
        "", "{}", ((format_html(" {}", name) if value is True
                    else format_html(' {}="{}"', name, value),)
                   for name, value in attrs.items() if value is not False),
    )


def input_tag(widget):
    """A widget's `<input>`, as django/forms/widgets/input.html writes it."""
    value = "" if widget["value"] is None else format_html(' value="{}"', widget["value"])
    return format_html('<input type="{}" name="{}"{}{}>', widget["type"], widget["name"], value,
                       _attrs(widget["attrs"]))


@register.simple_tag
def choice_checkboxes(field):
    """Each choice of a bound field as `<label class="check"><input …> label</label>`."""
    return format_html_join(
        "", '<label class="check">{} {}</label>',
        ((input_tag(choice.data), choice.choice_label) for choice in field.subwidgets),
    )

from django import template

from notifications.emails import render_rows

register = template.Library()


@register.simple_tag
def digest_rows(items, template_name):
    """`{% digest_rows items "emails/<row>.html" %}`: the row template once per item, fast."""
    return render_rows(template_name, items)

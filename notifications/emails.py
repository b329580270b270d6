import re
from html import escape  # Django's escape() is this, wrapped (slower) in SafeString

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context
from django.template.base import render_value_in_context
from django.template.loader import get_template, render_to_string
from django.utils.safestring import mark_safe


def build_email(name, *, to, context, headers=None, unsubscribe_url=None):
    """
    The one way Optify composes an email: emails/<name>-subject.txt, -body.txt and
    -body.html rendered with `context` (plus SITE_URL), as a multipart message.

    With `unsubscribe_url` (absolute), the message carries RFC 2369 `List-Unsubscribe` and
    RFC 8058 `List-Unsubscribe-Post` headers, so mail clients offer one-click unsubscribe
    (a POST to that URL), and the templates get it as `unsubscribe_url` for a visible link.
    """
    context = {"SITE_URL": settings.SITE_URL, "unsubscribe_url": unsubscribe_url, **context}
    headers = dict(headers or {})
    if unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    subject = " ".join(render_to_string(f"emails/{name}-subject.txt", context).split())
    text = render_to_string(f"emails/{name}-body.txt", context)
    html = render_to_string(f"emails/{name}-body.html", context)
    message = EmailMultiAlternatives(subject, text, to=[to], headers=headers)
    message.attach_alternative(html, "text/html")
    return message


def send_email(name, *, to, context, headers=None, unsubscribe_url=None):
    message = build_email(
        name, to=to, context=context, headers=headers, unsubscribe_url=unsubscribe_url
    )
    message.send()
    return message


class RowTemplate:
    """
    A row template (one `item` per render) that is rendered for hundreds of rows, fast: the
    output of rendering it for each row, byte for byte, at a fraction of the cost (an
    administrator's digest lists up to hundreds of engagements; the template engine's cost per
    variable made it the bulk of composing one).

    How: for each *variant* of a row — which fields are truthy, and the falsy values
    themselves — the template is rendered once with a marker in place of every truthy value.
    That yields the literal text around the fields, and for each field whether the template
    escaped it there (the marker contains "&"). A row is then that text joined with its own
    values, converted as Django converts a variable (`render_value_in_context`). So `{% if %}`
    and `|default` on a field work as in the template; the row template must otherwise output
    fields plainly — a filter that transforms a value (`|date`, `|upper`) is not supported
    (tests/notifications/test_row_template.py checks the digest's row templates).
    """

    MARKER = re.compile(r"\x00(\d+)(&(?:amp;)?)Xx\x00")  # "Xx": |upper or |lower shows

    def __init__(self, name):
        self.template = get_template(name)
        self.variants = {}

    def render(self, rows):
        return mark_safe("".join(self.render_row(row) for row in rows))

    def render_row(self, row):
        fields = tuple(row)
        values = tuple(row.values())
        # A truthy value is a marker; a falsy one is part of the key (0 and False differ).
        key = (fields, tuple(True if value else (type(value), value) for value in values))
        pieces = self.variants.get(key)
        if pieces is None:
            pieces = self.variants[key] = self._compile(fields, values)
        out = []
        for piece in pieces:
            if type(piece) is str:
                out.append(piece)
            else:
                index, escaped = piece
                value = values[index]
                if type(value) is str:
                    out.append(escape(value) if escaped else value)
                else:
                    out.append(render_value_in_context(value, Context(autoescape=escaped)))
        return "".join(out)

    def _compile(self, fields, values):
        item = {
            field: f"\x00{index}&Xx\x00" if value else value
            for index, (field, value) in enumerate(zip(fields, values, strict=True))
        }
        text = self.template.render({"item": item})
        pieces, position = [], 0
        for marker in self.MARKER.finditer(text):
            pieces.append(text[position:marker.start()])
            pieces.append((int(marker.group(1)), marker.group(2) == "&amp;"))
            position = marker.end()
        pieces.append(text[position:])
        if any("\x00" in piece for piece in pieces if type(piece) is str):
            raise ValueError(f"{self.template.origin.template_name}: a filter changed a field")
        return [piece for piece in pieces if piece != ""]


def render_rows(name, rows):
    """
    Template `name` rendered for each of `rows` (as `item`), concatenated; see RowTemplate.
    The variants are worked out per call (a few renders), so template edits show at once.
    """
    return RowTemplate(name).render(rows)

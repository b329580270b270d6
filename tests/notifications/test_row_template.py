"""
The digest's rows are rendered by notifications.emails.RowTemplate (fast) instead of a
{% for %} loop: the output must be what Django renders for each row, byte for byte.
"""

import datetime as dt

import pytest
from django.template.loader import get_template

from notifications.emails import render_rows

HOSTILE = ['<script>alert("x")</script> & co', "Zoë O'Brien — {0} %s", "\x01odd", "Plain"]


def digest_row(index, **overrides):
    row = {
        "engagement_id": 1000 + index, "reason": "daily", "off_track_since": dt.date(2026, 3, 2),
        "coachee": HOSTILE[index % 4], "coach": HOSTILE[(index + 1) % 4],
        "template": HOSTILE[(index + 2) % 4], "url": f"https://x.example/e/{index}/?a=1&b=<2>",
        "since": "2 Mar 2026", "reminder": False,
    }
    return {**row, **overrides}


ROWS = [
    digest_row(0), digest_row(1, reminder=True), digest_row(2, coach=None),
    digest_row(3, coach="", reminder=True), digest_row(4, template="", since=""),
    digest_row(5, coachee="&amp; already escaped?"), digest_row(6),
]


def rendered_by_django(name, rows):
    template = get_template(name)
    return "".join(template.render({"item": row}) for row in rows)


@pytest.mark.parametrize("name", ["emails/offtrack-digest-row.html",
                                  "emails/offtrack-digest-row.txt"])
def test_digest_rows_render_exactly_as_django_renders_each_row(name):
    assert render_rows(name, ROWS) == rendered_by_django(name, ROWS)


def test_html_rows_escape_names_and_show_defaults_and_reminders():
    html = render_rows("emails/offtrack-digest-row.html", ROWS)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in html
    assert "https://x.example/e/0/?a=1&amp;b=&lt;2&gt;" in html
    assert html.count("not selected yet") == 2
    assert html.count("(reminder)") == 2


def test_text_rows_are_not_escaped():
    text = render_rows("emails/offtrack-digest-row.txt", ROWS)
    assert '* <script>alert("x")</script> & co — coach: Zoë O\'Brien — {0} %s' in text
    assert text.count("(reminder)") == 2


def test_no_rows_render_nothing():
    assert render_rows("emails/offtrack-digest-row.html", []) == ""

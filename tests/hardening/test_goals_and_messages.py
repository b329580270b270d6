"""
Hostile input to goals and the message thread: over-long or empty text, a NUL character,
markup, goal ids no row can have. A form error or a 404 with a clear message, never a 500 and
nothing written — on PostgreSQL and, through test_on_sqlite.py, on the embedded SQLite.
"""

import pytest
from django.urls import reverse

from engagements import actions
from engagements.models import GOAL_DETAIL_MAX, GOAL_TITLE_MAX, MESSAGE_MAX, Goal, Message

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"
TEXTS = ["", "   ", "a\x00b", "x" * 100_000, "\r\n\t", "<script>alert(1)</script>" * 500]


@pytest.mark.parametrize("text", TEXTS)
def test_hostile_goal_and_message_text_is_a_form_error(client_for, coachee, engagement, text):
    client = client_for(coachee)
    client.raise_request_exception = False
    for url, field in ((reverse("engagements:add_goal", args=[engagement.pk]), "title"),
                       (reverse("engagements:post_message", args=[engagement.pk]), "body")):
        response = client.post(url, {field: text, "detail": text})
        assert response.status_code == 400, (url, response.status_code)
    assert not Goal.objects.exists() and not Message.objects.exists()


def test_too_long_says_how_long_it_may_be(client_for, coachee, engagement):
    client = client_for(coachee)
    cases = [("engagements:add_goal", {"title": "x" * (GOAL_TITLE_MAX + 1)}, GOAL_TITLE_MAX),
             ("engagements:add_goal", {"title": "ok", "detail": "x" * (GOAL_DETAIL_MAX + 1)},
              GOAL_DETAIL_MAX),
             ("engagements:post_message", {"body": "x" * (MESSAGE_MAX + 1)}, MESSAGE_MAX)]
    for name, data, limit in cases:
        response = client.post(reverse(name, args=[engagement.pk]), data)
        assert response.status_code == 400
        assert f"at most {limit} characters" in response.content.decode()


def test_markup_is_shown_as_text(client_for, coachee, engagement):
    actions.do_add_goal(engagement, by=coachee, title="<b>bold</b> <script>x()</script>")
    actions.do_post_message(engagement, by=coachee, body="<img src=x onerror=alert(1)>")
    body = client_for(coachee).get(reverse("engagements:detail",
                                           args=[engagement.pk])).content.decode()
    assert "<script>x()</script>" not in body and "<img src=x" not in body
    assert "&lt;script&gt;x()&lt;/script&gt;" in body


@pytest.mark.parametrize("goal_id", [HUGE, str(2**63), str(2**63 - 1), "0"])
@pytest.mark.parametrize("path", ["edit/", "achieved/", "reopen/"])
def test_a_goal_id_no_row_can_have_is_a_404(client_for, coachee, engagement, goal_id, path):
    client = client_for(coachee)
    client.raise_request_exception = False
    url = f"/engagements/{engagement.pk}/goals/{goal_id}/{path}"
    assert client.get(url).status_code in (404, 405)
    assert client.post(url, {"title": "x"}).status_code == 404


@pytest.mark.parametrize("engagement_id", [HUGE, str(2**63)])
def test_an_engagement_id_no_row_can_have_is_a_404(client_for, coachee, engagement_id):
    client = client_for(coachee)
    client.raise_request_exception = False
    for path in ("goals/", "messages/"):
        response = client.post(f"/engagements/{engagement_id}/{path}", {"title": "x",
                                                                       "body": "x"})
        assert response.status_code == 404


# -- a form with errors posted from the coachee's home is shown there again ------------------

MY_COACHING = "/engagements/my-coaching/"
TYPED_DETAIL = "By the end of May, with help from the team."
TYPED_MESSAGE = "Can we move Thursday to the afternoon? "


def _with_errors(engagement):
    """(url, data, what the page must still show of what was typed, the error) per form."""
    return [
        (reverse("engagements:add_goal", args=[engagement.pk]),
         {"title": "x" * (GOAL_TITLE_MAX + 1), "detail": TYPED_DETAIL},
         TYPED_DETAIL, f"at most {GOAL_TITLE_MAX} characters",
         f'id="id_goal_{engagement.pk}_title"'),
        (reverse("engagements:post_message", args=[engagement.pk]),
         {"body": TYPED_MESSAGE + "x" * MESSAGE_MAX},
         TYPED_MESSAGE, f"at most {MESSAGE_MAX} characters",
         f'id="id_message_{engagement.pk}_body"'),
    ]


@pytest.mark.parametrize("home", ["/", MY_COACHING])
def test_errors_posted_from_my_coaching_are_shown_there_with_what_was_typed(
        client_for, coachee, engagement, home):
    client = client_for(coachee)
    for url, data, typed, error, field_id in _with_errors(engagement):
        response = client.post(url, {**data, "next": home})

        assert response.status_code == 400, url
        assert [t.name for t in response.templates][0] == "engagements/homes/coachee.html"
        html = response.content.decode()
        assert error in html and typed in html, url
        # The field in error takes the focus: the page opens where they typed.
        field = html[html.index(field_id) - 200:html.index(field_id) + 200]
        assert "autofocus" in field, url
        # Sent again, it still comes back here.
        assert f'name="next" value="{home}"' in html
    assert not Goal.objects.exists() and not Message.objects.exists()


@pytest.mark.parametrize("next_url", [
    "https://evil.example/engagements/my-coaching/", "//evil.example/engagements/my-coaching/",
    "/engagements/my-coaching/../../admin/", "/no/such/page/", "", "javascript:alert(1)",
])
def test_errors_posted_with_any_other_next_are_shown_on_the_engagement_page(
        client_for, coachee, engagement, next_url):
    client = client_for(coachee)
    for url, data, typed, error, _field in _with_errors(engagement):
        response = client.post(url, {**data, "next": next_url})

        assert response.status_code == 400
        assert [t.name for t in response.templates][0] == "engagements/detail.html"
        html = response.content.decode()
        assert error in html and typed in html
    assert not Goal.objects.exists() and not Message.objects.exists()


def test_a_coach_is_not_sent_to_a_coachees_home_with_their_errors(client_for, coach,
                                                                   engagement):
    # The coach's home is "My coachees", and "My coaching" shows only their own coaching:
    # neither shows this engagement's forms, so the errors are shown on its page.
    client = client_for(coach)
    for home in ("/", MY_COACHING):
        for url, data, _typed, error, _field in _with_errors(engagement):
            response = client.post(url, {**data, "next": home})
            assert response.status_code == 400
            assert [t.name for t in response.templates][0] == "engagements/detail.html"
            assert error in response.content.decode()

"""
Webhooks and calendars speak their reader's language: a session's invitation (the email and
the event's title in its .ics) that of each invitee, a private feed that of the person it is
for, a connected calendar's errors and its failure email that of its owner, the webhook
pages that of the administrator reading them — whatever language the job or request runs in.
"""

import datetime as dt

import icalendar
import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from engagements import actions, calendars
from engagements.models import CalendarFeed
from notifications import webhooks
from notifications.models import WebhookEndpoint
from optify.celery import app as celery_app
from tests.support.http import LocalServer

NOW = dt.datetime(2026, 3, 23, 7, 0, tzinfo=dt.UTC)
STARTS = dt.datetime(2026, 3, 30, 13, 0, tzinfo=dt.UTC)  # Monday, 14:00 in London (BST)


@pytest.fixture(autouse=True)
def _frozen_and_eager(owner_company, settings):
    # Acme works in Spanish: its people who chose nothing get Spanish; the coach's own
    # company (a provider) stays English.
    owner_company.language = "es"
    owner_company.save(update_fields=["language"])
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller
    celery_app.conf.task_always_eager = eager


def summary(content):
    event, = icalendar.Calendar.from_ical(content).walk("VEVENT")
    return str(event["summary"])


def test_an_invitation_in_each_invitees_language(engagement, coach,
                                                 django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), translation.override("en"):
        actions.do_schedule_session(engagement, by=coach, starts_at=STARTS)

    spanish, = [m for m in mail.outbox if m.to == ["coachee@acme.test"]]
    assert spanish.subject == "Sesión de coaching — lunes 30 de marzo de 2026, 14:00"
    assert "Hola, Cole:" in spanish.body
    assert "La invitación adjunta actualiza tu calendario." in spanish.body
    assert "Dejar de recibir invitaciones de calendario" in spanish.alternatives[0][0]
    assert summary(spanish.attachments[0][1]) == "Sesión de coaching: Cole Coachee con Cora Coach"

    english, = [m for m in mail.outbox if m.to == ["coach@coachly.test"]]
    assert english.subject == "Coaching session — Monday 30 March 2026, 14:00"
    assert summary(english.attachments[0][1]) == "Coaching session: Cole Coachee with Cora Coach"


def test_a_private_feed_in_the_language_of_the_person_it_is_for(engagement, coach, coachee,
                                                                client):
    actions.do_schedule_session(engagement, by=coach, starts_at=STARTS)
    token = calendars.new_feed_token(coachee)

    # Fetched signed out, by a calendar server that asks for English.
    response = client.get(reverse("engagements:calendar_feed", args=[token]),
                          HTTP_ACCEPT_LANGUAGE="en")

    calendar = icalendar.Calendar.from_ical(response.content)
    assert str(calendar["x-wr-calname"]) == "Sesiones de Optify"
    assert summary(response.content) == "Sesión de coaching: Cole Coachee con Cora Coach"
    assert "Coaching session" in summary(calendars.user_feed(coach))


def test_a_failing_calendar_is_explained_to_its_owner_in_their_language(
        global_admin, engagement, _frozen_and_eager):
    with LocalServer() as server, translation.override("en"):
        server.answer("/cal.ics", 500)
        feed = CalendarFeed.objects.create(owner=global_admin, url=server.url("/cal.ics"))
        calendars.refresh_all()
        feed.refresh_from_db()
        assert feed.last_error == "El servidor del calendario respondió HTTP 500."
        _frozen_and_eager.shift(dt.timedelta(days=1))
        calendars.refresh_all()

    message, = mail.outbox
    assert message.subject == "Optify no puede leer tu calendario conectado"
    assert "Motivo: El servidor del calendario respondió HTTP 500." in message.body


def test_the_webhook_pages_and_the_disabled_email_in_spanish(client_for, global_admin):
    User.objects.filter(pk=global_admin.pk).update(language="es")
    client = client_for(global_admin)
    page = client.get(reverse("notifications:webhooks")).content.decode()
    assert "Los endpoints de tu empresa" in page and "Registrar el endpoint" in page
    assert "Dirección (URL)" in page and "Cambio de progreso (al día / estancado)" in page

    endpoint = WebhookEndpoint.objects.create(
        company=global_admin.company, url="https://hooks.example.com/in", secret="whsec_x",
        is_enabled=False, disabled_at=NOW, events=",engagement.paused,")
    page = client.get(reverse("notifications:webhook", args=[endpoint.pk])).content.decode()
    assert "todas las entregas fallaron durante 3 días" in page
    assert "Registro de entregas" in page and "Enviar un evento de prueba" in page

    with translation.override("en"):
        webhooks._email_disabled(endpoint.pk)
    message, = mail.outbox
    assert message.subject == "Se desactivó un endpoint de webhook de Acme"
    assert "Optify no pudo entregar eventos a https://hooks.example.com/in" in message.body

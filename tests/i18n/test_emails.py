"""
Each email goes out in its RECIPIENT's language (DESIGN.md, "Languages"): their own choice in
Settings, else their company's; never the language of whoever or whatever caused it. Every
email is rendered here in both languages, side by side in the same run.
"""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.utils import translation

from accounts import actions as people_actions
from accounts.invitations import send_invitation
from accounts.models import User
from accounts.tasks import send_password_reset
from engagements import actions as engagement_actions
from engagements.models import Engagement
from notifications import messages, sender
from notifications.outbox import build_outbox
from notifications.weekly import build_due_weekly_digests
from tests import factories
from tests.notifications.test_weekly_digest import MONDAY
from tracking.evaluation import Cause, evaluate_engagement
from tracking.jobs import run_daily_evaluation

D = dt.date


def to(email):
    [message] = [m for m in mail.outbox if m.to == [email]]
    html = message.alternatives[0][0]
    return message, html


def speak(user, language):
    User.objects.filter(pk=user.pk).update(language=language)


@pytest.fixture
def spanish_company(owner_company):
    """Acme works in Spanish: its people who chose nothing get Spanish."""
    owner_company.language = "es"
    owner_company.save(update_fields=["language"])
    return owner_company


def test_off_track_nudges_each_in_its_recipients_language(
        spanish_company, engagement, make_run, turn_off_track, frozen, coach):
    # The coachee and the owner follow Acme (Spanish); the coach's own company is English.
    run = make_run(engagement.company)
    turn_off_track(run, engagement)
    build_outbox(run)
    with translation.override("en"):  # the job's own language changes nothing
        sender.send_due_nudges()

    coachee, coachee_html = to("coachee@acme.test")
    assert coachee.subject == "Es hora de reservar tu próxima sesión de coaching · Acme"
    assert "Hola, Cole:" in coachee.body
    assert "Ponte en contacto con Cora Coach para reservar tu próxima sesión." in coachee.body
    assert "Darte de baja de estos correos" in coachee_html and 'lang="es"' in coachee_html

    admin, admin_html = to("admin@acme.test")
    assert admin.subject == "El proceso de Cole Coachee está estancado · Acme"
    assert "se estancó el 23 de marzo de 2026" in admin.body
    assert "Estancado desde el 23 Mar" in admin.body  # the reason (rule 10), in Spanish
    assert "23 Mar 2026" in admin.body  # the off-track day, as the pages show it
    assert "Estancado desde" in admin_html and "off track" not in admin_html

    coach_message, coach_html = to("coach@coachly.test")
    assert coach_message.subject == "Cole Coachee's engagement is off track · Acme"
    assert "Off track since 23 Mar" in coach_message.body
    assert "estancado" not in coach_message.body.lower() and 'lang="en"' in coach_html


def test_a_users_own_choice_beats_their_companys(
        spanish_company, engagement, make_run, turn_off_track, frozen, coachee, coach):
    speak(coachee, "en")
    speak(coach, "es")
    run = make_run(engagement.company)
    turn_off_track(run, engagement)
    build_outbox(run)
    sender.send_due_nudges()
    assert to("coachee@acme.test")[0].subject == \
        "Time to book your next coaching session · Acme"
    assert to("coach@coachly.test")[0].subject == \
        "El proceso de Cole Coachee está estancado · Acme"


def test_early_warnings_in_both_languages(engagement, coachee):
    speak(coachee, "es")
    Engagement.objects.filter(pk=engagement.pk).update(early_warning_days=3)
    e = Engagement.objects.select_related("company").get(pk=engagement.pk)
    evaluate_engagement(e, cause=Cause.LAUNCH, today=D(2026, 3, 2))
    with time_machine.travel(dt.datetime(2026, 3, 20, 7, tzinfo=dt.UTC), tick=False):
        run_daily_evaluation(e.company, D(2026, 3, 20))
        sender.send_due_nudges()
    spanish, _ = to("coachee@acme.test")
    assert spanish.subject == "Es hora de reservar tu próxima sesión de coaching · Acme"
    assert "se estancará el 23 Mar 2026 si no se reserva una sesión." in spanish.body
    english, _ = to("coach@coachly.test")
    assert english.subject == "Cole Coachee's engagement needs a session soon · Acme"
    assert "On track: off track on 23 Mar unless something is scheduled" in english.body


def test_the_weekly_digest_in_both_languages(programme, global_admin, location_admin):
    speak(global_admin, "es")
    with time_machine.travel(dt.datetime(2026, 3, 23, 8, 5, tzinfo=dt.UTC), tick=False):
        build_due_weekly_digests()
        sender.send_due_nudges()
    spanish, spanish_html = to("admin@acme.test")
    assert spanish.subject == "Tu programa esta semana: 2 estancados, 2 al día, 1 en pausa · Acme"
    assert "el lunes 23 de marzo de 2026" in spanish.body
    assert "Estancados desde hace más tiempo" in spanish_html
    english, _ = to("london@acme.test")
    assert english.subject.startswith("Your programme this week: ")
    assert "on Monday 23 March 2026" in english.body
    assert D(2026, 3, 23) == MONDAY


def test_invitations_in_the_invitees_language(spanish_company, global_admin):
    spanish = people_actions.add_person(by=global_admin, email="nuria@acme.test",
                                        full_name="Nuria Nueva", invite=True)
    english = factories.UserFactory(company=spanish_company, email="ed@acme.test",
                                    full_name="Ed English", language="en",
                                    status=User.Status.INTERNAL_RECORD)
    send_invitation(english, invited_by=global_admin)
    message, html = to(spanish.email)
    assert message.subject == "Acme te invita a Optify"
    assert "Ada Admin te ha invitado a Optify" in message.body and "Crear tu contraseña" in html
    message, html = to(english.email)
    assert message.subject == "Acme invites you to Optify"
    assert "Set your password" in html


def test_password_reset_in_the_accounts_language(spanish_company, global_admin, coach):
    speak(global_admin, "")  # follows Acme: Spanish
    with translation.override("en"):  # the page that asked was in English
        send_password_reset("admin@acme.test", domain="optify.test", use_https=True)
        send_password_reset("coach@coachly.test", domain="optify.test", use_https=True)
    spanish, html = to("admin@acme.test")
    assert spanish.subject == "Restablece tu contraseña de Optify"
    assert "Alguien ha pedido restablecer la contraseña" in spanish.body
    assert "Elige una nueva contraseña" in html
    english, _ = to("coach@coachly.test")
    assert english.subject == "Reset your Optify password"
    assert "Someone asked to reset the password" in english.body


def test_rendering_an_email_leaves_the_callers_language_alone(spanish_company, global_admin):
    with translation.override("en"):
        send_invitation(factories.UserFactory(company=spanish_company,
                                              status=User.Status.INTERNAL_RECORD))
        assert translation.get_language() == "en"


@time_machine.travel(dt.datetime(2026, 4, 1, 12, tzinfo=dt.UTC), tick=False)
def test_message_emails_each_in_its_recipients_language(
        spanish_company, engagement, coachee, coach, global_admin):
    # The coachee (Acme: Spanish) writes in Spanish; the coach's company speaks English; the
    # owner chose English for themself against their company's Spanish.
    speak(global_admin, "en")
    now = dt.datetime(2026, 4, 1, 12, tzinfo=dt.UTC)
    with translation.override("es"):  # the author's language changes nothing
        engagement_actions.do_post_message(engagement, by=coachee, body="¿El viernes?", now=now)
        engagement_actions.do_post_message(engagement, by=coachee, body="O el lunes.",
                                           now=now + dt.timedelta(seconds=30))
    messages.send_due_message_emails(now=now + messages.WAIT)

    to_coach, coach_html = to(coach.email)
    assert to_coach.subject == "2 new messages from Cole Coachee"
    assert "There are 2 new messages for you on Optify:" in to_coach.body
    assert "1 Apr 2026, 13:00" in to_coach.body and "Read and reply" in coach_html

    # Back to Spanish for the coachee's reply, in the coachee's language.
    engagement_actions.do_post_message(engagement, by=coach, body="Viernes, perfecto.",
                                       now=now + dt.timedelta(minutes=5))
    messages.send_due_message_emails(now=now + dt.timedelta(minutes=5) + messages.WAIT)
    to_coachee, coachee_html = to(coachee.email)
    assert to_coachee.subject == "Mensaje nuevo de Cora Coach"
    assert "Hola, Cole:" in to_coachee.body
    assert "Tienes un mensaje nuevo en Optify:" in to_coachee.body
    assert "1 Abr 2026, 13:05" in to_coachee.body
    assert "Leer y responder" in coachee_html
    assert "Darte de baja de los correos de mensajes" in to_coachee.body
    assert 'lang="es"' in coachee_html

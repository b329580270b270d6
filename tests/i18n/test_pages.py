"""
Pages in the user's language: their choice in Settings, else their company's; signed-out pages
in the browser's (Accept-Language). No language in the URL.
"""

import pytest
from django.urls import reverse

from accounts.models import User
from tests import factories


@pytest.fixture
def spanish_admin(global_admin):
    User.objects.filter(pk=global_admin.pk).update(language="es")
    global_admin.refresh_from_db()
    return global_admin


def test_a_spanish_user_gets_spanish_pages(client_for, spanish_admin, engagement):
    page = client_for(spanish_admin).get(reverse("engagements:list")).content.decode()
    assert '<html lang="es">' in page
    assert "Procesos de coaching" in page and "Cerrar sesión" in page
    assert "Ver resultados" in page and "Filas por página" in page
    assert "Sign out" not in page and "View results" not in page


def test_an_english_user_of_the_same_company_gets_english(client_for, global_admin, engagement):
    page = client_for(global_admin).get(reverse("engagements:list")).content.decode()
    assert '<html lang="en">' in page and "Sign out" in page and "Cerrar sesión" not in page


def test_people_who_chose_nothing_follow_their_company(client_for, owner_company, global_admin):
    owner_company.language = "es"
    owner_company.save(update_fields=["language"])
    page = client_for(global_admin).get(reverse("notifications:settings")).content.decode()
    assert "Configuración" in page and "El de tu empresa (Español)" in page


def test_choosing_a_language_in_settings(client_for, global_admin):
    client = client_for(global_admin)
    response = client.post(reverse("accounts:language"), {"language": "es"}, follow=True)
    global_admin.refresh_from_db()
    assert global_admin.language == "es"
    page = response.content.decode()
    assert "Tu idioma está guardado." in page and "Guardar idioma" in page
    client.post(reverse("accounts:language"), {"language": ""})
    global_admin.refresh_from_db()
    assert global_admin.language == ""


def test_a_language_optify_does_not_speak_is_refused(client_for, global_admin):
    response = client_for(global_admin).post(reverse("accounts:language"), {"language": "xx"},
                                             follow=True)
    global_admin.refresh_from_db()
    assert global_admin.language == ""
    assert "Choose one of the languages offered." in response.content.decode()


def test_signed_out_pages_follow_the_browser(client):
    spanish = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9")
    assert "Iniciar sesión" in spanish.content.decode()
    assert "Accept-Language" in spanish.headers["Vary"]
    assert spanish.headers["Content-Language"] == "es"
    english = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="de-DE,en;q=0.5")
    assert "Forgot your password?" in english.content.decode()


def test_a_request_in_spanish_leaves_the_thread_in_english(client_for, spanish_admin):
    from django.utils import translation

    client_for(spanish_admin).get(reverse("home"))
    assert translation.get_language() == "en"


def test_form_errors_and_labels_in_spanish(client_for, spanish_admin):
    page = client_for(spanish_admin).post(reverse("people:add"), {
        "full_name": "", "email": "nope", "role": "coachee"}).content.decode()
    assert "Nombre" in page and "Correo electrónico" in page


def test_the_unsubscribe_page_speaks_the_recipients_language(client, coachee):
    from notifications.models import Role
    from notifications.tokens import make_unsubscribe_token

    User.objects.filter(pk=coachee.pk).update(language="es")
    token = make_unsubscribe_token(coachee, Role.COACHEE)
    page = client.get(reverse("notifications:unsubscribe", args=[token]),
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Darse de baja" in page


def test_the_lists_headings_and_search_hints_in_spanish(client_for, spanish_admin, engagement):
    # Columns named after the models' fields, and placeholders, were left in English.
    client = client_for(spanish_admin)
    engagements = client.get(reverse("engagements:list")).content.decode()
    for spanish in ("Estado", "Nombre o correo", "Nombre o correo del coach"):
        assert spanish in engagements, spanish
    for english in (">Status<", '"Name or email"', "Coach&#x27;s name or email"):
        assert english not in engagements, english
    people = client.get(reverse("people:list")).content.decode()
    assert ">Status<" not in people and "Estado" in people
    report = client.get(reverse("reports:report")).content.decode()
    assert "p. ej., Estancados en Londres" in report and "e.g. Off track" not in report


def test_the_template_form_labels_in_spanish(client_for, spanish_admin):
    page = client_for(spanish_admin).get(reverse("templates_app:create")).content.decode()
    for spanish in ('_name">Nombre<', '_kind">Tipo<', '_description">Descripción<'):
        assert spanish in page, spanish
    for english in ('">Name<', '">Kind<', '">Description<'):
        assert english not in page, english


def test_the_new_engagement_and_launch_forms_in_spanish(client_for, spanish_admin, engagement,
                                                        owner_company, coachee, coach):
    client = client_for(spanish_admin)
    matching = factories.EngagementTemplateFactory(company=owner_company,
                                                   kind="coach_matching")
    page = client.post(reverse("engagements:create"), {
        "template": matching.pk, "coachee": coachee.pk, "coach": coach.pk,
        "owner": spanish_admin.pk}).content.decode()
    for spanish in (">Plantilla<", ">Responsable<", "Déjalo vacío para una plantilla con "
                    "búsqueda de coach", "encuentra su coach en esa búsqueda"):
        assert spanish in page, spanish
    for english in (">Template<", ">Owner<", "Leave empty for a coach-matching",
                    "finds its coach by coach matching"):
        assert english not in page, english
    launch = client.get(reverse("templates_app:launch", args=[engagement.template_id]))
    assert ">Responsable<" in launch.content.decode()
    report = client.get(reverse("reports:report"), {
        "off_track_since_after": "10 abr 2026", "off_track_since_before": "1 abr 2026",
    }).content.decode()
    assert "El final del intervalo es anterior a su inicio." in report

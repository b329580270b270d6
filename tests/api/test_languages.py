"""
The API speaks the language of the person it acts as (their pages' language): reasons and
errors; before anyone is known, the request's Accept-Language. The schema is English for all.
The Settings page's API tokens are translated like the rest of the page.
"""

from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from accounts.models import User
from tests.api.test_engagements import varied  # noqa: F401

URL = "/api/v1/engagements/"


def spanish(user):
    User.objects.filter(pk=user.pk).update(language="es")
    user.refresh_from_db()
    return user


def test_a_spanish_users_token_gets_spanish_reasons(api_as, global_admin, coach, varied):  # noqa: F811
    english = api_as(coach).get(f"{URL}{varied['off'].pk}/")
    assert english["Content-Language"] == "en"
    assert english.json()["reason"].startswith("Off track since ")
    answer = api_as(spanish(global_admin)).get(f"{URL}{varied['off'].pk}/")
    assert answer.status_code == 200 and answer["Content-Language"] == "es"
    assert answer.json()["reason"].startswith("Estancado desde el ")
    assert answer.json()["progress"] == "off_track"  # codes never change
    # The request's language does not outlive it.
    assert translation.get_language() == "en"


def test_a_spanish_users_errors_are_spanish(api_as, global_admin, varied):  # noqa: F811
    reader = api_as(spanish(global_admin), write=False)
    refused = reader.post("/api/v1/sessions/", {"engagement": varied["on"].pk,
                                                "starts_at": "2026-05-04T10:00:00Z"},
                          format="json")
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("Este token es de solo lectura")
    bad = reader.get(URL, {"page_size": "x"})
    assert bad.status_code == 400 and bad.json()["page_size"] == ["Un número entero del 1 al 1000."]


def test_before_anyone_is_known_the_browser_language(global_admin):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer opt_000000000000_nothing")
    assert client.get(URL).json()["detail"] == "Invalid token."
    answer = client.get(URL, HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9")
    assert answer.status_code == 401 and answer.json()["detail"] == "Token no válido."
    assert answer["Content-Language"] == "es"


def test_the_schema_is_english_whoever_asks(client_for, global_admin, coach):
    english = client_for(coach).get("/api/schema/", HTTP_ACCEPT="application/json")
    other = client_for(spanish(global_admin)).get("/api/schema/", HTTP_ACCEPT="application/json")
    assert other.status_code == 200 and other["Content-Language"] == "en"
    assert other.json() == english.json()
    assert "Estancado" not in other.content.decode()


def test_the_settings_pages_tokens_in_spanish(client_for, global_admin):
    client = client_for(spanish(global_admin))
    page = client.get(reverse("notifications:settings")).content.decode()
    assert "Tokens de API" in page and "No tienes tokens de API." in page
    assert "Crear token" in page and "Solo lectura" in page
    created = client.post(reverse("accounts:create_api_token"),
                          {"name": "RR. HH.", "access": "read"}).content.decode()
    assert "Token de API creado" in created and "Solo puede leer." in created
    page = client.get(reverse("notifications:settings")).content.decode()
    assert "Revocar" in page and "Nunca usado" in page and "API tokens" not in page

"""
Settings' API tokens in a real browser, in Spanish, at a laptop's and a phone's width, checked
with axe: a token created, shown once, used, then revoked from its card.
"""

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from tests.browser.test_accessibility import LAPTOP, PHONE, assert_no_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def answers(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get("/api/v1/engagements/").status_code


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_a_spanish_administrator_creates_uses_and_revokes_a_token(
        signed_in_page, global_admin, engagement, axe, viewport):
    User.objects.filter(pk=global_admin.pk).update(language="es")
    global_admin.refresh_from_db()
    page = signed_in_page(global_admin, viewport=viewport)
    page.goto("/settings/")
    assert page.get_by_role("heading", name="Tokens de API").is_visible()
    page.get_by_label("Nombre").fill("Sincronización RR. HH.")
    page.get_by_role("button", name="Crear token").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Token de API creado").is_visible()
    token = page.locator("#api-token-text").input_value()
    assert token.startswith("opt_") and answers(token) == 200
    assert_no_violations(axe, page, "a new token's page")

    page.get_by_role("link", name="Volver a Configuración").click()
    page.wait_for_load_state()
    assert token not in page.content()  # shown once
    revoke = page.get_by_role("button", name="Revocar Sincronización RR. HH.")
    box = revoke.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]  # not scrolled away
    assert_no_violations(axe, page, "Settings with a token")
    revoke.click()
    page.wait_for_load_state()
    assert page.get_by_text("revocado: ya no funciona").is_visible()
    assert answers(token) == 401

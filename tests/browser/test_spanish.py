"""
A Spanish-speaking administrator on a 390 px phone: the pages in Spanish, nothing scrolls
sideways (Spanish runs longer than English), axe finds no violation, and dates and times are
typed the way the Spanish pages show them.
"""

import pytest
from django.urls import reverse

from accounts.models import User
from engagements.models import Session
from tests.browser.test_accessibility import assert_no_violations
from tests.browser.test_screen_sizes import PHONE, late_march, programme, scroll_width  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def spanish_admin(global_admin):
    User.objects.filter(pk=global_admin.pk).update(language="es")
    global_admin.refresh_from_db()
    return global_admin


def test_a_spanish_administrator_on_a_phone(signed_in_page, spanish_admin, programme,  # noqa: F811
                                            late_march, axe):  # noqa: F811
    page = signed_in_page(spanish_admin, viewport=PHONE)
    page.goto("/engagements/")
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.get_by_role("heading", name="Procesos de coaching").is_visible()
    assert scroll_width(page) <= PHONE["width"]
    menu = page.get_by_role("button", name="Menú")
    menu.click()
    nav = page.get_by_role("navigation", name="Principal")
    assert nav.get_by_role("link", name="¿Listos para cerrar?").is_visible()
    assert scroll_width(page) <= PHONE["width"]
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Filtros").click()
    assert page.get_by_role("button", name="Ver resultados").is_visible()
    assert_no_violations(axe, page, "the Engagements page in Spanish on a phone")

    for url in (reverse("engagements:detail", args=[programme[0].pk]), "/reports/",
                "/settings/", "/people/", "/help/"):
        page.goto(url)
        assert scroll_width(page) <= PHONE["width"], url
        assert page.get_by_text("Cerrar sesión").count() == 1, url
        assert_no_violations(axe, page, f"{url} in Spanish on a phone")


def test_a_session_is_scheduled_with_a_spanish_date(signed_in_page, spanish_admin,  # noqa: F811
                                                     programme, late_march):  # noqa: F811
    page = signed_in_page(spanish_admin, viewport=PHONE)
    page.goto(reverse("engagements:detail", args=[programme[0].pk]))
    form = page.locator("#schedule-session")
    date = form.get_by_label("Fecha")
    assert date.get_attribute("type") == "text"
    assert date.get_attribute("placeholder") == "p. ej., 30 Nov 2026"
    # A wrong date is refused in Spanish, and what was typed stays in the form.
    date.fill("31/04/2026")
    form.get_by_label("Hora").fill("10:30")
    form.get_by_role("button", name="Programar sesión").click()
    page.get_by_text("Escribe una fecha como 30 Nov 2026 (o 2026-11-30).").wait_for()
    form = page.locator("#schedule-session")
    assert form.get_by_label("Fecha").input_value() == "31/04/2026"
    assert form.get_by_label("Hora").input_value() == "10:30"
    form.get_by_label("Fecha").fill("9 de abril de 2026")
    form.get_by_role("button", name="Programar sesión").click()
    page.get_by_text("Sesión programada.").wait_for()
    assert page.get_by_text("jue 9 Abr 2026, 10:30").count() == 1
    assert Session.objects.filter(engagement=programme[0]).count() == 2


def test_in_spanish_the_bar_and_the_settings_boxes_read_on_a_laptop_and_a_phone(
        signed_in_page, spanish_admin, programme, late_march):  # noqa: F811
    # The demo's Spanish administrator: their name and company as long as the demo's.
    User.objects.filter(pk=spanish_admin.pk).update(full_name="Liam Nakamura")
    spanish_admin.company.name = "Bluebird Labs"
    spanish_admin.company.save()
    page = signed_in_page(spanish_admin, viewport={"width": 1366, "height": 800})
    page.goto("/settings/")
    # The navigation and the user on one line: Spanish's longer names pushed the user under.
    first = page.get_by_role("navigation", name="Principal").get_by_role("link").first
    sign_out = page.get_by_role("button", name="Cerrar sesión")
    assert abs(first.bounding_box()["y"] - sign_out.bounding_box()["y"]) < 12

    page.set_viewport_size(PHONE)
    page.goto("/settings/")
    boxes = page.locator(".field-check:has(.help)")
    assert boxes.count() >= 2
    for n in range(boxes.count()):
        box = boxes.nth(n)
        label, help_text = box.locator("label").bounding_box(), box.locator(".help").bounding_box()
        # Its help under its label, not beside it squeezing the label a word wide.
        assert help_text["y"] >= label["y"] + label["height"] - 1
        assert help_text["width"] > PHONE["width"] / 2
    assert scroll_width(page) <= PHONE["width"]


@pytest.mark.parametrize("width", [1100, 1200, 1279, 1280, 1366])
def test_in_spanish_the_bar_is_one_line_on_a_tablet_and_a_laptop(
        signed_in_page, spanish_admin, programme, late_march, width):  # noqa: F811
    # Between 1100 and 1279 px the Spanish navigation and the user wrapped onto a second line:
    # there they fold behind "Menú" now; from 1280 px they share one line, a name too long
    # for it cut short rather than wrapped under.
    User.objects.filter(pk=spanish_admin.pk).update(
        full_name="Maximiliana Fernández de Castellanos")
    page = signed_in_page(spanish_admin, viewport={"width": width, "height": 800})
    page.goto("/engagements/")
    bar = page.locator(".topbar").bounding_box()
    assert bar["height"] <= 60
    brand = page.locator(".topbar .brand").bounding_box()
    nav = page.get_by_role("navigation", name="Principal")
    if width < 1280:
        assert not nav.is_visible()
        line = [page.get_by_role("button", name="Menú")]
    else:
        line = [nav.get_by_role("link").first, nav.get_by_role("link").last,
                page.locator(".topbar .username"), page.get_by_role("button", name="Cerrar sesión")]
    middle = brand["y"] + brand["height"] / 2
    for element in line:
        box = element.bounding_box()
        assert abs(box["y"] + box["height"] / 2 - middle) < 6, (width, element)
        assert box["x"] + box["width"] <= width
    assert scroll_width(page) <= width

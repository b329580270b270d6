"""Changing engagements as people do, through the pages and the admin (what billing must follow)."""

from django.contrib import admin
from django.forms.models import model_to_dict
from django.test import Client, RequestFactory
from django.urls import reverse

from engagements.admin import EngagementAdmin
from engagements.models import Engagement
from tests import factories


def save_in_admin(engagement, **changes):
    """Change `engagement` as the Django admin's change form does (EngagementAdmin.save_model)."""
    model_admin = EngagementAdmin(Engagement, admin.site)
    request = RequestFactory().post("/")
    request.user = factories.UserFactory(company=engagement.company, is_staff=True,
                                         is_superuser=True)
    form = model_admin.get_form(request, engagement, change=True)(
        data={**model_to_dict(engagement), **changes}, instance=engagement)
    assert form.is_valid(), form.errors
    model_admin.save_model(request, form.save(commit=False), form, change=True)


def launch_today(admin_user, *, coachee=None, coach=None, location=None):
    """Launch an engagement today as an administrator does, from a template's launch page."""
    company = admin_user.company
    data = {"coachee": (coachee or factories.UserFactory(company=company)).pk,
            "coach": (coach or factories.UserFactory(company=company, is_coach=True)).pk,
            "owner": admin_user.pk, "location": location.pk if location else ""}
    client = Client()
    client.force_login(admin_user)
    template = factories.EngagementTemplateFactory(company=company)
    response = client.post(reverse("templates_app:launch", args=[template.pk]), data)
    assert response.status_code == 302, response.content.decode()

"""
The calendar sections of Settings (a private feed; a connected calendar) and the feed itself.
The feed's address carries its secret: no sign-in, and an unknown or revoked token is 404.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from engagements import calendars, tasks
from engagements.models import CalendarFeed, CalendarToken
from optify.outbound import clean_url_field

NEW_FEED_URL = "calendar-feed-url"


class CalendarFeedForm(forms.Form):
    url = forms.URLField(
        label=gettext_lazy("Your calendar's secret iCalendar address"), max_length=2000,
        assume_scheme="https",
        help_text=gettext_lazy("Every calendar offers one (Google: \"Secret address in iCal "
                               "format\"; Outlook: \"Publish calendar\", ICS link). Events "
                               "with a coachee of yours among the attendees count as sessions."),
    )

    def clean_url(self):
        return clean_url_field(self.cleaned_data["url"])


def settings_context(request):
    """What the Settings page shows of calendars, for `request.user`."""
    user = request.user
    may_connect = calendars.may_connect(user)
    feed = CalendarFeed.objects.filter(owner=user).first() if may_connect else None
    return {
        "calendar_token": CalendarToken.objects.filter(user=user).first(),
        "calendar_feed_url": request.session.pop(NEW_FEED_URL, None),
        "may_connect_calendar": may_connect,
        "connected_calendar": feed,
        "calendar_form": CalendarFeedForm(
            initial={"url": feed.url} if feed else None),
    }


@login_required
@require_POST
def feed_token_new(request):
    token = calendars.new_feed_token(request.user)
    # Shown once, on the Settings page this redirects to; only its hash is kept.
    request.session[NEW_FEED_URL] = calendars.feed_url(token)
    messages.success(request, _("Your calendar feed has a new address; the old one, if any, "
                                "no longer works."))
    return redirect("notifications:settings")


@login_required
@require_POST
def feed_token_revoke(request):
    calendars.revoke_feed_token(request.user)
    messages.success(request, _("Your calendar feed address no longer works."))
    return redirect("notifications:settings")


@never_cache
@require_GET
def calendar_feed(request, token):
    user = calendars.user_for_token(token)
    if user is None:
        raise Http404("No such calendar.")
    response = HttpResponse(calendars.user_feed(user), content_type="text/calendar; "
                                                                     "charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="optify.ics"'
    return response


@login_required
@require_POST
def calendar_connect(request):
    if not calendars.may_connect(request.user):
        raise PermissionDenied(_("Only coaches and administrators connect a calendar."))
    form = CalendarFeedForm(request.POST)
    if not form.is_valid():
        for error in form.errors["url"]:
            messages.error(request, _("Not connected: %(error)s") % {"error": error})
        return redirect("notifications:settings")
    feed, _created = CalendarFeed.objects.update_or_create(
        owner=request.user, defaults={"url": form.cleaned_data["url"], "etag": "",
                                      "last_modified": "", "failing_since": None,
                                      "failure_notified_at": None, "last_error": ""})
    transaction.on_commit(lambda: tasks.enqueue_refresh(feed.pk))
    messages.success(request, _("Your calendar is connected: it is read every 15 minutes."))
    return redirect("notifications:settings")


@login_required
@require_POST
def calendar_disconnect(request):
    CalendarFeed.objects.filter(owner=request.user).delete()
    messages.success(request, _("Your calendar is disconnected. Sessions read from it stay."))
    return redirect("notifications:settings")

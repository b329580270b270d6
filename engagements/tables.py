import django_tables2 as tables
from django.db.models import F
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from engagements.models import Engagement, Progress
from engagements.reasons import progress_reason, reason_cell, reason_fields
from engagements.visibility import PROGRESS_HIDDEN, by_progress
from optify.links import url_pattern
from optify.lists.export import HIDDEN, person
from optify.lists.tables import BaseTable, DateColumn, PersonColumn, person_name

CHECK_ICON = mark_safe(
    '<svg viewBox="0 0 20 20" aria-hidden="true" focusable="false"><circle cx="10" cy="10" '
    'r="9" fill="currentColor"/><path d="M5.5 10.5l3 3 6-6.5" fill="none" stroke="#fff" '
    'stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/></svg>'
)
EXCLAMATION_ICON = mark_safe(
    '<svg viewBox="0 0 20 20" aria-hidden="true" focusable="false"><circle cx="10" cy="10" '
    'r="9" fill="currentColor"/><path d="M10 5v6" stroke="#fff" stroke-width="2.2" '
    'stroke-linecap="round"/><circle cx="10" cy="14.5" r="1.3" fill="#fff"/></svg>'
)

# One mark for "nothing here" on every page: the "-" that also says "not tracked" (DESIGN.md).
EMPTY = "-"
CSV_EMPTY = "—"

PAUSE_ICON = mark_safe(
    '<svg viewBox="0 0 20 20" aria-hidden="true" focusable="false"><circle cx="10" cy="10" '
    'r="9" fill="currentColor"/><path d="M7.5 6v8M12.5 6v8" stroke="#fff" stroke-width="2.2" '
    'stroke-linecap="round"/></svg>'
)

STATUS_BADGES = {
    Engagement.Status.ACTIVE: "badge-active",
    Engagement.Status.COACH_MATCHING: "badge-matching",
    Engagement.Status.ENDED_EARLY: "badge-ended",
    Engagement.Status.COMPLETED: "badge-ended",
}


def progress_html(seen_progress, reason=""):
    """
    The On/Off Track cell: an icon *and* words, so colour is never the only signal. `reason`
    (rule 10, only for a viewer who may see progress) becomes its title.
    """
    if seen_progress == Progress.ON_TRACK:
        html = format_html('<span class="progress progress-on">{} {}</span>', CHECK_ICON,
                           _("On Track"))
    elif seen_progress == Progress.OFF_TRACK:
        html = format_html(
            '<span class="progress progress-off">{} {}</span>', EXCLAMATION_ICON, _("Off Track")
        )
    elif seen_progress == Progress.PAUSED:
        html = format_html('<span class="progress progress-paused">{} {}</span>',
                           PAUSE_ICON, _("Paused"))
    else:
        html = format_html(
            '<span class="progress progress-none" aria-hidden="true">-</span>'
            '<span class="visually-hidden">{}</span>', _("Not tracked")
        )
    if reason:
        return format_html('<span class="progress-reason" title="{}">{}</span>', reason, html)
    return html


def seen_reason(record):
    """Rule 10's reason for a row, to a viewer who may see its progress; else nothing."""
    if getattr(record, "seen_progress", PROGRESS_HIDDEN) == PROGRESS_HIDDEN:
        return ""
    return progress_reason(record, getattr(record, "pause_reason", None) or "")


# How the progress column reads in CSV: its words, and "-" where not tracked or not seen.
PROGRESS_LABELS = {
    Progress.ON_TRACK: _("On Track"),
    Progress.OFF_TRACK: _("Off Track"),
    Progress.PAUSED: _("Paused"),
    Progress.NOT_TRACKED: HIDDEN,
    PROGRESS_HIDDEN: HIDDEN,
}


class EngagementTable(BaseTable):
    """
    Engagements as the viewer may see them. Progress columns read only the `seen_*`
    annotations of `Engagement.objects.restrict(user)` (and `seen_off_track_on`, added
    by `EngagementListView`), so a viewer who may not see progress gets "-" and sorting by
    progress reveals nothing either. The Engagements Report reuses this table.
    """

    select = tables.Column(
        accessor="pk", verbose_name=_("Select"), orderable=False, empty_values=(),
        attrs={"th": {"class": "col-select"}, "td": {"class": "col-select"}},
    )
    coachee = PersonColumn(
        verbose_name=_("Coachee"), order_by=("coachee__full_name", "coachee__email"),
        attrs={"td": {"class": "col-coachee"}},
    )
    coach = PersonColumn(verbose_name=_("Coach"), order_by=("coach__full_name", "coach__email"),
                         default=EMPTY)
    template = tables.Column(accessor="template__name", verbose_name=_("Template"),
                             order_by=("template__name",))
    # The model's fields have no translated names: the headings are named here, for Spanish.
    kind = tables.Column(verbose_name=_("Kind"))
    status = tables.Column(verbose_name=_("Status"))
    owner = PersonColumn(verbose_name=_("Owner"), order_by=("owner__full_name", "owner__email"))
    location = tables.Column(accessor="location__name", verbose_name=_("Location"),
                             order_by=("location__name",),
                             default=EMPTY)
    started_on = DateColumn(verbose_name=_("Start date"))
    last_activity_on = DateColumn(verbose_name=_("Last activity"), default=EMPTY)
    next_event_on = DateColumn(verbose_name=_("Next session"), default=EMPTY)
    progress = tables.Column(
        accessor="seen_progress", verbose_name=_("On/Off Track"), empty_values=(),
        order_by=("seen_progress",),
    )
    progress_reason = tables.Column(
        accessor="pk", verbose_name=_("Why (progress)"), orderable=False, empty_values=(),
    )
    off_track_since = DateColumn(
        accessor="seen_off_track_since", verbose_name=_("Off track since"), default="-",
        order_by=("seen_off_track_since",),
    )
    days_until_off_track = tables.Column(
        accessor="seen_off_track_on", verbose_name=_("Days until off track"),
        empty_values=(None,), default="-", order_by=("seen_off_track_on",),
        attrs={"td": {"class": "num"}, "th": {"class": "num col-days"}},
    )
    actions = tables.Column(
        accessor="pk", verbose_name=_("Actions"), orderable=False, empty_values=(),
        attrs={"th": {"class": "col-actions"}, "td": {"class": "col-actions"}},
    )

    # How the CSV export writes the columns the cells render (optify.lists.export): people by
    # name (or email), choices by label, progress by its words, "days until" counted. An
    # empty cell reads "—" there, and "-" only in the progress columns, where it means "not
    # tracked, or not yours to see": the page's single dash serves a reader, a spreadsheet
    # keeps the difference.
    export = {
        "coachee": {"value": person("coachee"), "empty": CSV_EMPTY},
        "coach": {"value": person("coach"), "empty": CSV_EMPTY},
        "owner": {"value": person("owner"), "empty": CSV_EMPTY},
        "kind": {"kind": "choice", "labels": dict(Engagement.Kind.choices), "empty": CSV_EMPTY},
        "status": {"kind": "choice", "labels": dict(Engagement.Status.choices),
                   "empty": CSV_EMPTY},
        "template": {"empty": CSV_EMPTY},
        "location": {"empty": CSV_EMPTY},
        "started_on": {"empty": CSV_EMPTY},
        "last_activity_on": {"empty": CSV_EMPTY},
        "next_event_on": {"empty": CSV_EMPTY},
        "progress": {"kind": "choice", "labels": PROGRESS_LABELS},
        "days_until_off_track": {"kind": "days_until"},
        # Rule 10's reason, composed from the row's stored fields by engagements/reasons.py,
        # the one spelling of it everywhere; "-" where the viewer may not see progress.
        "progress_reason": {"kind": "python", "empty": HIDDEN, "value": reason_fields(),
                            "format": reason_cell},
    }

    class Meta(BaseTable.Meta):
        model = Engagement
        fields = ()
        attrs = {"class": "table", "id": "engagements-table"}
        row_attrs = {"data-engagement": lambda record: record.pk}
        empty_text = _("No engagements match these filters.")
        default = EMPTY
        # Progress right after the people: on a laptop's width the table scrolls sideways,
        # and what the page is for should not be past the fold.
        default_columns = (
            "coachee", "coach", "progress", "off_track_since", "days_until_off_track",
            "next_event_on", "status", "template", "started_on", "location",
        )
        fixed_columns = ("select", "actions")

    def __init__(self, *args, today=None, **kwargs):
        # `today` is the viewer's company-local date; rows of other companies (a coach's) are
        # counted in their own company's timezone in render_days_until_off_track.
        self.today = today
        self._todays = {}
        self._urls = {name: url_pattern(f"engagements:{name}")
                      for name in ("detail", "end_early", "mark_complete")}
        super().__init__(*args, **kwargs)

    # Dates that are often empty sort with the empty ones last, whichever the direction: the
    # "most recently off track" view starts with off-track rows, not with thousands of "-".
    @staticmethod
    def _nulls_last(queryset, field, is_descending):
        expression = F(field).desc(nulls_last=True) if is_descending else F(field).asc(
            nulls_last=True)
        return queryset.order_by(expression, "-pk"), True

    def order_off_track_since(self, queryset, is_descending):
        return self._nulls_last(queryset, self._off_track_since_order_field(), is_descending)

    def _off_track_since_order_field(self):
        user = getattr(getattr(self, "request", None), "user", None)
        if user is None:
            return "seen_off_track_since"
        return by_progress(user).off_track_since_order()

    def order_days_until_off_track(self, queryset, is_descending):
        return self._nulls_last(queryset, "seen_off_track_on", is_descending)

    def order_next_event_on(self, queryset, is_descending):
        return self._nulls_last(queryset, "next_event_on", is_descending)

    def order_last_activity_on(self, queryset, is_descending):
        return self._nulls_last(queryset, "last_activity_on", is_descending)

    def render_select(self, record):
        if not getattr(record, "can_manage", False):
            return ""
        return format_html(
            '<input type="checkbox" name="pk" value="{}" form="bulk-form" '
            'aria-label="{}">', record.pk,
            _("Select %(coachee)s") % {"coachee": record.coachee},
        )

    def render_kind(self, record):
        return record.get_kind_display()

    def render_status(self, record):
        return format_html(
            '<span class="badge {}">{}</span>',
            STATUS_BADGES.get(record.status, ""), record.get_status_display(),
        )

    def render_progress(self, record, value):
        return progress_html(value, seen_reason(record))

    def render_progress_reason(self, record):
        return seen_reason(record) or HIDDEN

    def value_progress_reason(self, record):
        return seen_reason(record) or HIDDEN

    def _company_today(self, company):
        if company.pk not in self._todays:
            self._todays[company.pk] = company.local_today()
        return self._todays[company.pk]

    def render_days_until_off_track(self, record, value):
        days = (value - self._company_today(record.company)).days
        css = "at-risk" if days <= 7 else ""
        return format_html('<span class="{}">{}</span>', css, max(days, 0))

    def value_days_until_off_track(self, record, value):
        return (value - self._company_today(record.company)).days

    def render_coachee(self, record, value):
        return format_html('<a href="{}">{}</a>', self._urls["detail"].format(record.pk),
                           person_name(value))

    def render_actions(self, record):
        urls = {name: pattern.format(record.pk) for name, pattern in self._urls.items()}
        items = [format_html('<a href="{}">{}</a>', urls["detail"], _("Open"))]
        if getattr(record, "can_manage", False) and record.is_running:
            items.append(format_html('<a href="{}">{}</a>', urls["mark_complete"],
                                     _("Mark complete")))
            items.append(format_html('<a class="danger" href="{}">{}</a>',
                                     urls["end_early"], _("End early")))
        return format_html(
            '<details class="menu"><summary aria-label="{}">⋯</summary>'
            '<div class="menu-items">{}</div></details>',
            _("Actions for %(person)s") % {"person": record.coachee}, mark_safe("".join(items)),
        )

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from engagements.dates import DayRangeFilter
from engagements.filters import EngagementFilterSet
from reports.history import OFF_TRACK_HISTORY, OFF_TRACK_NOW, filter_off_track_since


class ReportFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        for name in ("off_track_since", "started"):
            dates = cleaned.get(name)
            if dates and dates.start and dates.stop and dates.start > dates.stop:
                self.add_error(name, _("The end of the range is before its start."))
        return cleaned


class ReportFilterSet(EngagementFilterSet):
    """
    The Engagements page's filters plus the report's own: Off Track Since over a date range,
    read either as "is off track now, since a day in the range" (the current
    `seen_off_track_since`) or as "went off track on a day in the range", from the
    progress history, which also finds engagements that are back on track today. Both read
    only what the viewer may see. And the start-date range.
    """

    off_track_since = DayRangeFilter(method="filter_off_track_since", label=_("Off Track Since"))
    off_track_mode = django_filters.ChoiceFilter(
        method="filter_nothing", label=_("Off Track Since means"), empty_label=None,
        choices=[
            (OFF_TRACK_NOW, "Is off track now, since a day in this range"),
            (OFF_TRACK_HISTORY, "Went off track in this range (even if back on track now)"),
        ],
        widget=forms.RadioSelect,
    )
    started = DayRangeFilter(field_name="started_on", label=_("Start date"))

    class Meta(EngagementFilterSet.Meta):
        fields = [*EngagementFilterSet.Meta.fields, "off_track_since", "off_track_mode",
                  "started"]
        form = ReportFilterForm

    modifiers = EngagementFilterSet.modifiers | {"off_track_mode"}
    # How "Off Track Since" is read, not a filter of its own: no chip above the table.
    not_chips = frozenset({"off_track_mode"})

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and not data.get("off_track_mode"):
            # Show the default reading of the range as chosen, so the form says what it does.
            data = data.copy()
            data["off_track_mode"] = OFF_TRACK_NOW
        super().__init__(data, *args, **kwargs)

    def filter_nothing(self, queryset, name, value):
        return queryset  # read by filter_off_track_since

    def filter_off_track_since(self, queryset, name, value):
        mode = self.form.cleaned_data.get("off_track_mode") or OFF_TRACK_NOW
        return filter_off_track_since(queryset, value.start, value.stop, mode)

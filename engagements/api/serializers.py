"""
What the API says about engagements, sessions and discovery calls. Reads only: writes are
request serializers that validate a body, after which the view calls the action.
"""

from types import SimpleNamespace

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from engagements.models import DiscoveryCall, Engagement, Progress, Session
from engagements.reasons import REASON_FIELDS, progress_reason
from engagements.visibility import PROGRESS_HIDDEN
from optify.api.serializers import PersonRefSerializer, RefSerializer
from optify.forms import MAX_ID

# What `progress` may be: the three states a page shows with an icon. Where a page shows
# "-" — not tracked, or not the viewer's to see — `progress` is null.
SHOWN_PROGRESS = (Progress.ON_TRACK, Progress.OFF_TRACK, Progress.PAUSED)
# Its own enum in the schema (settings.SPECTACULAR_SETTINGS, "ShownProgressEnum"): named after
# the field it would be "ProgressEnum" too, and take that name from the progress history's
# five values (`not_tracked` included), which would then fail their own schema.
SHOWN_PROGRESS_CHOICES = [(p.value, p.label) for p in SHOWN_PROGRESS]


class EngagementSerializer(serializers.ModelSerializer):
    """
    An engagement as the caller may see it: `progress`, `off_track_since` and `reason` are
    the viewer's — null where the Engagements page shows "-" to them.

    The declared fields are the schema. The rows are not model instances but the flat values
    of `ROW` (the gate's annotations and the related names, one query, no objects), written
    out as one dict by `to_representation`: building five model instances a row and walking
    some thirty field objects made the cursor walk of a tenant several times slower.
    """

    coachee = PersonRefSerializer()
    coach = PersonRefSerializer(allow_null=True)
    template = RefSerializer()
    location = RefSerializer(allow_null=True)
    progress = serializers.SerializerMethodField(
        help_text="On or off track, or paused; null where the pages show “-”: not "
                  "tracked, or not yours to see.")
    off_track_since = serializers.DateField(source="seen_off_track_since", allow_null=True,
                                            read_only=True)
    reason = serializers.SerializerMethodField(
        help_text="Why it has this progress, in one line; null if you may not see it.")
    end_reason = serializers.SerializerMethodField()
    sees_progress = serializers.BooleanField(read_only=True)
    can_manage = serializers.BooleanField(read_only=True)

    class Meta:
        model = Engagement
        fields = ["id", "status", "kind", "coachee", "coach", "template", "location",
                  "owner", "started_on", "ended_on", "end_reason", "progress",
                  "off_track_since", "reason", "sees_progress", "can_manage"]
        read_only_fields = fields

    # What a row holds: the view's `.values(*ROW)`, its related names annotated (RELATED).
    RELATED = {"coachee_full_name": "coachee__full_name", "coachee_email": "coachee__email",
               "coach_full_name": "coach__full_name", "coach_email": "coach__email",
               "template_name": "template__name", "location_name": "location__name"}
    ROW = tuple(dict.fromkeys((
        "id", "status", "kind", "coachee_id", "coach_id", "template_id", "location_id",
        "owner_id", "started_on", "ended_on", "end_reason", "seen_progress",
        "seen_off_track_since", "sees_progress", "can_manage", "pause_reason", "progress",
        *REASON_FIELDS, *RELATED)))

    def to_representation(self, row):
        return {
            "id": row["id"], "status": row["status"], "kind": row["kind"],
            "coachee": {"id": row["coachee_id"], "full_name": row["coachee_full_name"],
                        "email": row["coachee_email"]},
            "coach": ({"id": row["coach_id"], "full_name": row["coach_full_name"],
                       "email": row["coach_email"]} if row["coach_id"] else None),
            "template": {"id": row["template_id"], "name": row["template_name"]},
            "location": ({"id": row["location_id"], "name": row["location_name"]}
                         if row["location_id"] else None),
            "owner": row["owner_id"], "started_on": iso(row["started_on"]),
            "ended_on": iso(row["ended_on"]), "end_reason": self.get_end_reason(row),
            "progress": self.get_progress(row),
            "off_track_since": iso(row["seen_off_track_since"]),
            "reason": self.get_reason(row),
            "sees_progress": bool(row["sees_progress"]), "can_manage": bool(row["can_manage"]),
        }

    @extend_schema_field(serializers.ChoiceField(choices=SHOWN_PROGRESS_CHOICES,
                                                 allow_null=True))
    def get_progress(self, row):
        seen = row["seen_progress"]
        return seen if seen in SHOWN_PROGRESS else None

    @extend_schema_field(serializers.ChoiceField(choices=Engagement.EndReason.choices,
                                                 allow_null=True))
    def get_end_reason(self, row):
        return row["end_reason"] or None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_reason(self, row):
        if row["seen_progress"] == PROGRESS_HIDDEN:
            return None
        return progress_reason(SimpleNamespace(**row), row["pause_reason"] or "")


def iso(day):
    return day.isoformat() if day is not None else None


class EventSerializer(serializers.ModelSerializer):
    engagement = serializers.IntegerField(source="engagement_id", read_only=True)

    class Meta:
        fields = ["id", "engagement", "starts_at", "duration_minutes", "status",
                  "cancelled_at", "cancel_reason", "created_at"]
        read_only_fields = fields


class SessionSerializer(EventSerializer):
    """A session. Its notes are the coach's and stay on the pages (coaching is confidential)."""

    from_calendar = serializers.SerializerMethodField(
        help_text="Booked outside Optify: read from a connected calendar (docs/integrations.md).")

    class Meta(EventSerializer.Meta):
        model = Session
        fields = [*EventSerializer.Meta.fields, "from_calendar"]
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField())
    def get_from_calendar(self, session):
        return bool(session.calendar_uid)


class DiscoveryCallSerializer(EventSerializer):
    coach = PersonRefSerializer(read_only=True)

    class Meta(EventSerializer.Meta):
        model = DiscoveryCall
        fields = [*EventSerializer.Meta.fields, "coach"]
        read_only_fields = fields


def id_field(**kwargs):
    """An id in a body: a whole number a row can have (see optify/forms.py)."""
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class ScheduleSessionSerializer(serializers.Serializer):
    engagement = id_field()
    starts_at = serializers.DateTimeField()
    duration_minutes = serializers.IntegerField(min_value=15, max_value=480, default=60)


class ScheduleDiscoveryCallSerializer(serializers.Serializer):
    engagement = id_field()
    starts_at = serializers.DateTimeField()
    coach = id_field(help_text="The candidate coach's id.")
    duration_minutes = serializers.IntegerField(min_value=15, max_value=480, default=60)


class MoveSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, allow_blank=True, default="")


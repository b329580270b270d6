"""
An engagement's goals and its message thread as sections any page can show:

    {% load engagement_parts %}
    {% goals_section engagement %}       {% messages_section engagement heading=3 %}

`engagement` should come through the gate (`Engagement.objects.restrict(user)`, or
`actions.engagement_for`), which says whether the viewer manages it. A section shows what the
viewer may read (actions.is_participant: the coachee, the coach, the managing administrators;
anyone else gets one line saying whose it is), and its form only to those who may write now —
never once the engagement has ended. After a POST, the page they were on is where they return.
A few queries per section; none for a page that prefetched the engagement's `goals` and, as
`thread_messages` (oldest first), its `messages` (the coachee's home).
"""

from django import template

from engagements import actions
from engagements.participant_forms import GoalForm, MessageForm

register = template.Library()

# The newest messages a section shows; older ones are counted, not shown.
THREAD_LENGTH = 100


def _base(context, engagement, heading):
    request = context["request"]
    user = request.user
    # Back to this page after a POST; a page answering a POST (a form's errors) sends them
    # back to where that POST came from.
    back = request.POST.get("next", "") if request.method == "POST" else request.get_full_path()
    return user, {
        "engagement": engagement, "reads": actions.is_participant(user, engagement),
        "heading": f"h{heading}", "next": back, "tz": engagement.company.timezone,
    }


def _form(context, key, engagement, form_class, allowed):
    form = context.get(key)
    if form is not None and form.is_for(engagement):
        return form
    return form_class(engagement=engagement) if allowed else None


@register.inclusion_tag("engagements/_goals.html", takes_context=True)
def goals_section(context, engagement, heading=2):
    user, parts = _base(context, engagement, heading)
    can_write = parts["reads"] and actions.may(user, engagement, actions.WRITE_GOALS)
    parts.update(
        goals=list(engagement.goals.all()) if parts["reads"] else [],
        can_write=can_write,
        form=_form(context, "goal_form", engagement, GoalForm, can_write),
    )
    return parts


def _author_role(message, engagement):
    if message.author_id is not None and message.author_id == engagement.coachee_id:
        return "coachee"
    if message.author_id is not None and message.author_id == engagement.coach_id:
        return "coach"
    return "administrator"


@register.inclusion_tag("engagements/_messages.html", takes_context=True)
def messages_section(context, engagement, heading=2):
    user, parts = _base(context, engagement, heading)
    can_write = parts["reads"] and actions.may(user, engagement, actions.POST_MESSAGE)
    thread, total = [], 0
    if parts["reads"]:
        prefetched = getattr(engagement, "thread_messages", None)  # oldest first (homes.py)
        if prefetched is not None:
            thread, total = prefetched[-THREAD_LENGTH:], len(prefetched)
        else:
            newest = list(engagement.messages.order_by("-created_at", "-pk")[:THREAD_LENGTH])
            total = len(newest)
            if total == THREAD_LENGTH:
                total = engagement.messages.count()
            thread = newest[::-1]  # newest last
        for message in thread:
            message.role = _author_role(message, engagement)
            message.mine = message.author_id == user.pk
    parts.update(
        thread=thread, older=total - len(thread), can_write=can_write,
        form=_form(context, "message_form", engagement, MessageForm, can_write),
    )
    return parts

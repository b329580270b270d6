from notifications.models import NudgePreference, Role


def roles_held(user):
    """The roles in which `user` can be nudged, in a stable order."""
    roles = []
    if user.coachee_engagements.exists():
        roles.append(Role.COACHEE)
    if user.coach_engagements.exists():
        roles.append(Role.COACH)
    if user.is_company_admin:
        roles.append(Role.ADMINISTRATOR)
    return roles


def other_kinds_held(user, roles):
    """The other kinds of email `user` can get, besides their roles' off-track emails."""
    kinds = []
    if Role.COACHEE in roles or Role.COACH in roles:
        kinds.append(Role.EARLY_WARNING)
        kinds.append(Role.CALENDAR_INVITES)
    if Role.ADMINISTRATOR in roles:
        kinds.append(Role.WEEKLY_DIGEST)
    if roles:  # everyone in an engagement's thread: its coachee, coach and administrators
        kinds.append(Role.MESSAGES)
    return kinds


def enabled_roles(user):
    off = set(
        NudgePreference.objects.filter(user=user, enabled=False).values_list("role", flat=True)
    )
    return {role for role in Role.values if role not in off}


def set_enabled(user, role, enabled):
    NudgePreference.objects.update_or_create(user=user, role=role, defaults={"enabled": enabled})

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
        roles.append(Role.WEEKLY_DIGEST)
    if Role.COACHEE in roles or Role.COACH in roles:
        roles.append(Role.EARLY_WARNING)
    return roles


def enabled_roles(user):
    off = set(
        NudgePreference.objects.filter(user=user, enabled=False).values_list("role", flat=True)
    )
    return {role for role in Role.values if role not in off}


def set_enabled(user, role, enabled):
    NudgePreference.objects.update_or_create(user=user, role=role, defaults={"enabled": enabled})

"""
`{% company_setup user as setup %}`: how far a new company's administrator is along
"create a template → add people → launch", for the empty states that walk them through it.
Used on Home and where a list came out empty; a few small queries, for administrators only.
"""

from django import template
from django.contrib.auth import get_user_model

from engagements.models import Engagement
from templates_app.models import EngagementTemplate

register = template.Library()


@register.simple_tag
def company_setup(user):
    if not getattr(user, "is_authenticated", False) or not user.company_id \
            or not user.is_company_admin:
        return None
    company_id = user.company_id
    if Engagement.objects.filter(company_id=company_id).exists() \
            or Engagement.objects.restrict(user).exists():
        # Not new (an empty list means the filters found nothing), or a coaching provider,
        # whose people coach other companies' engagements.
        return None
    return {
        "has_template": EngagementTemplate.objects.filter(company_id=company_id).exists(),
        "has_people": get_user_model().objects.filter(company_id=company_id)
        .exclude(pk=user.pk).exists(),
        "can_edit_templates": user.is_global_admin,
    }

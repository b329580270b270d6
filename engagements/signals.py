from django.conf import settings
from django.db.models import Case, Value, When
from django.db.models.signals import post_save
from django.dispatch import receiver

from engagements.models import Engagement


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def keep_provider_company(sender, instance, created, update_fields=None, **kwargs):
    """A coach who moves company takes `Engagement.provider_company` along."""
    if created or (update_fields is not None and "company" not in update_fields):
        return
    coached = Engagement.objects.filter(coach=instance)
    if instance.company_id is None:
        coached.update(provider_company=None)
    else:
        coached.update(provider_company=Case(
            When(company_id=instance.company_id, then=None),
            default=Value(instance.company_id),
        ))

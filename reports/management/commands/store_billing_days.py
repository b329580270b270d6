"""
Compute and store the Billing page's days ahead of the first visit (reports/billing.py).

    python manage.py store_billing_days              # every company
    python manage.py store_billing_days --company acme

Re-runnable: only days not stored yet are computed. Worth running after a deploy or a data
import (a 200,000-engagement tenant takes seconds cold, then a visit is a few milliseconds).
Beat runs the same hourly (reports.tasks.store_billing_days), so the day's first visit
finds the day stored.
"""

from django.core.management.base import BaseCommand

from accounts.models import Company
from reports.billing import store_missing_days_of


class Command(BaseCommand):
    help = "Compute and store the Billing page's missing days for every company (or one)."

    def add_arguments(self, parser):
        parser.add_argument("--company", dest="company_slug", help="only this company (slug)")

    def handle(self, *args, company_slug=None, **options):
        companies = Company.objects.order_by("pk")
        if company_slug:
            companies = companies.filter(slug=company_slug)
        for company, days, milliseconds in store_missing_days_of(companies):
            self.stdout.write(f"billing_days company={company.slug} stored={days} "
                              f"duration_ms={milliseconds:.0f}")

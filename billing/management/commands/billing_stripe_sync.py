"""Create or update the Stripe products and prices of the plans. Idempotent: safe to re-run."""
from django.core.management.base import BaseCommand, CommandError

from billing.services import plans_stripe_sync
from billing.stripe_api import billing_enabled


class Command(BaseCommand):
    help = "Put the plan catalogue on Stripe (products and prices), creating only what is missing."

    def handle(self, *args, **options):
        if not billing_enabled():
            raise CommandError("STRIPE_SECRET_KEY is not set: billing runs in free mode, there is nothing to sync.")
        for line in plans_stripe_sync():
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS("Plans are on Stripe."))

"""Create (once) the demo company with a team, and print its address and logins."""
from django.core.management.base import BaseCommand
from django.db import transaction
from django_tenants.utils import schema_context

from tenants.models import Tenant

DEMO_SLUG = "demo"
DEMO_PASSWORD = "demo-pass-2026"
TEAM = [
    # email, name, roles, manager email
    ("owner@demo.test", "Olena Owner", ["owner"], None),
    ("admin@demo.test", "Adam Admin", ["admin"], "owner@demo.test"),
    ("manager@demo.test", "Maria Manager", ["manager"], "owner@demo.test"),
    ("staff@demo.test", "Stepan Staff", ["staff"], "manager@demo.test"),
]


class Command(BaseCommand):
    help = "Create the demo tenant with sample users (idempotent) and print how to sign in."

    def add_arguments(self, parser):
        parser.add_argument("--port", default="8000")

    @transaction.atomic
    def handle(self, *args, **options):
        from accounts.models import User
        from accounts.services import user_create, user_update
        from tenants.services import tenant_host, tenant_provision

        if not Tenant.objects.filter(schema_name=DEMO_SLUG).exists():
            owner_email, owner_name, _roles, _manager = TEAM[0]
            tenant_provision(
                name="Demo Windows Ltd",
                slug=DEMO_SLUG,
                owner_email=owner_email,
                owner_password=DEMO_PASSWORD,
                owner_name=owner_name,
                time_zone="Europe/Kyiv",
                country="UA",
            )
        with schema_context(DEMO_SLUG):
            owner = User.objects.get(email=TEAM[0][0])
            for email, name, roles, _manager in TEAM[1:]:
                if not User.objects.filter(email=email).exists():
                    user_create(email=email, password=DEMO_PASSWORD, full_name=name, roles=roles, actor=owner)
            for email, _name, _roles, manager_email in TEAM:
                user = User.objects.get(email=email)
                if manager_email and user.manager_id is None:
                    user_update(user=user, actor=owner, manager=User.objects.get(email=manager_email))

        port = options["port"]
        suffix = f":{port}" if port not in ("80", "") else ""
        self.stdout.write(self.style.SUCCESS("\nDemo company is ready."))
        self.stdout.write(f"  Public site and signup: http://localhost{suffix}/signup/")
        self.stdout.write(f"  Demo company:           http://{tenant_host(DEMO_SLUG)}{suffix}/")
        self.stdout.write(f"  API docs:               http://{tenant_host(DEMO_SLUG)}{suffix}/api/docs/")
        self.stdout.write(f"  Logins (password {DEMO_PASSWORD}):")
        for email, name, roles, _manager in TEAM:
            self.stdout.write(f"    {email:<22} {name:<16} {', '.join(roles)}")
        self.stdout.write("")

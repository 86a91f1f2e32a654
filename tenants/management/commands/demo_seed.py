"""Create (once) the demo company with a team, and print its address and logins."""
from datetime import date

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
    ("measurer@demo.test", "Mykola Measurer", ["staff", "measurer"], "manager@demo.test"),
    ("master@demo.test", "Taras Master", ["staff", "master"], "manager@demo.test"),
    ("installer@demo.test", "Ivan Installer", ["staff", "installer"], "manager@demo.test"),
]
# Sample deals: title, client, phone, amount, the stage to bring it to, hours overdue (None: on time)
DEMO_SOURCES = ["Advertising", "Referral", "Website", "Walk-in"]

DEALS = [
    ("Balcony glazing", "Petrenko Oksana", "+380671234501", None, "clarify", None),
    ("Three windows, flat 12", "Kovalenko Andrii", "+380671234502", None, "clarify", 5),
    ("Country house, 9 windows", "Shevchenko Iryna", "+380671234503", None, "schedule-measurement", None),
    ("Office partition", "TOV Svitlo", "+380671234504", None, "measurement", 20),
    ("Kitchen window", "Bondarenko Olha", "+380671234505", None, "price-calculation", None),
    ("Loggia and door", "Melnyk Serhii", "+380671234506", 48000, "contract-signed", None),
    ("School, 24 windows", "Lyceum No. 3", "+380671234507", 610000, "manufacturing", 30),
    ("Two-room flat", "Tkachenko Roman", "+380671234508", 36500, "schedule-installation", None),
    ("Veranda", "Kravchenko Natalia", "+380671234509", 52000, "won", None),
    ("Attic window", "Oliinyk Yurii", "+380671234510", None, "lost", None),
]
FILL = {
    "data.measurement_date": "2026-12-01",
    "data.measurements": "Measured on site",
    "data.contract_number": "DW-2026-001",
    "data.installation_date": "2026-12-20",
    "amount": 25000,
    "close_reason": "Chose a cheaper offer",
}


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
            pipeline = self._pipeline(owner)
            for email, name, roles, _manager in TEAM[1:]:
                if not User.objects.filter(email=email).exists():
                    user_create(email=email, password=DEMO_PASSWORD, full_name=name, roles=roles, actor=owner)
            for email, _name, _roles, manager_email in TEAM:
                user = User.objects.get(email=email)
                if manager_email and user.manager_id is None:
                    user_update(user=user, actor=owner, manager=User.objects.get(email=manager_email))

            if pipeline is not None:
                self._sample_deals(owner, pipeline)
                self._client_base(owner)

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

    def _pipeline(self, owner):
        """The window-installation template (its roles too); None when it was installed before."""
        from workflows.models import Pipeline
        from workflows.services.definitions import pipeline_install_blueprint

        if Pipeline.objects.filter(template_code="window-installation").exists():
            return None
        return pipeline_install_blueprint(code="window-installation", actor=owner)

    def _client(self, owner, name: str, phone: str):
        """A client card with a first appeal (the call that started the deal)."""
        from apps.clients.models import ClientSource
        from apps.clients.services import client_create
        from apps.interactions.services import interaction_register

        sources = [ClientSource.objects.get_or_create(name=n, defaults={"position": i})[0] for i, n in enumerate(DEMO_SOURCES)]
        surname, _sep, first_name = name.partition(" ")
        card = client_create(actor=owner, surname=surname, first_name=first_name, phones=[phone],
                             source=sources[len(surname) % len(sources)], allow_duplicate=True)
        interaction_register(actor=owner, client=card, channel="phone", kind="inquiry", subject="Windows",
                             summary="Asked about new windows and a measurement.", result="A measurer will call back.")
        return card

    def _client_base(self, owner):
        """A custom field, a rule category, a shared segment, a company with its people, a family."""
        from apps.clients.custom_fields.services import custom_field_create
        from apps.clients.models import Client
        from apps.clients.people.services import company_contact_set, family_member_add
        from apps.clients.segments.services import category_create, category_recalculate, segment_create
        from apps.clients.services import client_create, client_update

        custom_field_create(actor=owner, key="windows", label="Windows in the home", type="number")
        custom_field_create(actor=owner, key="building", label="Building", type="choice", choices=["Flat", "House", "Office"])
        vip = category_create(actor=owner, name="VIP", description="Won deals worth 50,000 or more", rule={"won_amount_gte": "50000"})
        category_recalculate(category=vip)
        segment_create(actor=owner, name="No contact for 90 days", filters={"no_contact_days": 90}, is_shared=True)
        shevchenko = Client.objects.filter(surname="Shevchenko").first()
        if shevchenko is not None:
            client_update(client=shevchenko, actor=owner, custom={"windows": 9, "building": "House"}, birthday="1984-11-30")
            family_member_add(client=shevchenko, actor=owner, name="Dmytro", relation="child", birthday=date(2014, 12, 2))
        company = client_create(actor=owner, kind="company", company_name="TOV Budmontazh", tax_id="41234567",
                                phones=["+380442223344"], address="Kyiv, Khreshchatyk 1", allow_duplicate=True)
        director = client_create(actor=owner, surname="Hnatiuk", first_name="Vasyl", phones=["+380671234590"], allow_duplicate=True)
        accountant = client_create(actor=owner, surname="Savchuk", first_name="Liudmyla", emails=["buh@budmontazh.test"], allow_duplicate=True)
        company_contact_set(company=company, person=director, actor=owner, position="Director", is_primary=True)
        company_contact_set(company=company, person=accountant, actor=owner, position="Accountant")

    def _sample_deals(self, owner, pipeline):
        """Deals in various stages of the window pipeline, some of them overdue."""
        from datetime import timedelta

        from apps.deals.models import Deal
        from apps.deals.services import deal_create, deal_move
        from workflows.models import StageVisit
        from workflows.selectors import version_published_latest
        from workflows.services import engine
        from workflows.services.monitor import deadline_index_lower

        stages = list(version_published_latest(pipeline).stages.order_by("position"))
        by_key = {stage.key: stage for stage in stages}
        from django.utils import timezone

        for title, client, phone, amount, target, overdue_hours in DEALS:
            card = self._client(owner, client, phone)
            deal = deal_create(pipeline=pipeline, title=title, actor=owner, client=card, client_name=client, client_phone=phone,
                               amount=amount, currency="UAH")
            goal = by_key[target]
            if goal.kind == "open":
                path = [s for s in stages if s.kind == "open" and s.position <= goal.position]
            elif goal.kind == "won":
                path = [s for s in stages if s.kind == "open"] + [goal]
            else:
                path = [goal]
            for stage in path:
                if stage.pk == deal.stage_id:
                    continue
                missing = engine.missing_fields(deal, stage)
                deal_move(deal=deal, to_stage=stage, actor=owner, fields={k: v for k, v in FILL.items() if k in missing})
                deal = Deal.objects.get(pk=deal.pk)
            if overdue_hours:
                # Demo data only: pretend the deal entered its stage long enough ago to be late.
                visit = deal.current_visit
                shift = (visit.due_at - timezone.now()) + timedelta(hours=overdue_hours)
                StageVisit.objects.filter(pk=visit.pk).update(
                    entered_at=visit.entered_at - shift, due_at=visit.due_at - shift, warn_at=visit.warn_at - shift
                )
                deadline_index_lower(DEMO_SLUG, visit.warn_at - shift)

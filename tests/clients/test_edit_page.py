"""The card's edit page, and custom fields on the appeal form's new client."""
import datetime
import re

import pytest
from django import forms
from django_tenants.utils import schema_context

from tests.web.test_pages import signed_in

pytestmark = pytest.mark.django_db


def _posted(page, **changes) -> dict:
    """What a browser submits for the form on `page` left as it is, with `changes` typed in
    (None leaves an input out, as an unticked box)."""
    assert page.status_code == 200, page.content.decode()[:1000]
    data = {}
    for bound in page.context["form"]:
        value = bound.value()
        if isinstance(bound.field, forms.BooleanField):
            if value:
                data[bound.name] = "on"
            continue
        if value is None:
            value = ""
        data[bound.name] = value.isoformat() if hasattr(value, "isoformat") else str(value).replace("\n", "\r\n")
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def _define(owner, **fields):
    from apps.clients.custom_fields.services import custom_field_create

    return custom_field_create(actor=owner, **{"key": "window_count", "label": "Windows", "type": "number", **fields})


def _errors(response, name) -> list[str]:
    return [e.code for e in response.context["form"].errors.as_data().get(name, [])]


def test_editing_saves_the_changed_fields_and_leaves_the_others(tenant_a, owner_of):
    from apps.audit.models import AuditEvent
    from apps.clients.models import Client, ClientSource
    from apps.clients.services import client_create

    with schema_context(tenant_a.slug):
        owner = owner_of(tenant_a)
        source = ClientSource.objects.create(name="Billboard")
        _define(owner)
        _define(owner, key="since", label="Client since", type="date")
        _define(owner, key="material", label="Material", type="choice", choices=["Oak", "Pine"])
        _define(owner, key="vip", label="VIP", type="boolean")
        client = client_create(
            actor=owner, surname="Коваль", first_name="Іван", phones=["+380671234567", "+380501112233"], emails=["ivan@example.com"],
            source=source, birthday=datetime.date(1990, 5, 17), consent_email=True, address="Kyiv\nKhreshchatyk 1",
            custom={"window_count": 4, "since": "2024-01-31", "material": "Oak", "vip": True},
        )
        # Required after the card was made: leaving the card's (empty) value alone must still save.
        _define(owner, key="floor", label="Floor", type="number", required=True)
    web = signed_in(tenant_a)
    page = web.get(f"/clients/{client.pk}/edit/")
    html = page.content.decode()
    assert "+380671234567\n+380501112233</textarea>" in html
    assert 'name="custom__window_count" value="4"' in html and 'name="custom__since" value="2024-01-31"' in html
    assert 'name="birthday" value="1990-05-17"' in html and f'<option value="{source.pk}" selected>' in html
    assert 'name="consent_email" id="id_consent_email" checked' in html

    saved = web.post(f"/clients/{client.pk}/edit/", _posted(page, first_name="Петро", custom__window_count="5"))
    assert saved.status_code == 302 and saved["Location"] == f"/clients/{client.pk}/"
    with schema_context(tenant_a.slug):
        client = Client.objects.get(pk=client.pk)
        event = AuditEvent.objects.get(action="client.updated", target_id=str(client.pk))
    assert (client.surname, client.first_name) == ("Коваль", "Петро")
    assert client.custom == {"window_count": 5, "since": "2024-01-31", "material": "Oak", "vip": True}
    assert client.phones == ["+380671234567", "+380501112233"] and client.emails == ["ivan@example.com"]
    assert (client.source_id, client.birthday, client.consent_email, client.address) == (source.pk, datetime.date(1990, 5, 17), True, "Kyiv\nKhreshchatyk 1")
    assert set(event.changes) == {"first_name", "custom"} and event.changes["custom"] == {"window_count": [4, 5]}

    cleared = web.post(f"/clients/{client.pk}/edit/", _posted(web.get(f"/clients/{client.pk}/edit/"), custom__material="", custom__vip=None))
    assert cleared.status_code == 302
    with schema_context(tenant_a.slug):
        assert Client.objects.get(pk=client.pk).custom == {"window_count": 5, "since": "2024-01-31", "vip": False}


def test_the_card_links_to_its_edit_page(tenant_a, owner_of):
    from apps.clients.services import client_create

    with schema_context(tenant_a.slug):
        client = client_create(actor=owner_of(tenant_a), surname="Link")
    card = signed_in(tenant_a).get(f"/clients/{client.pk}/").content.decode()
    assert f'href="/clients/{client.pk}/edit/" data-testid="client-edit"' in card


def test_dates_are_filled_in_iso_form_whatever_the_language_so_saving_keeps_them(tenant_a, owner_of, make_user):
    from accounts.models import User
    from apps.clients.models import Client
    from apps.clients.services import client_create

    clerk = make_user(tenant_a)
    with schema_context(tenant_a.slug):
        User.objects.filter(pk=clerk.pk).update(language="uk")
        _define(owner_of(tenant_a), key="since", label="Client since", type="date")
        client = client_create(actor=clerk, surname="Дата", birthday=datetime.date(1990, 5, 17), custom={"since": "2024-01-31"})
    web = signed_in(tenant_a, clerk.email)
    page = web.get(f"/clients/{client.pk}/edit/")
    html = page.content.decode()
    assert 'name="birthday" value="1990-05-17"' in html and 'name="custom__since" value="2024-01-31"' in html
    assert web.post(f"/clients/{client.pk}/edit/", _posted(page, surname="Дата-2")).status_code == 302
    with schema_context(tenant_a.slug):
        client = Client.objects.get(pk=client.pk)
    assert (client.surname, client.birthday, client.custom) == ("Дата-2", datetime.date(1990, 5, 17), {"since": "2024-01-31"})


def test_an_unchanged_phone_saves_without_asking_a_phone_of_another_card_asks_and_confirming_saves(tenant_a, owner_of):
    from apps.clients.models import Client
    from apps.clients.services import client_create

    with schema_context(tenant_a.slug):
        owner = owner_of(tenant_a)
        # Two cards already share a phone (an import made them); editing one must not trip over it.
        client = client_create(actor=owner, surname="Shared", phones=["+380671234567"])
        client_create(actor=owner, surname="Twin", phones=["+380671234567"], allow_duplicate=True)
        other = client_create(actor=owner, surname="Other", phones=["+380509998877"])
    web = signed_in(tenant_a)
    url = f"/clients/{client.pk}/edit/"
    assert web.post(url, _posted(web.get(url), surname="Shared-2")).status_code == 302
    # The same number typed the way people write it is still the unchanged phone.
    assert web.post(url, _posted(web.get(url), phones="+380 67 123 45 67")).status_code == 302

    page = web.get(url)
    asked = web.post(url, _posted(page, phones="+380671234567\r\n+380 50 999 88 77"))
    html = asked.content.decode()
    assert asked.status_code == 200 and 'data-testid="duplicates"' in html and f'href="/clients/{other.pk}/"' in html
    assert 'name="allow_duplicate" value="on"' in html
    with schema_context(tenant_a.slug):
        assert Client.objects.get(pk=client.pk).phones == ["+380671234567"]

    confirmed = web.post(url, _posted(page, phones="+380671234567\r\n+380 50 999 88 77", allow_duplicate="on"))
    assert confirmed.status_code == 302
    with schema_context(tenant_a.slug):
        client = Client.objects.get(pk=client.pk)
    assert (client.surname, client.phones) == ("Shared-2", ["+380671234567", "+380509998877"])


def test_bad_input_shows_errors_on_the_inputs_and_changes_nothing(tenant_a, owner_of):
    from apps.clients.models import Client
    from apps.clients.services import client_create

    with schema_context(tenant_a.slug):
        owner = owner_of(tenant_a)
        _define(owner)
        _define(owner, key="floor", label="Floor", type="number", required=True)
        _define(owner, key="material", label="Material", type="choice", choices=["Oak"], applies_to="company")
        client = client_create(actor=owner, surname="Stable", emails=["a@example.com"], custom={"window_count": 4, "floor": 2})
        before = Client.objects.values().get(pk=client.pk)
    web = signed_in(tenant_a)
    url = f"/clients/{client.pk}/edit/"
    page = web.get(url)
    cases = [
        ({"custom__window_count": "many"}, "custom__window_count", "invalid"),  # the form's own check
        ({"custom__window_count": "1e20"}, "custom__window_count", "max_value"),  # the service's bound
        ({"custom__floor": ""}, "custom__floor", "required"),  # a required value cannot be removed
        ({"custom__material": "Oak"}, "custom__material", "not_applicable"),
        ({"emails": "a@example.com\r\nnot-an-e-mail"}, "emails", "invalid"),
        ({"phones": "12"}, "phones", "invalid_phone"),
        ({"surname": "", "first_name": ""}, "surname", "required"),
    ]
    for changes, name, code in cases:
        response = web.post(url, _posted(page, **changes))
        assert response.status_code == 200, changes
        assert code in _errors(response, name), (changes, response.context["form"].errors)
        assert 'class="errorlist' in response.content.decode()
    with schema_context(tenant_a.slug):
        assert Client.objects.values().get(pk=client.pk) == before


def test_staff_edit_the_cards_they_see_and_get_404_for_others(tenant_a, owner_of, make_user):
    from apps.clients.models import Client
    from apps.clients.services import client_create

    clerk = make_user(tenant_a)
    with schema_context(tenant_a.slug):
        theirs = client_create(actor=clerk, surname="Mine")
        hidden = client_create(actor=owner_of(tenant_a), surname="Hidden")
    web = signed_in(tenant_a, clerk.email)
    assert web.get(f"/clients/{hidden.pk}/edit/").status_code == 404
    assert web.post(f"/clients/{hidden.pk}/edit/", {"kind": "person", "surname": "Taken"}).status_code == 404
    url = f"/clients/{theirs.pk}/edit/"
    assert web.post(url, _posted(web.get(url), surname="Mine-2")).status_code == 302
    with schema_context(tenant_a.slug):
        assert Client.objects.get(pk=hidden.pk).surname == "Hidden"
        assert Client.objects.get(pk=theirs.pk).surname == "Mine-2"


def test_a_manager_gives_the_card_to_another_owner_staff_see_no_owner_field(tenant_a, owner_of, make_user):
    from apps.clients.models import Client
    from apps.clients.services import client_create

    manager = make_user(tenant_a, roles=["manager"])
    clerk = make_user(tenant_a)
    other = make_user(tenant_a)
    with schema_context(tenant_a.slug):
        client = client_create(actor=clerk, surname="Moving")
    url = f"/clients/{client.pk}/edit/"

    clerk_web = signed_in(tenant_a, clerk.email)
    clerk_page = clerk_web.get(url)
    assert 'name="owner"' not in clerk_page.content.decode()
    # An owner smuggled into the post is not a field of their form: nothing moves.
    assert clerk_web.post(url, _posted(clerk_page, owner=str(other.pk))).status_code == 302
    with schema_context(tenant_a.slug):
        assert Client.objects.get(pk=client.pk).owner_id == clerk.pk

    manager_web = signed_in(tenant_a, manager.email)
    manager_page = manager_web.get(url)
    assert f'<option value="{clerk.pk}" selected>' in manager_page.content.decode()
    assert manager_web.post(url, _posted(manager_page, owner=str(other.pk))).status_code == 302
    with schema_context(tenant_a.slug):
        assert Client.objects.get(pk=client.pk).owner_id == other.pk
    assert signed_in(tenant_a, other.email).get(url).status_code == 200


def test_the_update_service_refuses_an_owner_change_by_staff(tenant_a, make_user):
    from apps.api.errors import DomainError
    from apps.clients.services import client_create, client_update

    clerk = make_user(tenant_a)
    other = make_user(tenant_a)
    with schema_context(tenant_a.slug):
        client = client_create(actor=clerk, surname="Kept")
        with pytest.raises(DomainError) as refused:
            client_update(client=client, actor=clerk, owner=other)
        assert refused.value.code == "permission_denied"
        assert client_update(client=client, actor=clerk, owner=clerk, surname="Kept-2").owner_id == clerk.pk


# The appeal form's new client ------------------------------------------------------------------

def _appeal(**fields):
    return {"channel": "phone", "kind": "inquiry", "subject": "Roof windows", "new_surname": "Мельник", "new_phone": "+380675554433", **fields}


def test_the_appeal_form_saves_a_new_clients_custom_values_and_shows_errors_on_the_inputs(tenant_a, owner_of):
    from apps.clients.models import Client

    with schema_context(tenant_a.slug):
        owner = owner_of(tenant_a)
        _define(owner, required=True)
        _define(owner, key="material", label="Material", type="choice", choices=["Oak"], applies_to="company")
    web = signed_in(tenant_a)
    form = web.get("/appeals/new/").content.decode()
    assert 'name="custom__window_count"' in form and 'name="custom__material"' not in form

    missing = web.post("/appeals/new/", _appeal())
    assert missing.status_code == 400 and _errors(missing, "custom__window_count") == ["required"]
    bad = web.post("/appeals/new/", _appeal(custom__window_count="many"))
    assert bad.status_code == 400 and _errors(bad, "custom__window_count") == ["invalid"]
    too_big = web.post("/appeals/new/", _appeal(custom__window_count="1e20"))
    assert too_big.status_code == 400 and _errors(too_big, "custom__window_count") == ["max_value"]
    with schema_context(tenant_a.slug):
        assert not Client.objects.filter(surname="Мельник").exists()

    saved = web.post("/appeals/new/", _appeal(custom__window_count="7"))
    assert saved.status_code == 302
    with schema_context(tenant_a.slug):
        client = Client.objects.get(surname="Мельник")
    assert saved["Location"] == f"/clients/{client.pk}/" and client.custom == {"window_count": 7}
    assert re.search(r'data-testid="custom-window_count">7<', web.get(saved["Location"]).content.decode())


def test_a_save_over_someone_elses_newer_save_is_refused_and_changes_nothing(tenant_a, owner_of):
    import re

    from django.test import Client as WebClient

    from apps.clients.models import Client
    from apps.clients.services import client_create, client_update
    from tests.conftest import PASSWORD

    with schema_context(tenant_a.slug):
        owner = owner_of(tenant_a)
        card = client_create(actor=owner, surname="Original", phones=["+380671234000"])
    web = WebClient(HTTP_HOST=tenant_a.host)
    web.post("/login/", {"email": tenant_a.owner_email, "password": PASSWORD})
    form = web.get(f"/clients/{card.pk}/edit/").content.decode()
    opened = re.search(r'name="opened_version" value="([^"]+)"', form).group(1)
    with schema_context(tenant_a.slug):
        client_update(client=card, actor=owner, notes="A colleague's note")
    response = web.post(f"/clients/{card.pk}/edit/", {"kind": "person", "surname": "Mine", "phones": "+380671234000", "owner": owner.pk, "opened_version": opened})
    assert response.status_code == 200 and "Someone saved this card while you were editing it" in response.content.decode(), re.findall(r"errorlist[^<]*<li>([^<]+)", response.content.decode())
    with schema_context(tenant_a.slug):
        fresh = Client.objects.get(pk=card.pk)
        assert (fresh.surname, fresh.notes) == ("Original", "A colleague's note")
    reopened = re.search(r'name="opened_version" value="([^"]+)"', web.get(f"/clients/{card.pk}/edit/").content.decode()).group(1)
    saved = web.post(f"/clients/{card.pk}/edit/", {"kind": "person", "surname": "Mine", "phones": "+380671234000", "owner": owner.pk, "notes": "A colleague's note", "opened_version": reopened})
    assert saved.status_code == 302
    with schema_context(tenant_a.slug):
        assert Client.objects.get(pk=card.pk).surname == "Mine"

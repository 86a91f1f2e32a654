"""Appeal pages: the phone desk's form, the search rows, the log, a decision; the client card's timeline."""
import re

import pytest
from django_tenants.utils import schema_context

from tests.web.test_pages import signed_in

pytestmark = pytest.mark.django_db


def _form(**fields):
    return {"channel": "phone", "kind": "inquiry", "subject": "Roof windows", "summary": "Wants a measurement", "result": "Booked", **fields}


def test_the_page_registers_an_appeal_of_a_new_client_and_the_card_shows_it(tenant_a):
    browser = signed_in(tenant_a)
    assert browser.get("/appeals/new/").status_code == 200
    response = browser.post("/appeals/new/", _form(new_surname="Мельник", new_first_name="Ірина", new_phone="+380 67 555 44 33"))
    assert response.status_code == 302
    match = re.fullmatch(r"/clients/(\d+)/", response["Location"])
    assert match
    card = browser.get(response["Location"]).content.decode()
    assert "Мельник Ірина" in card and 'data-testid="timeline-interaction"' in card and "Inquiry: Roof windows" in card
    assert f"/appeals/new/?client={match.group(1)}" in card
    # The same phone again offers the existing card instead of making a second one.
    again = browser.post("/appeals/new/", _form(new_surname="Інша", new_phone="+380675554433"))
    assert again.status_code == 200 and 'data-testid="duplicates"' in again.content.decode()
    with schema_context(tenant_a.slug):
        from apps.clients.models import Client

        assert Client.objects.filter(phones__contains=["+380675554433"]).count() == 1


def test_the_search_rows_fill_the_client_and_the_appeal_goes_to_that_card(tenant_a, owner_of):
    from apps.clients.services import client_create

    with schema_context(tenant_a.slug):
        client = client_create(actor=owner_of(tenant_a), surname="Ткаченко", phones=["+380501234567"])
    browser = signed_in(tenant_a)
    rows = browser.get("/appeals/clients/", {"q": "4567"}, HTTP_HX_REQUEST="true").content.decode()
    assert f'data-client-id="{client.pk}"' in rows and "Ткаченко" in rows
    assert "Ткаченко" in browser.get(f"/appeals/new/?client={client.pk}").content.decode()
    response = browser.post("/appeals/new/", _form(client=client.pk, kind="complaint", needs_decision="on"))
    assert response.status_code == 302 and response["Location"] == f"/clients/{client.pk}/"
    log = browser.get("/appeals/").content.decode()
    assert "Ткаченко" in log and 'data-testid="appeal-row"' in log
    assert "Appeals" in browser.get("/").content.decode()


def test_the_form_asks_for_a_client(tenant_a):
    response = signed_in(tenant_a).post("/appeals/new/", _form())
    assert response.status_code == 400 and "Find the client" in response.content.decode()


def test_a_manager_records_a_decision_on_the_page_staff_cannot(tenant_a, make_user, owner_of):
    from apps.clients.services import client_create
    from apps.interactions.services import interaction_register

    clerk = make_user(tenant_a)
    with schema_context(tenant_a.slug):
        client = client_create(actor=clerk, surname="Гнатюк")
        appeal = interaction_register(actor=clerk, client=client, channel="visit", kind="complaint", subject="Scratch", needs_decision=True)
    clerk_page = signed_in(tenant_a, clerk.email)
    assert clerk_page.get(f"/appeals/{appeal.pk}/").status_code == 200
    assert clerk_page.post(f"/appeals/{appeal.pk}/", {"decision": "x"}).status_code == 403
    manager_page = signed_in(tenant_a)
    response = manager_page.post(f"/appeals/{appeal.pk}/", {"decision": "Replace the glass"})
    assert response.status_code == 302
    assert "Replace the glass" in manager_page.get(f"/appeals/{appeal.pk}/").content.decode()
    other = make_user(tenant_a)
    assert signed_in(tenant_a, other.email).get(f"/appeals/{appeal.pk}/").status_code == 404

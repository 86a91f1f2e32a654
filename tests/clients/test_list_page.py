"""The client list page: filters, saved segments, the card's family, people and notes forms."""
import pytest
from django.test import Client as WebClient
from django_tenants.utils import schema_context

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _web(handle, email) -> WebClient:
    web = WebClient(HTTP_HOST=handle.host)
    assert web.post("/login/", {"email": email, "password": PASSWORD}).status_code == 302
    return web


def _rows(response) -> list[str]:
    import re

    assert response.status_code == 200
    return re.findall(r'data-testid="client-row".*?<a href="/clients/\d+/">([^<]+)</a>', response.content.decode(), re.S)


def test_the_list_filters_and_saves_a_segment(tenant_a, owner_of):
    from apps.clients.models import Segment
    from apps.clients.services import client_create

    with schema_context(tenant_a.slug):
        owner = owner_of(tenant_a)
        client_create(actor=owner, surname="Tagged", tags=["kyiv"])
        client_create(actor=owner, surname="Plain")
        client_create(actor=owner, kind="company", company_name="Firm", tags=["kyiv"])
    web = _web(tenant_a, tenant_a.owner_email)
    assert sorted(_rows(web.get("/clients/"))) == ["Firm", "Plain", "Tagged"]
    assert _rows(web.get("/clients/", {"tags": "kyiv", "kind": "person"})) == ["Tagged"]
    bad = web.get("/clients/", {"birthday_month": "13"})
    assert 'data-testid="filter-error"' in bad.content.decode() and len(_rows(bad)) == 3

    saved = web.post("/clients/segments/", {"name": "Kyiv people", "query": "tags=kyiv&kind=person"})
    assert saved.status_code == 302
    with schema_context(tenant_a.slug):
        segment = Segment.objects.get(name="Kyiv people")
    assert segment.filters == {"tags": ["kyiv"], "kind": "person"}
    assert saved["Location"].endswith(f"?segment={segment.pk}")
    assert _rows(web.get("/clients/", {"segment": segment.pk})) == ["Tagged"]
    assert web.post(f"/clients/segments/{segment.pk}/delete/").status_code == 302
    with schema_context(tenant_a.slug):
        assert not Segment.objects.exists()


def test_the_card_records_relatives_company_people_and_notes(tenant_a, owner_of):
    from apps.clients.models import ClientNote, CompanyContact, FamilyMember
    from apps.clients.services import client_create

    with schema_context(tenant_a.slug):
        owner = owner_of(tenant_a)
        person = client_create(actor=owner, surname="Бондар", first_name="Ігор", phones=["+380671234567"])
        company = client_create(actor=owner, kind="company", company_name="ТОВ Вікна", tax_id="123")
    web = _web(tenant_a, tenant_a.owner_email)
    assert web.post(f"/clients/{person.pk}/family/", {"name": "Марко", "relation": "child", "birthday": "2016-09-01"}).status_code == 302
    refused = web.post(f"/clients/{person.pk}/family/", {"name": "", "relation": "child"}, follow=True)
    assert refused.status_code == 200
    assert web.post(f"/clients/{person.pk}/notes/", {"text": "Prefers calls after 18:00"}).status_code == 302
    picker = web.get("/clients/people-picker/", {"q": "бонд"}).content.decode()
    assert f'value="{person.pk}"' in picker and "ТОВ" not in picker
    assert web.post(f"/clients/{company.pk}/people/", {"person": person.pk, "position": "Director", "is_primary": "on"}).status_code == 302

    card = web.get(f"/clients/{person.pk}/").content.decode()
    assert "Марко" in card and "Prefers calls after 18:00" in card and "ТОВ Вікна" in card
    company_card = web.get(f"/clients/{company.pk}/").content.decode()
    assert 'data-testid="company-people"' in company_card and "Director" in company_card and "Бондар Ігор" in company_card
    with schema_context(tenant_a.slug):
        assert FamilyMember.objects.filter(client=person).count() == 1
        assert ClientNote.objects.get(client=person).author == owner
        contact = CompanyContact.objects.get(company=company)
    assert web.post(f"/clients/{company.pk}/people/{contact.pk}/delete/").status_code == 302
    with schema_context(tenant_a.slug):
        assert not CompanyContact.objects.exists()


def test_staff_cannot_post_to_cards_they_cannot_see(tenant_a, owner_of, make_user):
    from apps.clients.models import FamilyMember
    from apps.clients.services import client_create

    staff = make_user(tenant_a)
    with schema_context(tenant_a.slug):
        hidden = client_create(actor=owner_of(tenant_a), surname="Hidden")
    web = _web(tenant_a, staff.email)
    assert web.post(f"/clients/{hidden.pk}/family/", {"name": "X", "relation": "child"}).status_code == 404
    assert web.post(f"/clients/{hidden.pk}/notes/", {"text": "X"}).status_code == 404
    assert "Hidden" not in web.get("/clients/people-picker/", {"q": "hidden"}).content.decode()
    with schema_context(tenant_a.slug):
        assert not FamilyMember.objects.exists()


def test_the_card_and_list_pages_cost_the_same_queries_for_a_long_history(tenant_a, owner_of, window_pipeline):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.clients.models import ClientNote
    from apps.clients.people.services import company_contact_set, family_member_add
    from apps.clients.services import client_create
    from tests.interactions.test_timeline import _history

    with schema_context(tenant_a.slug):
        owner = owner_of(tenant_a)
        cards = []
        for size, surname in ((1, "Short"), (12, "Long")):
            client = _history(owner=owner, pipeline=window_pipeline, appeals=size, deals=size, surname=surname)
            firm = client_create(actor=owner, kind="company", company_name=f"{surname} firm")
            for index in range(size):
                family_member_add(client=client, actor=owner, name=f"Relative {index}", relation="child")
                ClientNote.objects.create(client=client, author=owner, text=f"Note {index}")
                company_contact_set(company=firm, person=client_create(actor=owner, surname=f"{surname} worker {index}"), actor=owner, position="Clerk")
            company_contact_set(company=firm, person=client, actor=owner, position="Owner")
            cards.append((client, firm))
    web = _web(tenant_a, tenant_a.owner_email)
    counts = []
    for client, firm in cards:
        page_counts = []
        for url in (f"/clients/{client.pk}/", f"/clients/{firm.pk}/"):
            with CaptureQueriesContext(connection) as queries:
                response = web.get(url)
            assert response.status_code == 200
            page_counts.append(len(queries))
        counts.append(page_counts)
    assert counts[0] == counts[1], counts
    assert "Note 11" in web.get(f"/clients/{cards[1][0].pk}/").content.decode()
    list_counts = []
    for query in ("short", "long"):
        with CaptureQueriesContext(connection) as queries:
            assert web.get("/clients/", {"q": query}).status_code == 200
        list_counts.append(len(queries))
    assert list_counts[0] == list_counts[1], list_counts


def test_managers_keep_rule_categories_on_their_page(tenant_a, owner_of, make_user, window_pipeline, django_capture_on_commit_callbacks):
    from apps.clients.models import Category, ClientCategory
    from apps.clients.services import client_create
    from tests.clients.test_segments import _won

    with schema_context(tenant_a.slug):
        owner = owner_of(tenant_a)
        big = client_create(actor=owner, surname="Big", phones=["+380671110001"])
        _won(big, owner, window_pipeline, "25000")
        client_create(actor=owner, surname="Small")
    web = _web(tenant_a, tenant_a.owner_email)
    refused = web.post("/clients/categories/", {"name": "VIP", "won_amount_gte": "-5"})
    assert refused.status_code == 200 and 'class="errorlist' in refused.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert web.post("/clients/categories/", {"name": "VIP", "won_amount_gte": "10000"}).status_code == 302
    with schema_context(tenant_a.slug):
        vip = Category.objects.get(name="VIP")
        assert vip.rule == {"won_amount_gte": "10000.00"}
        assert list(ClientCategory.objects.filter(category=vip).values_list("client__surname", flat=True)) == ["Big"]
    page = web.get("/clients/categories/").content.decode()
    assert "VIP" in page and "10000.00" in page
    assert web.post(f"/clients/categories/{vip.pk}/", {"name": "Gold", "won_amount_gte": "50000"}).status_code == 302
    assert web.post(f"/clients/categories/{vip.pk}/recalculate/").status_code == 302
    with schema_context(tenant_a.slug):
        assert Category.objects.get(pk=vip.pk).name == "Gold"
        assert not ClientCategory.objects.filter(category=vip).exists()
    staff = make_user(tenant_a)
    staff_web = _web(tenant_a, staff.email)
    assert staff_web.get("/clients/categories/").status_code == 404
    assert staff_web.post(f"/clients/categories/{vip.pk}/delete/").status_code == 404
    assert web.post(f"/clients/categories/{vip.pk}/delete/").status_code == 302
    with schema_context(tenant_a.slug):
        assert not Category.objects.exists()


def test_the_companies_page_lists_companies_only(tenant_a, owner_of):
    from apps.clients.services import client_create

    with schema_context(tenant_a.slug):
        owner = owner_of(tenant_a)
        client_create(actor=owner, surname="Person")
        client_create(actor=owner, kind="company", company_name="Firm one")
        client_create(actor=owner, kind="company", company_name="Firm two")
    web = _web(tenant_a, tenant_a.owner_email)
    page = web.get("/companies/")
    assert sorted(_rows(page)) == ["Firm one", "Firm two"]
    assert 'href="/companies/" class="active"' in page.content.decode()
    assert _rows(web.get("/companies/", {"q": "one", "kind": "person"}, HTTP_HX_REQUEST="true")) == ["Firm one"]


def test_the_cards_access_history_lists_views_downloads_and_merges(tenant_a, owner_of, make_user):
    from apps.clients.selectors import client_recent_viewers
    from apps.clients.services import client_create, client_merge, client_view_record
    from apps.clients.attachments.services import attachment_download_record
    from apps.clients.attachments.models import Attachment

    staff = make_user(tenant_a)
    with schema_context(tenant_a.slug):
        owner = owner_of(tenant_a)
        card = client_create(actor=owner, surname="Watched")
        twin = client_create(actor=owner, surname="Twin")
        client_view_record(client=card, actor=staff)
        attachment = Attachment.objects.create(client=card, file=f"{tenant_a.slug}/attachments/x.pdf", original_name="x.pdf")
        attachment_download_record(attachment=attachment, actor=staff)
        client_merge(keep=card, merge=twin, actor=owner)
        history = [(e.action, e.actor_id) for e in client_recent_viewers(card)]
    assert history == [("client.merged", owner.pk), ("client.attachment_downloaded", staff.pk), ("client.viewed", staff.pk)]
    web = _web(tenant_a, tenant_a.owner_email)
    page = web.get(f"/clients/{card.pk}/").content.decode()
    assert "downloaded a file" in page and "merged another card into this one" in page

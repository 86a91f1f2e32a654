"""Client export: CSV and XLSX contents, filters, visibility, the export right, audit, isolation, pages."""
from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from django_tenants.utils import schema_context
from openpyxl import load_workbook

from apps.audit.models import AuditEvent
from apps.clients.exports.models import ClientExport
from apps.clients.models import Category, Client, ClientCategory, CustomField, Segment
from tests.conftest import PASSWORD, api_client

pytestmark = pytest.mark.django_db

EN_HEADER = [
    "ID", "Kind", "Client", "Surname", "First name", "Patronymic", "Company", "Phones", "E-mails", "Source", "Birthday",
    "Address", "Tax id", "Tags", "Categories", "Owner", "Agrees to e-mails", "Agrees to SMS", "Created",
]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def owner(tenant_a, owner_of):
    return owner_of(tenant_a)


@pytest.fixture
def owner_api(tenant_a, owner, token_for):
    return api_client(tenant_a.host, token_for(tenant_a, owner))


def make_client(handle, actor, **fields):
    from apps.clients.services import client_create

    with schema_context(handle.slug):
        return client_create(actor=actor, allow_duplicate=True, **fields)


def exporter_role(handle, owner):
    """A custom role holding "clients.export_client" through its auth group."""
    from django.contrib.auth.models import Permission

    from accounts.services import role_create

    with schema_context(handle.slug):
        role = role_create(code="exporter", name="Exporter", actor=owner)
        role.group.permissions.add(Permission.objects.get(content_type__app_label="clients", codename="export_client"))
    return role


def start(api, capture, **body):
    with capture(execute=True):
        response = api.post("/api/v1/client-exports/", body, format="json")
    return response


def finished(api, capture, **body) -> dict:
    response = start(api, capture, **body)
    assert response.status_code == 201, response.json()
    detail = api.get(f"/api/v1/client-exports/{response.json()['id']}/").json()
    assert detail["status"] == "done", detail
    return detail


def download(api, export: dict) -> bytes:
    response = api.get(f"/api/v1/client-exports/{export['id']}/download/")
    assert response.status_code == 200, response
    return b"".join(response.streaming_content)


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte order mark"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def xlsx_rows(content: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


# Contents -------------------------------------------------------------------------------------

def test_a_csv_export_has_a_bom_the_columns_and_cyrillic_intact(tenant_a, owner, owner_api, django_capture_on_commit_callbacks):
    taras = make_client(
        tenant_a, owner, surname="Шевченко", first_name="Тарас", patronymic="Григорович", phones=["+380671112233", "+380501234567"],
        emails=["taras@example.com"], birthday=date(1984, 3, 9), address="Київ, вул. Хрещатик 1", tags=["vip", "опт"], consent_email=True,
    )
    make_client(tenant_a, owner, kind="company", company_name="ТОВ «Ромашка»", tax_id="12345678")
    with schema_context(tenant_a.slug):
        vip = Category.objects.create(name="Постійні", position=1)
        ClientCategory.objects.create(client=taras, category=vip)
        CustomField.objects.create(key="windows", label="Кількість вікон", type="number", position=1)
        CustomField.objects.create(key="old", label="Retired field", type="text", is_active=False)
        Client.objects.filter(pk=taras.pk).update(custom={"windows": 7, "old": "x"})
    export = finished(owner_api, django_capture_on_commit_callbacks, format="csv")
    assert export["row_count"] == 2 and export["download_url"].endswith(f"/api/v1/client-exports/{export['id']}/download/")
    rows = csv_rows(download(owner_api, export))
    assert rows[0] == [*EN_HEADER, "Кількість вікон"]
    by_id = {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}
    row = by_id[str(taras.pk)]
    assert row["Client"] == "Шевченко Тарас Григорович" and row["Kind"] == "Person"
    assert row["Phones"] == "+380671112233, +380501234567" and row["E-mails"] == "taras@example.com"
    assert row["Birthday"] == "1984-03-09" and row["Address"] == "Київ, вул. Хрещатик 1"
    assert row["Tags"] == "vip, опт" and row["Categories"] == "Постійні"
    assert row["Owner"] == str(owner) and (row["Agrees to e-mails"], row["Agrees to SMS"]) == ("Yes", "No")
    assert row["Кількість вікон"] == "7"
    company = next(r for r in by_id.values() if r["Kind"] == "Company")
    assert company["Client"] == "ТОВ «Ромашка»" and company["Tax id"] == "12345678" and company["Кількість вікон"] == ""


def test_an_xlsx_export_opens_with_openpyxl_with_headers_in_the_users_language(tenant_a, owner, owner_api, django_capture_on_commit_callbacks):
    from accounts.models import User

    with schema_context(tenant_a.slug):
        User.objects.filter(pk=owner.pk).update(language="uk")
    client = make_client(tenant_a, owner, surname="Коваленко", first_name="Олена", birthday=date(1990, 5, 17), tags=["ґанок"])
    export = finished(owner_api, django_capture_on_commit_callbacks, format="xlsx")
    rows = xlsx_rows(download(owner_api, export))
    header = rows[0]
    assert header[0] == "ID" and {"Прізвище", "Ім’я", "По батькові", "Телефони", "Власник"} <= set(header)
    assert len(rows) == 2
    row = dict(zip(header, rows[1]))
    assert row["ID"] == client.pk and row["Прізвище"] == "Коваленко" and row["Ім’я"] == "Олена"
    assert row[header[10]].date() == date(1990, 5, 17)  # the birthday is a date cell
    assert "ґанок" in row.values()


def test_cells_a_spreadsheet_would_run_as_formulas_are_kept_as_text(tenant_a, owner, owner_api, django_capture_on_commit_callbacks):
    make_client(tenant_a, owner, surname='=HYPERLINK("http://evil.example","x")', first_name="@SUM(A1)", phones=["+380671112233"])
    rows = csv_rows(download(owner_api, finished(owner_api, django_capture_on_commit_callbacks, format="csv")))
    row = dict(zip(rows[0], rows[1]))
    assert row["Surname"] == '\'=HYPERLINK("http://evil.example","x")' and row["First name"] == "'@SUM(A1)"
    assert row["Phones"] == "+380671112233"
    content = download(owner_api, finished(owner_api, django_capture_on_commit_callbacks, format="xlsx"))
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    surname = sheet.cell(row=2, column=4)
    assert surname.value == '=HYPERLINK("http://evil.example","x")' and surname.data_type == "s"


# Selection ------------------------------------------------------------------------------------

def test_the_export_holds_only_clients_matching_the_filters(tenant_a, owner, owner_api, django_capture_on_commit_callbacks):
    vip = make_client(tenant_a, owner, surname="Шевченко", tags=["vip"])
    make_client(tenant_a, owner, surname="Шевчук", tags=["опт"])
    make_client(tenant_a, owner, kind="company", company_name="Шевченко і партнери", tags=["vip"])
    export = finished(owner_api, django_capture_on_commit_callbacks, format="csv", filters={"tags": ["vip"], "kind": "person"})
    assert [row[0] for row in csv_rows(download(owner_api, export))[1:]] == [str(vip.pk)]
    by_search = finished(owner_api, django_capture_on_commit_callbacks, format="csv", filters={"search": "шевч", "kind": "person"})
    assert by_search["row_count"] == 2 and by_search["filters"] == {"search": "шевч", "kind": "person"}


def test_explicit_ids_narrow_the_export_and_unknown_ids_are_named(tenant_a, tenant_b, owner, owner_api, owner_of, django_capture_on_commit_callbacks):
    first = make_client(tenant_a, owner, surname="Перший")
    make_client(tenant_a, owner, surname="Другий")
    export = finished(owner_api, django_capture_on_commit_callbacks, format="csv", client_ids=[first.pk])
    assert export["row_count"] == 1 and export["client_count"] == 1
    elsewhere = make_client(tenant_b, owner_of(tenant_b), surname="Чужий")
    refused = start(owner_api, django_capture_on_commit_callbacks, format="csv", client_ids=[first.pk, elsewhere.pk + 100000])
    assert refused.status_code == 400 and refused.json()["code"] == "validation_error"
    assert "client_ids" in refused.json()["fields"] and str(elsewhere.pk + 100000) in refused.json()["message"]


def test_a_segment_exports_its_filters_and_explicit_filters_narrow_or_replace_them(tenant_a, owner, owner_api, django_capture_on_commit_callbacks):
    make_client(tenant_a, owner, surname="Один", tags=["vip"], consent_sms=True)
    make_client(tenant_a, owner, surname="Два", tags=["vip"])
    make_client(tenant_a, owner, surname="Три")
    with schema_context(tenant_a.slug):
        segment = Segment.objects.create(name="VIP", filters={"tags": ["vip"]}, owner=owner)
    assert finished(owner_api, django_capture_on_commit_callbacks, format="csv", segment=segment.pk)["row_count"] == 2
    narrowed = finished(owner_api, django_capture_on_commit_callbacks, format="csv", segment=segment.pk, filters={"consent_sms": True})
    assert narrowed["row_count"] == 1 and narrowed["filters"] == {"tags": ["vip"], "consent_sms": True}
    # As on the list, an explicit filter wins over the segment's own.
    instead = finished(owner_api, django_capture_on_commit_callbacks, format="csv", segment=segment.pk, filters={"tags": ["опт"]})
    assert instead["row_count"] == 0 and instead["filters"] == {"tags": ["опт"]} and instead["segment"] == segment.pk


def test_bad_requests_name_the_field(tenant_a, owner_api, django_capture_on_commit_callbacks):
    cases = [
        ({"format": "pdf"}, "format"),
        ({"format": "csv", "filters": {"kind": "alien"}}, "filters.kind"),
        ({"format": "csv", "filters": {"colour": "red"}}, "filters.colour"),
        ({"format": "csv", "filters": [1, 2]}, "filters"),
        ({"format": "csv", "segment": 999999}, "segment"),
        ({"format": "csv", "client_ids": []}, "client_ids"),
        ({"format": "csv", "client_ids": ["x"]}, "client_ids.0"),
        ({"format": "csv", "client_ids": list(range(1, 5002))}, "client_ids"),
    ]
    for body, field in cases:
        response = start(owner_api, django_capture_on_commit_callbacks, **body)
        assert response.status_code == 400, (body, response.json())
        assert set(response.json()) >= {"code", "message", "fields"} and field in response.json()["fields"], (body, response.json())
    with schema_context(tenant_a.slug):
        assert not ClientExport.objects.exists()


# Rights ---------------------------------------------------------------------------------------

def test_staff_without_the_right_are_refused_and_do_not_see_the_button(tenant_a, make_user, token_for):
    staff = make_user(tenant_a)
    response = api_client(tenant_a.host, token_for(tenant_a, staff)).post("/api/v1/client-exports/", {"format": "csv"}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    page = signed_in(tenant_a, staff.email)
    html = page.get("/clients/").content.decode()
    assert 'data-testid="client-export"' not in html and '<option value="export">' not in html
    assert page.post("/clients/exports/new/", {"format": "csv"}).status_code == 403
    with schema_context(tenant_a.slug):
        assert not ClientExport.objects.exists()


def test_a_custom_role_granted_the_export_right_exports_only_the_clients_it_sees(
    tenant_a, owner, make_user, token_for, django_capture_on_commit_callbacks,
):
    exporter_role(tenant_a, owner)
    clerk = make_user(tenant_a, roles=("staff", "exporter"))
    clerk_api = api_client(tenant_a.host, token_for(tenant_a, clerk))
    hers = make_client(tenant_a, clerk, surname="Її клієнт")
    make_client(tenant_a, owner, surname="Чужий клієнт")
    export = finished(clerk_api, django_capture_on_commit_callbacks, format="csv")
    assert [row[0] for row in csv_rows(download(clerk_api, export))[1:]] == [str(hers.pk)]
    page = signed_in(tenant_a, clerk.email)
    assert 'data-testid="client-export"' in page.get("/clients/").content.decode()


def test_an_export_whose_right_was_withdrawn_before_the_run_fails(tenant_a, owner, make_user, token_for, django_capture_on_commit_callbacks):
    from apps.clients.exports.services import client_export_run

    role = exporter_role(tenant_a, owner)
    clerk = make_user(tenant_a, roles=("staff", "exporter"))
    response = api_client(tenant_a.host, token_for(tenant_a, clerk)).post("/api/v1/client-exports/", {"format": "csv"}, format="json")
    assert response.status_code == 201  # the task was not run (no on-commit capture)
    with schema_context(tenant_a.slug):
        role.group.permissions.clear()
        export = client_export_run(export_id=response.json()["id"])
        assert export.status == "failed" and export.error and not export.file


def test_others_exports_are_404_and_admins_see_every_export(tenant_a, owner_api, make_user, token_for, owner, django_capture_on_commit_callbacks):
    exporter_role(tenant_a, owner)
    one, two = (make_user(tenant_a, roles=("staff", "exporter")) for _ in range(2))
    one_api, two_api = (api_client(tenant_a.host, token_for(tenant_a, user)) for user in (one, two))
    export = finished(one_api, django_capture_on_commit_callbacks, format="csv")
    assert two_api.get(f"/api/v1/client-exports/{export['id']}/").status_code == 404
    assert two_api.get(f"/api/v1/client-exports/{export['id']}/download/").status_code == 404
    assert two_api.get("/api/v1/client-exports/").json()["results"] == []
    assert [e["id"] for e in one_api.get("/api/v1/client-exports/").json()["results"]] == [export["id"]]
    assert [e["id"] for e in owner_api.get("/api/v1/client-exports/").json()["results"]] == [export["id"]]
    assert owner_api.get(f"/api/v1/client-exports/{export['id']}/download/").status_code == 200


# Audit ----------------------------------------------------------------------------------------

def test_requesting_building_and_downloading_are_audited(tenant_a, owner, owner_api, django_capture_on_commit_callbacks):
    make_client(tenant_a, owner, surname="Шевченко", tags=["vip"])
    make_client(tenant_a, owner, surname="Шевчук")
    export = finished(owner_api, django_capture_on_commit_callbacks, format="xlsx", filters={"tags": ["vip"]})
    download(owner_api, export)
    with schema_context(tenant_a.slug):
        requested = AuditEvent.objects.get(action="clients.export_requested")
        assert requested.changes["filters"] == {"tags": ["vip"]} and requested.changes["count"] == 1
        assert requested.actor_id == owner.pk and requested.target_id == str(export["id"])
        assert AuditEvent.objects.get(action="clients.exported").changes["row_count"] == 1
        downloaded = AuditEvent.objects.get(action="clients.export_downloaded")
        assert downloaded.actor_id == owner.pk and downloaded.target_id == str(export["id"])


def test_a_failed_run_keeps_no_personal_data_in_its_error(tenant_a, owner, owner_api, django_capture_on_commit_callbacks, monkeypatch, caplog):
    from apps.clients.exports import services

    make_client(tenant_a, owner, surname="Секретенко")

    def refuse(self, values):
        raise ValueError(f"cannot write {values}")

    monkeypatch.setattr(services._CsvWriter, "row", refuse)
    response = start(owner_api, django_capture_on_commit_callbacks, format="csv")
    detail = owner_api.get(f"/api/v1/client-exports/{response.json()['id']}/").json()
    assert detail["status"] == "failed" and detail["download_url"] is None and "ValueError" in detail["error"]
    assert "Секретенко" not in detail["error"] and "Секретенко" not in caplog.text
    assert owner_api.get(f"/api/v1/client-exports/{detail['id']}/download/").status_code == 404


# Isolation ------------------------------------------------------------------------------------

def test_another_companys_export_is_404(tenant_a, tenant_b, owner_api, owner_of, token_for, django_capture_on_commit_callbacks):
    export = finished(owner_api, django_capture_on_commit_callbacks, format="csv")
    other_api = api_client(tenant_b.host, token_for(tenant_b, owner_of(tenant_b)))
    assert other_api.get(f"/api/v1/client-exports/{export['id']}/").status_code == 404
    response = other_api.get(f"/api/v1/client-exports/{export['id']}/download/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    # A client asking for the file's type gets the file, or the error in the usual shape.
    response = other_api.get(f"/api/v1/client-exports/{export['id']}/download/", HTTP_ACCEPT="application/octet-stream")
    assert response.status_code == 404 and b'"code": "not_found"' in response.content
    response = owner_api.get(f"/api/v1/client-exports/{export['id']}/download/", HTTP_ACCEPT="application/octet-stream")
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"\xef\xbb\xbf")


def test_a_file_outside_the_companys_folder_is_never_served(tenant_a, owner_api, media_root, django_capture_on_commit_callbacks):
    export = finished(owner_api, django_capture_on_commit_callbacks, format="csv")
    stolen = media_root / "tenant-b" / "exports" / "theirs.csv"
    stolen.parent.mkdir(parents=True)
    stolen.write_text("secret")
    for name in ("tenant-b/exports/theirs.csv", f"{tenant_a.slug}/exports/../../tenant-b/exports/theirs.csv"):
        with schema_context(tenant_a.slug):
            ClientExport.objects.filter(pk=export["id"]).update(file=name)
        assert owner_api.get(f"/api/v1/client-exports/{export['id']}/download/").status_code == 404, name
        assert signed_in(tenant_a).get(f"/clients/exports/{export['id']}/download/").status_code == 404, name


# Pages ----------------------------------------------------------------------------------------

def signed_in(handle, email=None):
    from django.test import Client as PageClient

    page = PageClient(HTTP_HOST=handle.host)
    assert page.post("/login/", {"email": email or handle.owner_email, "password": PASSWORD}).status_code == 302
    return page


def test_the_list_exports_its_current_search_and_the_progress_page_links_the_file(tenant_a, owner, django_capture_on_commit_callbacks):
    make_client(tenant_a, owner, surname="Шевченко")
    make_client(tenant_a, owner, surname="Бондар")
    page = signed_in(tenant_a)
    html = page.get("/clients/?q=шевч").content.decode()
    assert 'data-testid="client-export"' in html and "/clients/exports/new/?q=" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = page.post("/clients/exports/new/?q=%D1%88%D0%B5%D0%B2%D1%87", {"format": "csv"})
    assert response.status_code == 302
    progress = page.get(response["Location"]).content.decode()
    assert 'data-status="done"' in progress and "hx-trigger" not in progress
    export_id = response["Location"].rstrip("/").split("/")[-1]
    link = f"/clients/exports/{export_id}/download/"
    assert f'href="{link}"' in progress
    file = page.get(link)
    assert file["Content-Disposition"].startswith("attachment;") and file["Content-Type"] == "text/csv; charset=utf-8"
    assert file["Cache-Control"] == "no-store" and file["X-Content-Type-Options"] == "nosniff"
    rows = csv_rows(b"".join(file.streaming_content))
    assert [row[3] for row in rows[1:]] == ["Шевченко"]


def test_an_htmx_export_takes_the_filter_form_and_redirects_the_browser(tenant_a, owner, django_capture_on_commit_callbacks):
    make_client(tenant_a, owner, surname="Шевченко")
    make_client(tenant_a, owner, surname="Бондар")
    page = signed_in(tenant_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = page.post("/clients/exports/new/?q=old", {"format": "xlsx", "q": "бонд"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Redirect"].startswith("/clients/exports/")
    with schema_context(tenant_a.slug):
        export = ClientExport.objects.get()
        assert export.filters == {"search": "бонд"} and export.row_count == 1 and export.format == "xlsx"


def test_the_progress_panel_polls_until_the_file_is_ready(tenant_a, owner, make_user):
    from apps.clients.exports.services import client_export_start

    with schema_context(tenant_a.slug):
        export = client_export_start(actor=owner, format="csv")  # queued: the task never ran
    page = signed_in(tenant_a)
    html = page.get(f"/clients/exports/{export.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in html and 'hx-trigger="every 1s"' in html and 'data-status="queued"' in html
    staff = make_user(tenant_a)
    assert signed_in(tenant_a, staff.email).get(f"/clients/exports/{export.pk}/").status_code == 404


def test_the_list_export_folds_in_the_chosen_segment_as_the_list_does(tenant_a, owner, django_capture_on_commit_callbacks):
    make_client(tenant_a, owner, surname="Особа", tags=["vip"])
    make_client(tenant_a, owner, kind="company", company_name="Фірма", tags=["vip"])
    make_client(tenant_a, owner, surname="Інша")
    with schema_context(tenant_a.slug):
        segment = Segment.objects.create(name="VIP", filters={"tags": ["vip"]}, owner=owner)
    page = signed_in(tenant_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = page.post("/clients/exports/new/", {"format": "csv", "q": "", "segment": segment.pk, "kind": "person"}, HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"].startswith("/clients/exports/")
    with schema_context(tenant_a.slug):
        export = ClientExport.objects.get()
        assert (export.filters, export.segment_id, export.row_count) == ({"tags": ["vip"], "kind": "person"}, segment.pk, 1)
    response = page.post("/clients/exports/new/?segment=999999", {"format": "csv"})
    assert response.status_code == 302 and response["Location"] == "/clients/?segment=999999"
    assert "Unknown segment." in page.get(response["Location"]).content.decode()


def test_a_read_only_company_can_still_export_its_clients(tenant_a, owner, owner_api, django_capture_on_commit_callbacks):
    from tenants.models import Tenant

    make_client(tenant_a, owner, surname="Шевченко")
    with schema_context("public"):
        Tenant.objects.filter(schema_name=tenant_a.slug).update(status="read_only")
    export = finished(owner_api, django_capture_on_commit_callbacks, format="csv")
    assert export["row_count"] == 1 and len(csv_rows(download(owner_api, export))) == 2
    page = signed_in(tenant_a)
    with django_capture_on_commit_callbacks(execute=True):
        assert page.post("/clients/exports/new/", {"format": "xlsx"}).status_code == 302
    # Changing clients in bulk is a write like any other.
    assert owner_api.post("/api/v1/clients/bulk/", {"action": "tag_add", "filters": {}, "tag": "x"}, format="json").status_code == 402


def test_old_export_files_are_deleted_and_no_longer_downloadable(tenant_a, owner, owner_api, media_root, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from apps.clients.exports.models import ClientExport
    from apps.clients.exports.services import client_exports_expire

    make_client(tenant_a, owner, surname="Шевченко")
    old = finished(owner_api, django_capture_on_commit_callbacks, format="csv")
    fresh = finished(owner_api, django_capture_on_commit_callbacks, format="csv")
    with schema_context(tenant_a.slug):
        old_name = ClientExport.objects.get(pk=old["id"]).file.name
        ClientExport.objects.filter(pk=old["id"]).update(created_at=timezone.now() - timedelta(days=8))
        assert client_exports_expire(keep_days=7) == 1
        assert client_exports_expire(keep_days=7) == 0
    assert not (media_root / old_name).exists()
    assert owner_api.get(f"/api/v1/client-exports/{old['id']}/download/").status_code == 404
    assert download(owner_api, fresh).startswith(b"\xef\xbb\xbf")


def test_export_files_no_row_names_are_swept_once_a_day_old(tenant_a, owner, owner_api, media_root, django_capture_on_commit_callbacks):
    import os
    import time

    from apps.clients.exports.services import client_exports_expire

    make_client(tenant_a, owner, surname="Шевченко")
    kept = finished(owner_api, django_capture_on_commit_callbacks, format="csv")
    folder = media_root / tenant_a.slug / "exports"
    stray, fresh = folder / "stray.csv", folder / "fresh.csv"
    stray.write_bytes(b"id\n1\n")
    fresh.write_bytes(b"id\n1\n")
    old = time.time() - 2 * 86400
    for path in folder.glob("*"):
        if path != fresh:
            os.utime(path, (old, old))
    with schema_context(tenant_a.slug):
        assert client_exports_expire(keep_days=30) == 1
    assert not stray.exists() and fresh.exists()
    assert download(owner_api, kept).startswith(b"\xef\xbb\xbf")


def test_a_person_gets_a_few_exports_at_a_time_and_a_few_dozen_a_day(tenant_a, owner, owner_api, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from apps.clients.exports import services
    from apps.clients.exports.models import ClientExport

    make_client(tenant_a, owner, surname="Шевченко")
    # Not run (no on-commit execution): they stay queued, as behind a busy worker.
    for _ in range(services.EXPORTS_IN_FLIGHT_PER_USER):
        assert owner_api.post("/api/v1/client-exports/", {"format": "csv"}, format="json").status_code == 201
    refused = owner_api.post("/api/v1/client-exports/", {"format": "csv"}, format="json")
    assert refused.status_code == 429 and refused.json()["code"] == "too_many_exports"
    with schema_context(tenant_a.slug):
        ClientExport.objects.update(status=ClientExport.Status.DONE)
    assert owner_api.post("/api/v1/client-exports/", {"format": "csv"}, format="json").status_code == 201
    monkeypatch.setattr(services, "EXPORTS_PER_USER_PER_DAY", 5)
    with schema_context(tenant_a.slug):
        ClientExport.objects.update(status=ClientExport.Status.DONE)
    owner_api.post("/api/v1/client-exports/", {"format": "csv"}, format="json")
    assert owner_api.post("/api/v1/client-exports/", {"format": "csv"}, format="json").status_code == 429
    with schema_context(tenant_a.slug):
        ClientExport.objects.update(created_at=timezone.now() - timedelta(days=2), status=ClientExport.Status.DONE)
        assert ClientExport.objects.count() == 5
    assert owner_api.post("/api/v1/client-exports/", {"format": "csv"}, format="json").status_code == 201

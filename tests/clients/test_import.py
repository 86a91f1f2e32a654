"""Client import: header guessing, CSV/XLSX reading, dry run, the run, duplicates, rights, isolation."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context
from openpyxl import Workbook

from apps.audit.models import AuditEvent
from apps.clients.imports.mapping import mapping_guess, row_fields
from apps.clients.imports.models import ClientImport
from apps.clients.models import Client
from tests.conftest import api_client

pytestmark = pytest.mark.django_db

HEADER = ["ПІБ", "Телефон", "E-mail", "Дата народження", "Компанія", "Примітка"]
GOOD_ROWS = [
    ["Шевченко Тарас Григорович", "+380 67 111 22 33", "taras@example.com", "09.03.1984", "", "VIP"],
    ["Коваленко Олена", "+380501234567; +380931112299", "", "1990-05-17", "", ""],
    ["Петренко Іван", "", "ivan@example.com", "", "ТОВ Ромашка", ""],
]
BAD_ROWS = [
    ["Іваненко Петро", "12", "", "", "", ""],               # row 5: not a phone
    ["Бондар Марія", "", "not-an-email", "", "", ""],         # row 6: not an e-mail
    ["", "+380661234567", "", "", "", ""],                    # row 7: no name
]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def owner_api(tenant_a, owner_of, token_for):
    return api_client(tenant_a.host, token_for(tenant_a, owner_of(tenant_a)))


def csv_file(rows, *, encoding="utf-8", delimiter=",", name="clients.csv") -> SimpleUploadedFile:
    text = io.StringIO()
    csv.writer(text, delimiter=delimiter).writerows(rows)
    return SimpleUploadedFile(name, text.getvalue().encode(encoding), content_type="text/csv")


def xlsx_file(rows, name="clients.xlsx") -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return SimpleUploadedFile(name, out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def upload(api, file, mode="skip"):
    return api.post("/api/v1/client-imports/", {"file": file, "duplicate_mode": mode}, format="multipart")


def run(api, job_id, capture):
    with capture(execute=True):
        response = api.post(f"/api/v1/client-imports/{job_id}/start/")
    assert response.status_code == 202, response.json()
    return api.get(f"/api/v1/client-imports/{job_id}/").json()


def clients_of(handle):
    with schema_context(handle.slug):
        return list(Client.objects.order_by("pk"))


# The header ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "header, expected",
    [
        (["Surname", "First name", "Patronymic", "Phone", "E-mail", "Company", "Birthday", "Address", "Notes", "Tax id", "Tags"],
         ["surname", "first_name", "patronymic", "phones", "emails", "company_name", "birthday", "address", "notes", "tax_id", "tags"]),
        (["Фамилия", "Имя", "Отчество", "Тел.", "Почта", "Компания", "Дата рождения", "Адрес", "Примечание", "ИНН", "Теги"],
         ["surname", "first_name", "patronymic", "phones", "emails", "company_name", "birthday", "address", "notes", "tax_id", "tags"]),
        ([" Прізвище ", "ІМ’Я", "По батькові", "Телефон", "Електронна пошта", "Компанія", "Дата народження", "Адреса", "Примітка", "ЄДРПОУ", "Теги"],
         ["surname", "first_name", "patronymic", "phones", "emails", "company_name", "birthday", "address", "notes", "tax_id", "tags"]),
        (["ФИО", "Мобильный телефон", "Телефон 2", "Something else"], ["full_name", "phones", "phones", None]),
        (["Full name", "Email"], ["full_name", "emails"]),
    ],
)
def test_the_mapping_is_guessed_from_headers_in_english_russian_and_ukrainian(header, expected):
    guessed = mapping_guess(header)
    assert [guessed.get(str(i)) for i in range(len(header))] == expected


def test_a_full_name_is_split_and_several_phones_in_one_cell_are_kept_apart():
    fields, errors = row_fields(["Шевченко Тарас Григорович", "+380671112233, +380501234567 / 0931112299"], {"0": "full_name", "1": "phones"})
    assert errors == {}
    assert (fields["surname"], fields["first_name"], fields["patronymic"]) == ("Шевченко", "Тарас", "Григорович")
    assert fields["phones"] == ["+380671112233", "+380501234567", "0931112299"]


@pytest.mark.parametrize("cell", ["1984-03-09", "09.03.1984", "09/03/1984", datetime(1984, 3, 9), date(1984, 3, 9), 30750])
def test_dates_are_read_in_iso_dotted_slashed_and_excel_forms(cell):
    fields, errors = row_fields(["X", cell], {"0": "surname", "1": "birthday"})
    assert errors == {} and fields["birthday"] == date(1984, 3, 9)


# Uploading -------------------------------------------------------------------------------------

def test_upload_answers_the_job_the_guessed_mapping_the_header_and_a_preview(tenant_a, owner_api, media_root):
    response = upload(owner_api, csv_file([HEADER, *GOOD_ROWS, *BAD_ROWS]))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "uploaded" and body["total_rows"] == 6 and body["format"] == "csv"
    assert body["header"] == HEADER
    assert body["mapping"] == {"0": "full_name", "1": "phones", "2": "emails", "3": "birthday", "4": "company_name", "5": "notes"}
    assert body["preview"][0] == GOOD_ROWS[0] and len(body["preview"]) == 5
    with schema_context(tenant_a.slug):
        job = ClientImport.objects.get(pk=body["id"])
    stored = Path(job.file.path)
    assert stored.is_relative_to(media_root / tenant_a.slug / "imports")
    assert stored.suffix == ".csv" and stored.name != "clients.csv" and stored.exists()
    assert "file" not in body  # never served


def test_a_cp1251_csv_with_semicolons_is_read(tenant_a, owner_api, django_capture_on_commit_callbacks):
    rows = [["Фамилия", "Имя", "Телефон"], ["Ёлкин", "Пётр", "+380671112233"], ["Щукина", "Юлия", "+380671112244"]]
    response = upload(owner_api, csv_file(rows, encoding="cp1251", delimiter=";"))
    assert response.status_code == 201, response.json()
    assert response.json()["header"] == ["Фамилия", "Имя", "Телефон"]
    assert response.json()["preview"][0] == ["Ёлкин", "Пётр", "+380671112233"]
    job = run(owner_api, response.json()["id"], django_capture_on_commit_callbacks)
    assert job["status"] == "done" and job["created_count"] == 2
    assert {c.display_name for c in clients_of(tenant_a)} == {"Ёлкин Пётр", "Щукина Юлия"}


def test_a_utf8_csv_with_bom_and_tabs_is_read(owner_api):
    rows = [["Surname", "Phone"], ["Smith", "+380671112233"]]
    file = csv_file(rows, delimiter="\t")
    file = SimpleUploadedFile("c.csv", b"\xef\xbb\xbf" + file.read())
    body = upload(owner_api, file).json()
    assert body["header"] == ["Surname", "Phone"] and body["mapping"] == {"0": "surname", "1": "phones"}


def test_an_xlsx_with_excel_date_cells_is_imported(tenant_a, owner_api, django_capture_on_commit_callbacks):
    rows = [["Surname", "First name", "Phone", "Birthday"],
            ["Smith", "John", 380671112233, datetime(1984, 3, 9)],
            [None, None, None, None],
            ["Brown", "Anna", "+380501234567", date(1990, 5, 17)]]
    response = upload(owner_api, xlsx_file(rows))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["format"] == "xlsx" and body["total_rows"] == 2
    assert body["preview"] == [["Smith", "John", "380671112233", "1984-03-09"], ["Brown", "Anna", "+380501234567", "1990-05-17"]]
    job = run(owner_api, body["id"], django_capture_on_commit_callbacks)
    assert job["created_count"] == 2 and job["error_count"] == 0
    birthdays = {c.surname: (c.birthday, c.phones) for c in clients_of(tenant_a)}
    assert birthdays == {"Smith": (date(1984, 3, 9), ["+380671112233"]), "Brown": (date(1990, 5, 17), ["+380501234567"])}


@pytest.mark.parametrize(
    "file",
    [
        SimpleUploadedFile("clients.pdf", b"%PDF-1.4 hello"),
        SimpleUploadedFile("clients.csv", b""),
        SimpleUploadedFile("clients.csv", b"\n\n"),
        SimpleUploadedFile("clients.xlsx", b"not a zip at all"),
        SimpleUploadedFile("clients.csv", b"\x00\x01\x02binary"),
    ],
    ids=["not-csv-or-xlsx", "empty", "no-header", "broken-xlsx", "binary-csv"],
)
def test_bad_files_are_refused_with_the_error_shape(tenant_a, owner_api, file, media_root):
    response = upload(owner_api, file)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_file" and "file" in body["fields"] and body["message"]
    with schema_context(tenant_a.slug):
        assert not ClientImport.objects.exists()
    assert not any(p.is_file() for p in media_root.rglob("*"))


def test_a_file_over_20_mb_is_refused(owner_api, monkeypatch):
    from apps.clients.imports import reading

    monkeypatch.setattr(reading, "MAX_FILE_SIZE", 100)
    response = upload(owner_api, csv_file([["Surname"], *[["x" * 20]] * 10]))
    assert response.status_code == 400 and response.json()["code"] == "invalid_file"


def test_a_request_without_a_file_is_refused(owner_api):
    response = owner_api.post("/api/v1/client-imports/", {"duplicate_mode": "skip"}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()["fields"]


# Mapping ---------------------------------------------------------------------------------------

def test_the_mapping_can_be_changed_and_is_checked(owner_api):
    job = upload(owner_api, csv_file([["A", "B"], ["Smith", "+380671112233"]])).json()
    assert job["mapping"] == {}
    refused = owner_api.patch(f"/api/v1/client-imports/{job['id']}/", {"mapping": {"1": "phones"}}, format="json")
    assert refused.status_code == 400 and "mapping" in refused.json()["fields"]
    assert owner_api.patch(f"/api/v1/client-imports/{job['id']}/", {"mapping": {"7": "surname"}}, format="json").status_code == 400
    assert owner_api.patch(f"/api/v1/client-imports/{job['id']}/", {"mapping": {"0": "nonsense"}}, format="json").status_code == 400
    changed = owner_api.patch(f"/api/v1/client-imports/{job['id']}/", {"mapping": {"0": "surname", "1": "phones"}, "duplicate_mode": "update"}, format="json")
    assert changed.status_code == 200, changed.json()
    assert changed.json()["mapping"] == {"0": "surname", "1": "phones"} and changed.json()["duplicate_mode"] == "update"


# Dry run and run -------------------------------------------------------------------------------

def test_the_dry_run_reports_each_bad_row_with_its_number_and_writes_nothing(tenant_a, owner_api):
    job = upload(owner_api, csv_file([HEADER, *GOOD_ROWS, *BAD_ROWS])).json()
    with schema_context(tenant_a.slug):
        audit_before = AuditEvent.objects.count()
    response = owner_api.post(f"/api/v1/client-imports/{job['id']}/dry-run/")
    assert response.status_code == 200, response.json()
    report = response.json()
    assert (report["would_create"], report["would_update"], report["would_skip"], report["error_count"]) == (3, 0, 0, 3)
    by_row = {e["row"]: e["errors"] for e in report["errors"]}
    assert set(by_row) == {5, 6, 7}
    assert "phones" in by_row[5] and "12" in by_row[5]["phones"][0]
    assert "emails" in by_row[6]
    assert "surname" in by_row[7]
    assert clients_of(tenant_a) == []
    with schema_context(tenant_a.slug):
        assert AuditEvent.objects.count() == audit_before
        assert ClientImport.objects.get(pk=job["id"]).status == "dry_run_done"
    assert owner_api.get(f"/api/v1/client-imports/{job['id']}/").json()["dry_run"]["error_count"] == 3


def test_the_dry_run_counts_rows_repeating_earlier_rows_as_duplicates(owner_api):
    rows = [["Surname", "Phone"], ["Smith", "+380671112233"], ["Smith Jr", "+380 67 111 22 33"]]
    job = upload(owner_api, csv_file(rows)).json()
    report = owner_api.post(f"/api/v1/client-imports/{job['id']}/dry-run/").json()
    assert (report["would_create"], report["would_skip"]) == (1, 1)


def test_the_run_creates_the_good_rows_and_reports_the_bad_ones(tenant_a, owner_api, owner_of, django_capture_on_commit_callbacks):
    job = upload(owner_api, csv_file([HEADER, *GOOD_ROWS, *BAD_ROWS])).json()
    owner_api.post(f"/api/v1/client-imports/{job['id']}/dry-run/")
    done = run(owner_api, job["id"], django_capture_on_commit_callbacks)
    assert done["status"] == "done" and done["finished_at"]
    assert (done["processed_rows"], done["total_rows"], done["progress"]) == (6, 6, 100)
    assert (done["created_count"], done["updated_count"], done["skipped_count"], done["error_count"]) == (3, 0, 0, 3)
    assert [e["row"] for e in done["errors"]] == [5, 6, 7]
    clients = {c.display_name: c for c in clients_of(tenant_a)}
    assert set(clients) == {"Шевченко Тарас Григорович", "Коваленко Олена", "Петренко Іван"}
    taras = clients["Шевченко Тарас Григорович"]
    assert taras.phones == ["+380671112233"] and taras.emails == ["taras@example.com"]
    assert taras.birthday == date(1984, 3, 9) and taras.notes == "VIP" and taras.owner_id == owner_of(tenant_a).pk
    assert clients["Коваленко Олена"].phones == ["+380501234567", "+380931112299"]
    assert clients["Петренко Іван"].company_name == "ТОВ Ромашка" and clients["Петренко Іван"].kind == "person"
    with schema_context(tenant_a.slug):
        event = AuditEvent.objects.get(action="clients.imported")
        assert event.changes["created"] == 3 and event.changes["errors"] == 3 and event.changes["status"] == "done"
    # A job is started once.
    assert owner_api.post(f"/api/v1/client-imports/{job['id']}/start/").status_code == 409


def test_running_the_same_file_again_in_skip_mode_creates_nothing_new(tenant_a, owner_api, django_capture_on_commit_callbacks):
    rows = [HEADER, *GOOD_ROWS, ["Без Контактів", "", "", "01.01.1970", "", ""], ["Тільки Ім'я", "", "", "", "", ""]]
    first = upload(owner_api, csv_file(rows)).json()
    run(owner_api, first["id"], django_capture_on_commit_callbacks)
    count = len(clients_of(tenant_a))
    assert count == 5
    again = upload(owner_api, csv_file(rows)).json()
    assert again["file_sha256"] == first["file_sha256"] and again["earlier_imports_of_this_file"] == [first["id"]]
    report = owner_api.post(f"/api/v1/client-imports/{again['id']}/dry-run/").json()
    # Matched by phone or e-mail, or by name and birthday; a row with only a name is new each time.
    assert (report["would_create"], report["would_skip"]) == (1, 4)
    done = run(owner_api, again["id"], django_capture_on_commit_callbacks)
    assert (done["created_count"], done["skipped_count"]) == (1, 4)
    assert len(clients_of(tenant_a)) == count + 1


def test_update_mode_updates_the_existing_client(tenant_a, owner_api, django_capture_on_commit_callbacks):
    owner_api.post("/api/v1/clients/", {"surname": "Шевченко", "phones": ["+380671112233"], "tags": ["old"]}, format="json")
    rows = [["Surname", "First name", "Phone", "E-mail", "Address", "Tags"],
            ["Шевченко", "Тарас", "+380 67 111 22 33", "t@example.com", "Київ", "vip"]]
    job = upload(owner_api, csv_file(rows), mode="update").json()
    assert owner_api.post(f"/api/v1/client-imports/{job['id']}/dry-run/").json()["would_update"] == 1
    done = run(owner_api, job["id"], django_capture_on_commit_callbacks)
    assert (done["created_count"], done["updated_count"]) == (0, 1)
    [client] = clients_of(tenant_a)
    assert (client.first_name, client.address, client.emails, client.tags) == ("Тарас", "Київ", ["t@example.com"], ["old", "vip"])
    assert client.phones == ["+380671112233"]


def test_create_mode_creates_another_client_for_a_duplicate(tenant_a, owner_api, django_capture_on_commit_callbacks):
    owner_api.post("/api/v1/clients/", {"surname": "Шевченко", "phones": ["+380671112233"]}, format="json")
    job = upload(owner_api, csv_file([["Surname", "Phone"], ["Шевченко", "+380671112233"]]), mode="create").json()
    done = run(owner_api, job["id"], django_capture_on_commit_callbacks)
    assert done["created_count"] == 1 and len(clients_of(tenant_a)) == 2


def test_the_progress_of_a_100_row_file_reaches_its_total(tenant_a, owner_api, django_capture_on_commit_callbacks, monkeypatch):
    from apps.clients.imports import services

    monkeypatch.setattr(services, "BATCH_ROWS", 30)  # several batches
    seen = []
    real = services._batch_run

    def spy(**kwargs):
        result = real(**kwargs)
        with schema_context(tenant_a.slug):
            seen.append(ClientImport.objects.get(pk=kwargs["job"].pk).processed_rows)
        return result

    monkeypatch.setattr(services, "_batch_run", spy)
    rows = [["Surname", "Phone"]] + [[f"Client {n}", f"+38067{n:07d}"] for n in range(100)]
    job = upload(owner_api, csv_file(rows)).json()
    assert job["total_rows"] == 100
    done = run(owner_api, job["id"], django_capture_on_commit_callbacks)
    assert seen == [30, 60, 90, 100]
    assert (done["processed_rows"], done["total_rows"], done["progress"], done["created_count"]) == (100, 100, 100, 100)


def test_a_run_that_died_resumes_after_the_rows_it_counted(tenant_a, owner_api, owner_of, django_capture_on_commit_callbacks, monkeypatch):
    from apps.clients.imports import services

    monkeypatch.setattr(services, "BATCH_ROWS", 10)
    rows = [["Surname", "Phone"]] + [[f"Client {n}", f"+38067{n:07d}"] for n in range(25)]
    job_id = upload(owner_api, csv_file(rows), mode="create").json()["id"]
    with schema_context(tenant_a.slug):
        services.client_import_start(job=ClientImport.objects.get(pk=job_id), actor=owner_of(tenant_a))
        # The first attempt got through one batch, then the worker died.
        ClientImport.objects.filter(pk=job_id).update(processed_rows=0)
        job = ClientImport.objects.get(pk=job_id)
        services._batch_run(job=job, batch=[(n + 2, r) for n, r in enumerate(rows[1:11])], actor=owner_of(tenant_a), region="UA")
        services.client_import_run(job_id=job_id)
        job.refresh_from_db()
        assert (job.status, job.processed_rows, job.created_count) == ("done", 25, 25)
        assert Client.objects.count() == 25


# Rights and isolation --------------------------------------------------------------------------

def test_staff_cannot_import(tenant_a, make_user, token_for, owner_api):
    staff_api = api_client(tenant_a.host, token_for(tenant_a, make_user(tenant_a)))
    assert upload(staff_api, csv_file([["Surname"], ["X"]])).status_code == 403
    job = upload(owner_api, csv_file([["Surname"], ["X"]])).json()
    assert staff_api.get(f"/api/v1/client-imports/{job['id']}/").status_code == 403
    assert staff_api.post(f"/api/v1/client-imports/{job['id']}/start/").status_code == 403
    assert staff_api.get("/api/v1/client-imports/").status_code == 403


def test_managers_of_the_company_see_each_others_imports(tenant_a, make_user, token_for, owner_api):
    manager_api = api_client(tenant_a.host, token_for(tenant_a, make_user(tenant_a, roles=("manager",))))
    job = upload(owner_api, csv_file([["Surname"], ["X"]])).json()
    assert manager_api.get(f"/api/v1/client-imports/{job['id']}/").status_code == 200
    assert [j["id"] for j in manager_api.get("/api/v1/client-imports/").json()["results"]] == [job["id"]]


def test_an_import_of_another_company_is_404(tenant_a, tenant_b, owner_api, owner_of, token_for):
    job = upload(owner_api, csv_file([["Surname"], ["X"]])).json()
    other_api = api_client(tenant_b.host, token_for(tenant_b, owner_of(tenant_b)))
    assert other_api.get(f"/api/v1/client-imports/{job['id']}/").status_code == 404
    assert other_api.post(f"/api/v1/client-imports/{job['id']}/dry-run/").status_code == 404
    assert other_api.post(f"/api/v1/client-imports/{job['id']}/start/").status_code == 404


# The wizard pages ------------------------------------------------------------------------------

def signed_in(handle, email=None):
    from django.test import Client as PageClient

    from tests.conftest import PASSWORD

    page = PageClient(HTTP_HOST=handle.host)
    assert page.post("/login/", {"email": email or handle.owner_email, "password": PASSWORD}).status_code == 302
    return page


def test_the_wizard_goes_from_upload_to_check_to_progress_to_summary(tenant_a, django_capture_on_commit_callbacks):
    page = signed_in(tenant_a)
    assert 'href="/clients/import/"' in page.get("/clients/").content.decode()
    assert page.get("/clients/import/").status_code == 200
    response = page.post("/clients/import/", {"file": csv_file([HEADER, *GOOD_ROWS, *BAD_ROWS]), "duplicate_mode": "skip"})
    assert response.status_code == 302
    columns_url = response["Location"]
    job_id = int(columns_url.rstrip("/").split("/")[-2])
    html = page.get(columns_url).content.decode()
    assert '<option value="full_name" selected>' in html and '<option value="phones" selected>' in html
    mapping = {"column_0": "full_name", "column_1": "phones", "column_2": "emails", "column_3": "birthday", "column_4": "", "column_5": "notes"}
    response = page.post(columns_url, {**mapping, "duplicate_mode": "skip", "action": "check"})
    assert response.status_code == 302 and response["Location"] == f"/clients/import/{job_id}/check/"
    html = page.get(response["Location"]).content.decode()
    assert 'data-testid="import-rejected"' in html and all(f"<td>{n}</td>" in html for n in (5, 6, 7))
    assert clients_of(tenant_a) == []
    with django_capture_on_commit_callbacks(execute=True):
        response = page.post(f"/clients/import/{job_id}/start/")
    assert response["Location"] == f"/clients/import/{job_id}/"
    html = page.get(response["Location"]).content.decode()
    assert 'data-status="done"' in html and 'hx-trigger' not in html and 'href="/clients/"' in html
    assert len(clients_of(tenant_a)) == 3


def test_the_progress_panel_polls_while_the_import_runs(tenant_a, owner_of):
    from apps.clients.imports import services

    page = signed_in(tenant_a)
    job_id = page.post("/clients/import/", {"file": csv_file([["Surname"], ["X"]]), "duplicate_mode": "skip"})["Location"].split("/")[-3]
    with schema_context(tenant_a.slug):
        services.client_import_start(job=ClientImport.objects.get(pk=job_id), actor=owner_of(tenant_a))
    panel = page.get(f"/clients/import/{job_id}/", HTTP_HX_REQUEST="true")
    html = panel.content.decode()
    assert "<html" not in html and 'hx-trigger="every 1s"' in html and 'data-status="running"' in html


def test_staff_do_not_see_the_import_pages(tenant_a, make_user):
    staff = make_user(tenant_a)
    page = signed_in(tenant_a, staff.email)
    assert page.get("/clients/import/").status_code == 403
    assert 'href="/clients/import/"' not in page.get("/clients/").content.decode()


# Batches ---------------------------------------------------------------------------------------

def report_counts(report):
    return report["would_create"], report["would_update"], report["would_skip"], report["error_count"]


def run_counts(job):
    return job["created_count"], job["updated_count"], job["skipped_count"], job["error_count"]


# Smith (row 2) is repeated by rows 4 and 6; row 6 brings a new e-mail, which row 8 repeats; Brown
# (row 5) has no phone or e-mail and is repeated by name and birthday (row 7).
IN_FILE_DUPLICATES = [
    ["Surname", "First name", "Phone", "E-mail", "Birthday", "Tags"],
    ["Smith", "John", "+380671112233", "", "", "a"],                            # 2: new
    ["Smith", "", "", "john@example.com", "", ""],                             # 3: new (no shared key yet)
    ["Smith", "Johnny", "+380671112233", "john@example.com", "", "b"],         # 4: repeats 2 (and 3)
    ["Brown", "Anna", "", "", "1990-05-17", ""],                               # 5: new
    ["Smith", "", "+380671112233", "smith@example.com", "", "c"],              # 6: repeats 2
    ["Brown", "Anna", "", "", "17.05.1990", "vip"],                            # 7: repeats 5 by name and birthday
    ["Green", "", "", "smith@example.com", "", ""],                            # 8: repeats 6's new e-mail in update mode
]


@pytest.mark.parametrize(
    "mode, expected",
    [
        # skip: 6's e-mail never reaches a card, so row 8 is new.
        ("skip", {"counts": (4, 0, 3, 0), "cards": 4}),
        # update: 4 updates card 2 (the oldest match), 6 adds an e-mail to it, which 8 then finds.
        ("update", {"counts": (3, 4, 0, 0), "cards": 3}),
        ("create", {"counts": (7, 0, 0, 0), "cards": 7}),
    ],
)
@pytest.mark.parametrize("batch_rows", [500, 2])
def test_duplicates_inside_the_file_are_handled_per_mode_in_batches(
    tenant_a, owner_api, django_capture_on_commit_callbacks, monkeypatch, mode, expected, batch_rows
):
    from apps.clients.imports import services

    monkeypatch.setattr(services, "BATCH_ROWS", batch_rows)
    job = upload(owner_api, csv_file(IN_FILE_DUPLICATES), mode=mode).json()
    report = owner_api.post(f"/api/v1/client-imports/{job['id']}/dry-run/").json()
    done = run(owner_api, job["id"], django_capture_on_commit_callbacks)
    assert run_counts(done) == expected["counts"]
    assert report_counts(report) == expected["counts"]  # the check says what the run does
    cards = clients_of(tenant_a)
    assert len(cards) == expected["cards"]
    if mode == "update":
        smith = next(c for c in cards if c.phones == ["+380671112233"])
        assert (smith.first_name, smith.emails, smith.tags) == ("Johnny", ["john@example.com", "smith@example.com"], ["a", "b", "c"])
        [brown] = [c for c in cards if c.surname == "Brown"]
        assert brown.tags == ["vip"]
    # Running the same file again creates nothing new, whatever the batches.
    if mode != "create":
        again = upload(owner_api, csv_file(IN_FILE_DUPLICATES), mode=mode).json()
        assert run(owner_api, again["id"], django_capture_on_commit_callbacks)["created_count"] == 0
        assert len(clients_of(tenant_a)) == expected["cards"]


def test_a_row_the_database_refuses_costs_only_itself(tenant_a, owner_api, django_capture_on_commit_callbacks, caplog):
    from django.db import connection

    with schema_context(tenant_a.slug), connection.cursor() as cursor:
        # A rule only the database knows (rolled back with the test).
        cursor.execute("ALTER TABLE clients_client ADD CONSTRAINT test_refused CHECK (surname <> 'Client 3')")
    rows = [["Surname", "Phone"]] + [[f"Client {n}", f"+38067{n:07d}"] for n in range(6)]
    job = upload(owner_api, csv_file(rows)).json()
    report = owner_api.post(f"/api/v1/client-imports/{job['id']}/dry-run/").json()
    done = run(owner_api, job["id"], django_capture_on_commit_callbacks)
    assert run_counts(done) == report_counts(report) == (5, 0, 0, 1)
    assert done["errors"] == report["errors"] == [{"row": 5, "errors": {"non_field_errors": ["The database refused this row."]}}]
    assert sorted(c.surname for c in clients_of(tenant_a)) == ["Client 0", "Client 1", "Client 2", "Client 4", "Client 5"]
    assert "retried one by one" in caplog.text


def test_cards_of_a_batch_import_get_their_owners_rights_and_the_batch_is_audited(
    tenant_a, owner_api, owner_of, django_capture_on_commit_callbacks, monkeypatch
):
    from apps.audit.selectors import audit_chain_verify
    from apps.clients.imports import services
    from apps.clients.models import ClientUserObjectPermission

    monkeypatch.setattr(services, "BATCH_ROWS", 3)
    owner_api.post("/api/v1/clients/", {"surname": "Old", "phones": ["+380670000001"]}, format="json")
    rows = [["Surname", "Phone", "E-mail"]] + [[f"Client {n}", f"+38067000000{n}", ""] for n in range(2, 7)]
    rows.append(["Old", "+380670000001", "old@example.com"])  # row 7: updates the card typed in before
    rows.append(["Bad", "12", ""])                              # row 8: rejected
    job = upload(owner_api, csv_file(rows), mode="update").json()
    done = run(owner_api, job["id"], django_capture_on_commit_callbacks)
    assert run_counts(done) == (5, 1, 0, 1)
    owner = owner_of(tenant_a)
    with schema_context(tenant_a.slug):
        created = list(Client.objects.exclude(surname="Old").order_by("pk"))
        rights = set(ClientUserObjectPermission.objects.filter(content_object__in=created).values_list(
            "content_object_id", "user_id", "permission__codename"))
        assert rights == {(c.pk, owner.pk, perm) for c in created for perm in ("view_client", "change_client")}
        assert all(owner.has_perm("clients.change_client", c) for c in created)
        assert all(c.owner_id == owner.pk and c.created_by_id == owner.pk and c.search_text for c in created)
        events = list(AuditEvent.objects.filter(action="clients.import_batch").order_by("seq"))
        # Rows 2-4, 5-7 and 8 (which wrote nothing, so has no event).
        assert [e.changes["rows"] for e in events] == [[2, 4], [5, 7]]
        assert [(e.changes["created"], e.changes["updated"], e.changes["errors"]) for e in events] == [(3, 0, 0), (2, 1, 0)]
        assert sorted(pk for e in events for pk in e.changes["created_ids"]) == [c.pk for c in created]
        old = Client.objects.get(surname="Old")
        assert events[1].changes["updated_clients"] == [{"id": old.pk, "row": 7, "changes": {"emails": [[], ["old@example.com"]]}}]
        assert all(e.target_id == str(job["id"]) and e.actor_id == owner.pk for e in events)
        assert not AuditEvent.objects.filter(action="client.created", target_id__in=[str(c.pk) for c in created]).exists()
        assert audit_chain_verify().ok


# The check in the background -------------------------------------------------------------------

BIG_CHECK_ROWS = [HEADER, *GOOD_ROWS, *BAD_ROWS, ["Шевченко Т.", "+380671112233", "", "", "", ""]]


def test_a_big_file_is_checked_by_the_task_and_reports_what_a_small_one_does(
    tenant_a, owner_api, django_capture_on_commit_callbacks, settings, monkeypatch
):
    from apps.clients.imports import services

    small = upload(owner_api, csv_file(BIG_CHECK_ROWS)).json()
    small_report = owner_api.post(f"/api/v1/client-imports/{small['id']}/dry-run/")
    assert small_report.status_code == 200

    monkeypatch.setattr(services, "BATCH_ROWS", 2)
    settings.CLIENT_IMPORT_CHECK_SYNC_ROWS = 5
    big = upload(owner_api, csv_file(BIG_CHECK_ROWS)).json()
    checked: list[int] = []
    real = services._dry_run_report

    def spy(job, *, progress=None):
        assert progress is not None  # the task's way, which saves its progress
        update = progress.update

        def counted(**values):
            if "status" not in values:  # not the final save of the report
                checked.append(values["checked_rows"])
            return update(**values)

        progress.update = counted
        return real(job, progress=progress)

    monkeypatch.setattr(services, "_dry_run_report", spy)
    with django_capture_on_commit_callbacks(execute=True):
        queued = owner_api.post(f"/api/v1/client-imports/{big['id']}/dry-run/")
        assert queued.status_code == 202, queued.json()
        assert (queued.json()["status"], queued.json()["checked_rows"]) == ("checking", 0)
        waiting = owner_api.get(f"/api/v1/client-imports/{big['id']}/dry-run/")
        assert waiting.status_code == 202 and waiting.json()["status"] == "checking"
    assert checked == [2, 4, 6, 7]
    done = owner_api.get(f"/api/v1/client-imports/{big['id']}/dry-run/")
    assert done.status_code == 200
    strip = lambda report: {k: v for k, v in report.items() if k != "checked_at"}  # noqa: E731
    assert strip(done.json()) == strip(small_report.json())
    assert report_counts(done.json()) == (3, 0, 1, 3)
    job = owner_api.get(f"/api/v1/client-imports/{big['id']}/").json()
    assert (job["status"], job["checked_rows"], job["check_progress"]) == ("dry_run_done", 7, 100)
    assert clients_of(tenant_a) == []


def test_a_file_over_a_megabyte_is_checked_in_the_background(owner_api, settings, django_capture_on_commit_callbacks):
    settings.CLIENT_IMPORT_CHECK_SYNC_BYTES = 50
    job = upload(owner_api, csv_file(BIG_CHECK_ROWS)).json()
    with django_capture_on_commit_callbacks(execute=True):
        assert owner_api.post(f"/api/v1/client-imports/{job['id']}/dry-run/").status_code == 202
    assert owner_api.get(f"/api/v1/client-imports/{job['id']}/dry-run/").json()["would_create"] == 3


def test_changing_the_columns_stops_a_background_check(tenant_a, owner_api, settings, django_capture_on_commit_callbacks):
    settings.CLIENT_IMPORT_CHECK_SYNC_ROWS = 1
    job = upload(owner_api, csv_file(BIG_CHECK_ROWS)).json()
    with django_capture_on_commit_callbacks() as queued:
        assert owner_api.post(f"/api/v1/client-imports/{job['id']}/dry-run/").status_code == 202
    changed = owner_api.patch(f"/api/v1/client-imports/{job['id']}/", {"mapping": {"0": "full_name"}}, format="json")
    assert changed.status_code == 200 and changed.json()["status"] == "uploaded"
    for callback in queued:
        callback()  # the check's task, late
    body = owner_api.get(f"/api/v1/client-imports/{job['id']}/").json()
    assert (body["status"], body["dry_run"]) == ("uploaded", {})
    assert owner_api.get(f"/api/v1/client-imports/{job['id']}/dry-run/").status_code == 409


def test_a_background_check_that_fails_says_why(owner_api, settings, django_capture_on_commit_callbacks, monkeypatch):
    from apps.clients.imports import services

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services, "batch_import", broken)
    settings.CLIENT_IMPORT_CHECK_SYNC_ROWS = 1
    job = upload(owner_api, csv_file(BIG_CHECK_ROWS)).json()
    with django_capture_on_commit_callbacks(execute=True):
        owner_api.post(f"/api/v1/client-imports/{job['id']}/dry-run/")
    body = owner_api.get(f"/api/v1/client-imports/{job['id']}/").json()
    # The kind of error, never its text (a database error's text can quote a client's row).
    assert body["status"] == "uploaded" and "RuntimeError" in body["dry_run"]["failed"] and "fire" not in body["dry_run"]["failed"]
    refused = owner_api.get(f"/api/v1/client-imports/{job['id']}/dry-run/")
    assert refused.status_code == 409 and "RuntimeError" in refused.json()["message"]


def test_the_check_page_polls_while_a_big_file_is_checked(tenant_a, settings, django_capture_on_commit_callbacks):
    settings.CLIENT_IMPORT_CHECK_SYNC_ROWS = 1
    page = signed_in(tenant_a)
    columns_url = page.post("/clients/import/", {"file": csv_file(BIG_CHECK_ROWS), "duplicate_mode": "skip"})["Location"]
    job_id = int(columns_url.rstrip("/").split("/")[-2])
    mapping = {"column_0": "full_name", "column_1": "phones", "column_2": "emails", "column_3": "birthday", "column_4": "", "column_5": "notes"}
    with django_capture_on_commit_callbacks() as queued:
        response = page.post(columns_url, {**mapping, "duplicate_mode": "skip", "action": "check"})
    assert response["Location"] == f"/clients/import/{job_id}/check/"
    html = page.get(response["Location"]).content.decode()
    assert 'data-status="checking"' in html and 'hx-trigger="every 1s"' in html and "0 of 7 rows" in html
    assert page.get(f"/clients/import/{job_id}/")["Location"] == f"/clients/import/{job_id}/check/"
    for callback in queued:
        callback()
    panel = page.get(f"/clients/import/{job_id}/check/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in panel and 'data-status="dry_run_done"' in panel and "hx-trigger" not in panel
    assert 'data-testid="import-rejected"' in panel and all(f"<td>{n}</td>" in panel for n in (5, 6, 7))


def test_the_check_remembers_many_keys_compactly():
    from apps.clients.imports.matching import CompactMap

    remembered = CompactMap()
    remembered.RUN = 4
    for key in range(0, 30, 3):
        remembered.set(key * 7919, key)
    remembered.set(9 * 7919, -5)  # settled before: changed in place
    assert len(remembered.runs) == 2 and len(remembered.recent) == 2
    assert [remembered.get(key * 7919) for key in range(0, 30, 3)] == [0, 3, 6, -5, 12, 15, 18, 21, 24, 27]
    assert remembered.get(1) is None and remembered.get(10**12) is None

"""Files on client cards: checked uploads, the plan's storage, downloads only through visibility and the
company's own folder, deletion, merge, timeline, the card page."""
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import Max
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from apps.audit.models import AuditEvent
from tests.conftest import api_client
from tests.web.test_pages import signed_in

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def pdf(size: int = 0) -> bytes:
    """A PDF of at least `size` bytes."""
    return PDF + b"%" + b"0" * max(0, size - len(PDF) - 1)


def package(names: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in names.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


def stored_files(media) -> list[str]:
    return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())


@pytest.fixture
def owner_api(tenant_a, owner_of, token_for):
    return api_client(tenant_a.host, token_for(tenant_a, owner_of(tenant_a)))


@pytest.fixture
def card(tenant_a, owner_of):
    from apps.clients.services import client_create

    with schema_context(tenant_a.slug):
        return client_create(actor=owner_of(tenant_a), surname="Коваленко", first_name="Ірина")


def upload(api, client_id: int, name: str = "scan.pdf", content: bytes = PDF, **fields):
    return api.post(f"/api/v1/clients/{client_id}/attachments/", {"file": SimpleUploadedFile(name, content), **fields}, format="multipart")


def download(api, client_id: int, attachment_id: int):
    return api.get(f"/api/v1/clients/{client_id}/attachments/{attachment_id}/download/")


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


# Upload, list, download ------------------------------------------------------------------------

def test_an_uploaded_file_is_listed_and_downloads_byte_for_byte_under_its_name(tenant_a, media, owner_api, card):
    content = pdf(50_000)
    created = upload(owner_api, card.pk, "../../Паспорт Іван\u202e.pdf", content, description="Passport, page 1")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["original_name"], body["size"], body["content_type"]) == ("Паспорт Іван.pdf", len(content), "application/pdf")
    assert body["description"] == "Passport, page 1" and body["client"] == card.pk
    assert body["download_url"] == f"/api/v1/clients/{card.pk}/attachments/{body['id']}/download/"

    listed = owner_api.get(f"/api/v1/clients/{card.pk}/attachments/").json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == body["id"]

    response = download(owner_api, card.pk, body["id"])
    assert response.status_code == 200
    assert body_of(response) == content
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''%D0%9F%D0%B0%D1%81%D0%BF%D0%BE%D1%80%D1%82%20%D0%86%D0%B2%D0%B0%D0%BD.pdf"
    assert "sandbox" in response["Content-Security-Policy"] and "no-store" in response["Cache-Control"]

    # Stored in the company's own folder under a name nobody chose.
    [stored] = stored_files(media)
    assert stored.startswith(f"{tenant_a.slug}/attachments/") and stored.endswith(".pdf") and "Паспорт" not in stored
    assert (media / stored).read_bytes() == content
    with schema_context(tenant_a.slug):
        added = AuditEvent.objects.get(action="client.attachment_added")
        assert added.changes == {"client": card.pk, "name": "Паспорт Іван.pdf", "size": len(content), "content_type": "application/pdf"}
        assert AuditEvent.objects.filter(action="client.attachment_downloaded", changes__attachment=body["id"]).count() == 1


def test_office_documents_images_text_and_archives_are_accepted_with_our_content_type(media, owner_api, card):
    docx = package({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
    odt_buffer = io.BytesIO()
    with zipfile.ZipFile(odt_buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), b"application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", b"<office:document-content/>")
    accepted = {
        "contract.docx": (docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        "contract.odt": (odt_buffer.getvalue(), "application/vnd.oasis.opendocument.text"),
        "photo.JPG": (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 100, "image/jpeg"),
        "scan.png": (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "image/png"),
        "notes.txt": ("Замір: 1200 × 1400\r\n".encode(), "text/plain"),
        "old.xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "application/vnd.ms-excel"),
        "photos.zip": (package({"a.jpg": b"x"}), "application/zip"),
    }
    for name, (content, content_type) in accepted.items():
        response = upload(owner_api, card.pk, name, content)
        assert response.status_code == 201, (name, response.json())
        assert response.json()["content_type"] == content_type, name
    assert len(stored_files(media)) == len(accepted)


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("empty.pdf", b"", "empty"),
        ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100, "type_not_allowed"),
        ("page.html", b"<html><script>alert(1)</script></html>", "type_not_allowed"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "type_not_allowed"),
        ("app.js", b"alert(document.cookie)", "type_not_allowed"),
        ("no-extension", PDF, "type_not_allowed"),
        ("scan.pdf", b"<html><script>alert(1)</script></html>", "content_mismatch"),
        ("photo.jpg", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100, "content_mismatch"),
        ("notes.txt", b"<!doctype html><script>alert(1)</script>", "content_mismatch"),
        ("notes.txt", b"MZ\x90\x00\x03\x00\x00\x00", "content_mismatch"),
        ("report.docx", package({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>", "word/vbaProject.bin": b"x"}), "macros"),
        ("report.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600 + "_VBA_PROJECT".encode("utf-16-le"), "macros"),
    ],
)
def test_empty_forbidden_and_disguised_files_are_refused_and_nothing_is_stored(tenant_a, media, owner_api, card, name, content, code):
    from apps.clients.attachments.models import Attachment

    response = upload(owner_api, card.pk, name, content)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert [error["code"] for error in body["fields"]["file"]] == [code]
    assert stored_files(media) == []
    with schema_context(tenant_a.slug):
        assert not Attachment.objects.exists()


def test_a_file_over_the_size_setting_is_refused_and_nothing_is_stored(settings, media, owner_api, card):
    settings.CLIENT_ATTACHMENT_MAX_MB = 1
    assert upload(owner_api, card.pk, "exact.pdf", pdf(2**20)).status_code == 201
    response = upload(owner_api, card.pk, "big.pdf", pdf(2**20 + 1))
    assert response.status_code == 400
    assert response.json()["fields"]["file"][0]["code"] == "too_large"
    assert "1 MB" in response.json()["fields"]["file"][0]["message"]
    assert len(stored_files(media)) == 1


def test_missing_file_and_long_description_name_their_fields(media, owner_api, card):
    missing = owner_api.post(f"/api/v1/clients/{card.pk}/attachments/", {"description": "x"}, format="multipart")
    assert missing.status_code == 400 and missing.json()["fields"]["file"][0]["code"] == "required"
    long = upload(owner_api, card.pk, description="x" * 301)
    assert long.status_code == 400 and set(long.json()["fields"]) == {"description"}
    as_json = owner_api.post(f"/api/v1/clients/{card.pk}/attachments/", {"file": "x"}, format="json")
    assert as_json.status_code == 415 and as_json.json()["code"] == "unsupported_media_type"
    assert stored_files(media) == []


def test_an_upload_past_the_plans_storage_is_refused_with_402_and_nothing_is_stored(settings, tenant_a, media, owner_api, card):
    from billing.models import Plan, Subscription

    # Plan limits apply when billing is on (a Stripe key is set); nothing here calls Stripe.
    settings.STRIPE_SECRET_KEY = "sk_test_limits_only"

    with schema_context("public"):
        plan_id = Subscription.objects.get(tenant__schema_name=tenant_a.slug).plan_id
        Plan.objects.filter(pk=plan_id).update(storage_mb=1)
    assert upload(owner_api, card.pk, "first.pdf", pdf(600 * 1024)).status_code == 201
    refused = upload(owner_api, card.pk, "second.pdf", pdf(600 * 1024))
    assert refused.status_code == 402
    body = refused.json()
    assert body["code"] == "plan_limit_reached"
    assert body["limit"] == {"name": "storage_mb", "allowed": 1, "used": 0.59}
    assert body["upgrade_url"] == "/billing/"
    assert len(stored_files(media)) == 1
    # A smaller file still fits.
    assert upload(owner_api, card.pk, "small.pdf", pdf(100 * 1024)).status_code == 201


# Who may see what -------------------------------------------------------------------------------

def _id_unused_in(handle, client_pk: int) -> bool:
    from apps.clients.models import Client

    with schema_context(handle.slug):
        return not Client.objects.filter(pk=client_pk).exists()


def test_tenant_b_cannot_list_download_or_delete_tenant_as_files(tenant_a, tenant_b, media, owner_api, owner_of, token_for):
    from apps.clients.models import Client
    from apps.clients.services import client_create

    # A card of A whose id is not a card of B, so B's answer can only come from B's own schema.
    with schema_context(tenant_b.slug):
        b_max = Client.objects.aggregate(top=Max("pk"))["top"] or 0
    with schema_context(tenant_a.slug):
        a_card = client_create(actor=owner_of(tenant_a), surname="A")
        while a_card.pk <= b_max:
            a_card = client_create(actor=owner_of(tenant_a), surname="A")
    assert _id_unused_in(tenant_b, a_card.pk)
    attachment = upload(owner_api, a_card.pk).json()

    b_owner = owner_of(tenant_b)
    b_api = api_client(tenant_b.host, token_for(tenant_b, b_owner))
    assert b_api.get(f"/api/v1/clients/{a_card.pk}/attachments/").status_code == 404
    assert download(b_api, a_card.pk, attachment["id"]).status_code == 404
    assert b_api.delete(f"/api/v1/clients/{a_card.pk}/attachments/{attachment['id']}/").status_code == 404
    assert upload(b_api, a_card.pk).status_code == 404
    # B's credentials mean nothing on A's host.
    assert download(api_client(tenant_a.host, token_for(tenant_b, b_owner)), a_card.pk, attachment["id"]).status_code == 401
    assert download(owner_api, a_card.pk, attachment["id"]).status_code == 200


def test_staff_who_cannot_see_the_card_get_404_and_those_granted_it_can_download(tenant_a, media, owner_api, card, make_user, token_for):
    from accounts.permissions import object_perm_grant

    attachment = upload(owner_api, card.pk).json()
    staff = make_user(tenant_a)
    staff_api = api_client(tenant_a.host, token_for(tenant_a, staff))
    base = f"/api/v1/clients/{card.pk}/attachments/"
    assert staff_api.get(base).status_code == 404
    assert upload(staff_api, card.pk).status_code == 404
    assert download(staff_api, card.pk, attachment["id"]).status_code == 404
    assert staff_api.delete(f"{base}{attachment['id']}/").status_code == 404
    assert len(stored_files(media)) == 1

    with schema_context(tenant_a.slug):
        object_perm_grant("clients.view_client", card, user=staff)
    assert staff_api.get(base).json()["count"] == 1
    assert body_of(download(staff_api, card.pk, attachment["id"])) == PDF
    # Someone else's file on someone else's card: visible, not theirs to delete.
    refused = staff_api.delete(f"{base}{attachment['id']}/")
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    # The wrong card in the path is not found either.
    assert download(owner_api, card.pk + 1000000, attachment["id"]).status_code == 404


def test_a_row_pointing_outside_the_companys_folder_is_never_served(tenant_a, tenant_b, media, owner_api, card):
    from apps.clients.attachments.models import Attachment

    attachment = upload(owner_api, card.pk).json()
    foreign = media / tenant_b.slug / "attachments" / "theirs.pdf"
    foreign.parent.mkdir(parents=True)
    foreign.write_bytes(b"%PDF-1.4 tenant B's secret")
    browser = signed_in(tenant_a)
    for name in (
        f"{tenant_b.slug}/attachments/theirs.pdf",
        f"{tenant_a.slug}/../{tenant_b.slug}/attachments/theirs.pdf",
        f"{tenant_a.slug}/attachments/../../{tenant_b.slug}/attachments/theirs.pdf",
        f"{tenant_a.slug}/theirs.pdf",
    ):
        with schema_context(tenant_a.slug):
            Attachment.objects.filter(pk=attachment["id"]).update(file=name)
        assert download(owner_api, card.pk, attachment["id"]).status_code == 404, name
        assert browser.get(f"/clients/{card.pk}/attachments/{attachment['id']}/").status_code == 404, name
    with schema_context(tenant_a.slug):
        Attachment.objects.filter(pk=attachment["id"]).update(file=f"{tenant_a.slug}/attachments/gone.pdf")
        assert not AuditEvent.objects.filter(action="client.attachment_downloaded").exists()
    missing = download(owner_api, card.pk, attachment["id"])
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


# Delete, merge, timeline ------------------------------------------------------------------------

def test_deleting_removes_the_row_and_after_commit_the_file(tenant_a, media, owner_api, card, django_capture_on_commit_callbacks):
    attachment = upload(owner_api, card.pk).json()
    assert len(stored_files(media)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_api.delete(f"/api/v1/clients/{card.pk}/attachments/{attachment['id']}/")
    assert response.status_code == 204
    assert stored_files(media) == []
    assert owner_api.get(f"/api/v1/clients/{card.pk}/attachments/").json()["count"] == 0
    assert download(owner_api, card.pk, attachment["id"]).status_code == 404
    with schema_context(tenant_a.slug):
        event = AuditEvent.objects.get(action="client.attachment_deleted")
        assert event.target_id == str(attachment["id"]) and event.changes["name"] == "scan.pdf"


def test_the_cards_owner_and_the_uploader_may_delete(tenant_a, media, owner_api, make_user, token_for, django_capture_on_commit_callbacks):
    from accounts.permissions import object_perm_grant
    from apps.clients.models import Client

    owner_staff = make_user(tenant_a)
    owner_staff_api = api_client(tenant_a.host, token_for(tenant_a, owner_staff))
    card_id = owner_staff_api.post("/api/v1/clients/", {"surname": "Owned"}, format="json").json()["id"]
    helper = make_user(tenant_a)
    with schema_context(tenant_a.slug):
        object_perm_grant("clients.view_client", Client.objects.get(pk=card_id), user=helper)
    helper_api = api_client(tenant_a.host, token_for(tenant_a, helper))
    by_manager = upload(owner_api, card_id).json()
    by_helper = upload(helper_api, card_id, "helper.pdf").json()
    with django_capture_on_commit_callbacks(execute=True):
        assert helper_api.delete(f"/api/v1/clients/{card_id}/attachments/{by_manager['id']}/").status_code == 403
        assert helper_api.delete(f"/api/v1/clients/{card_id}/attachments/{by_helper['id']}/").status_code == 204
        assert owner_staff_api.delete(f"/api/v1/clients/{card_id}/attachments/{by_manager['id']}/").status_code == 204
    assert stored_files(media) == []


def test_merging_cards_moves_their_files(tenant_a, media, owner_api):
    keep = owner_api.post("/api/v1/clients/", {"surname": "Keep"}, format="json").json()
    other = owner_api.post("/api/v1/clients/", {"surname": "Other"}, format="json").json()
    attachment = upload(owner_api, other["id"]).json()
    assert owner_api.post(f"/api/v1/clients/{keep['id']}/merge/", {"other": other["id"]}, format="json").status_code == 200
    listed = owner_api.get(f"/api/v1/clients/{keep['id']}/attachments/").json()
    assert [a["id"] for a in listed["results"]] == [attachment["id"]]
    assert body_of(download(owner_api, keep["id"], attachment["id"])) == PDF
    with schema_context(tenant_a.slug):
        assert AuditEvent.objects.get(action="client.merged").changes["moved"]["attachments"] == 1


def test_a_file_is_on_the_clients_timeline_with_its_download_link(tenant_a, media, owner_api, card):
    attachment = upload(owner_api, card.pk, "measure.pdf", description="Kitchen").json()
    items = owner_api.get(f"/api/v1/clients/{card.pk}/timeline/").json()["items"]
    [item] = [i for i in items if i["type"] == "attachment"]
    assert item["title"] == "File: measure.pdf" and item["id"] == attachment["id"]
    assert item["url"] == f"/clients/{card.pk}/attachments/{attachment['id']}/" and item["detail"].startswith("Kitchen")


# The card page ---------------------------------------------------------------------------------

def test_the_card_page_uploads_lists_downloads_and_deletes_files(tenant_a, media, card, django_capture_on_commit_callbacks):
    browser = signed_in(tenant_a)
    response = browser.post(f"/clients/{card.pk}/attachments/", {"file": SimpleUploadedFile("договір.pdf", PDF), "description": "Signed"})
    assert response.status_code == 302 and response["Location"] == f"/clients/{card.pk}/#attachments"
    page = browser.get(f"/clients/{card.pk}/").content.decode()
    assert 'data-testid="client-attachments"' in page and "договір.pdf" in page and "Signed" in page
    assert 'data-testid="timeline-attachment"' in page
    with schema_context(tenant_a.slug):
        from apps.clients.attachments.models import Attachment

        attachment = Attachment.objects.get()
    link = f"/clients/{card.pk}/attachments/{attachment.pk}/"
    assert f'href="{link}"' in page
    downloaded = browser.get(link)
    assert downloaded.status_code == 200 and body_of(downloaded) == PDF
    assert downloaded["Content-Disposition"].startswith("attachment;")

    refused = browser.post(f"/clients/{card.pk}/attachments/", {"file": SimpleUploadedFile("x.exe", b"MZ\x90\x00")}, follow=True)
    assert "Files of this type are not accepted" in refused.content.decode()
    assert len(stored_files(media)) == 1

    with django_capture_on_commit_callbacks(execute=True):
        deleted = browser.post(f"{link}delete/")
    assert deleted.status_code == 302 and stored_files(media) == []
    assert "договір.pdf" not in browser.get(f"/clients/{card.pk}/").content.decode().split('data-testid="client-attachments"')[1]


def test_the_card_page_costs_the_same_queries_with_one_file_or_many(tenant_a, media, owner_api, card):
    browser = signed_in(tenant_a)
    upload(owner_api, card.pk)
    browser.get(f"/clients/{card.pk}/")  # warm the per-process caches (tenant host, permission ids)

    def card_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert browser.get(f"/clients/{card.pk}/").status_code == 200
        return len(queries)

    one = card_queries()
    for index in range(3):
        upload(owner_api, card.pk, f"more-{index}.pdf")
    assert card_queries() == one


def test_a_staff_member_who_cannot_see_the_card_gets_404_on_the_pages(tenant_a, media, owner_api, card, make_user):
    from tests.conftest import PASSWORD

    attachment = upload(owner_api, card.pk).json()
    staff = make_user(tenant_a)
    browser = signed_in(tenant_a, email=staff.email, password=PASSWORD)
    assert browser.get(f"/clients/{card.pk}/attachments/{attachment['id']}/").status_code == 404
    assert browser.post(f"/clients/{card.pk}/attachments/", {"file": SimpleUploadedFile("a.pdf", PDF)}).status_code == 404
    assert browser.post(f"/clients/{card.pk}/attachments/{attachment['id']}/delete/").status_code == 404
    assert len(stored_files(media)) == 1


def test_file_names_are_cleaned_of_paths_controls_and_unsaveable_characters():
    from apps.clients.attachments.file_types import file_name_clean

    assert file_name_clean("C:\\Users\\me\\scan 1.pdf") == "scan 1.pdf"
    assert file_name_clean("../../etc/passwd") == "passwd"
    assert file_name_clean("photo\u202egpj.exe") == "photogpj.exe"
    assert file_name_clean('a<b>:"c".pdf') == "a_b___c_.pdf"
    assert file_name_clean("  ...  ") == "file"
    assert file_name_clean("x" * 300 + ".pdf") == "x" * 251 + ".pdf"
    assert file_name_clean("Cafe\u0301.pdf") == "Café.pdf"


def test_a_failure_after_the_file_is_written_removes_it(tenant_a, media, owner_of):
    from django.db import IntegrityError

    from apps.clients.attachments.models import Attachment
    from apps.clients.attachments.services import attachment_add
    from apps.clients.models import Client

    with schema_context(tenant_a.slug):
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the missing card fails the insert, not a later commit
        gone = Client(pk=2**62, owner=owner_of(tenant_a))
        with pytest.raises(IntegrityError):
            attachment_add(client=gone, actor=owner_of(tenant_a), upload=SimpleUploadedFile("scan.pdf", PDF))
        assert not Attachment.objects.exists()
    assert stored_files(media) == []


def test_files_no_row_points_to_are_swept_once_old_and_other_companies_files_are_untouched(tenant_a, tenant_b, media, owner_api, card):
    import os
    import time

    from apps.clients.attachments.services import attachment_orphans_remove

    kept = upload(owner_api, card.pk, "kept.pdf").json()
    folder = media / tenant_a.slug / "attachments"
    orphan, fresh_orphan = folder / "0rphan.pdf", folder / "fresh.pdf"
    other_company = media / tenant_b.slug / "attachments" / "theirs.pdf"
    other_company.parent.mkdir(parents=True)
    for path in (orphan, fresh_orphan, other_company):
        path.write_bytes(PDF)
    two_days_ago = time.time() - 2 * 86400
    for path in (orphan, other_company, *folder.glob("*")):
        if path != fresh_orphan:
            os.utime(path, (two_days_ago, two_days_ago))
    with schema_context(tenant_a.slug):
        assert attachment_orphans_remove() == 1
    assert not orphan.exists() and fresh_orphan.exists() and other_company.exists()
    assert download(owner_api, card.pk, kept["id"]).status_code == 200

"""Writes of client files: add (checked, within the plan's storage), delete, and the download's audit.

A file is written to storage before its row, so the row never names a file that is not there; if
anything after the write fails (the plan's limit under the lock, the insert, the audit, the commit)
the file is deleted before the error goes on. A deleted row's file is removed after commit.
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from apps.api.errors import DomainError, NotPermitted
from apps.audit.services import audit_record
from apps.clients.attachments.file_types import FileRefused, file_extension, file_name_clean, file_type_check
from apps.clients.attachments.models import Attachment
from apps.clients.attachments.selectors import attachment_can_delete
from apps.clients.models import Client
from billing.services.limits import megabytes, plan_limit_check

logger = logging.getLogger(__name__)

DESCRIPTION_MAX = 300


class AttachmentInvalid(DomainError):
    code = "validation_error"


class AttachmentNotAllowed(NotPermitted):
    pass


def _invalid(field: str, code: str, message: str) -> AttachmentInvalid:
    return AttachmentInvalid(message, fields={field: [ValidationError(message, code=code)]})


def _checked(upload, description: str) -> tuple[str, str]:
    """(clean name, content type) of an acceptable upload; raises AttachmentInvalid naming the field."""
    if len(description) > DESCRIPTION_MAX:
        raise _invalid("description", "max_length", _("At most %(max)s characters.") % {"max": DESCRIPTION_MAX})
    size = upload.size or 0
    if size <= 0:
        raise _invalid("file", "empty", _("The file is empty."))
    max_mb = settings.CLIENT_ATTACHMENT_MAX_MB
    if size > max_mb * 2**20:
        raise _invalid("file", "too_large", _("The file is larger than %(mb)s MB.") % {"mb": max_mb})
    name = file_name_clean(getattr(upload, "name", "") or "")
    try:
        file_type = file_type_check(upload, name)
    except FileRefused as refused:
        raise _invalid("file", refused.code, refused.message) from None
    return name, file_type.content_type


def _storage_lock() -> None:
    """Serialize uploads of one company while they count its storage, so two cannot both fit the last MB."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':attachment-storage'))")


def attachment_add(*, client: Client, actor, upload, description: str = "") -> Attachment:
    """Keep `upload` on the client's card under `<schema>/attachments/<uuid>.<ext>`; audited.

    Raises AttachmentInvalid (400: empty, too large, a type not accepted, content that is not what
    its extension says) before anything is written, and PlanLimitReached (402) when the company's
    files would pass its plan's storage. On any failure no file is left behind.

    The transaction is this function's own block, not a decorator's: a deferred foreign key fails
    at commit, and the commit must happen inside the `try` that deletes the file.
    """
    description = (description or "").strip()
    name, content_type = _checked(upload, description)
    adding = megabytes(upload.size)
    plan_limit_check("storage_mb", adding=adding)  # fail before writing; checked again under the lock
    attachment = Attachment(
        client=client, original_name=name, content_type=content_type, size=upload.size, description=description, uploaded_by=actor,
    )
    upload.seek(0)
    # The stored name is attachment_path's: the schema's folder and a random name with this extension.
    attachment.file.save(f"upload.{file_extension(name)}", upload, save=False)
    try:
        with transaction.atomic():
            _storage_lock()
            plan_limit_check("storage_mb", adding=adding)
            attachment.save()
            audit_record(
                action="client.attachment_added",
                actor=actor,
                target=attachment,
                changes={"client": client.pk, "name": name, "size": attachment.size, "content_type": content_type},
            )
    except BaseException:
        attachment.file.storage.delete(attachment.file.name)
        raise
    return attachment


@transaction.atomic
def attachment_delete(*, attachment: Attachment, actor) -> None:
    """Delete the file from the card (managers, the card's owner, the uploader); audited. The stored
    file is removed after commit, so a rolled-back delete keeps it."""
    if not attachment_can_delete(actor, attachment):
        raise AttachmentNotAllowed(_("Only a manager, the client's owner or whoever uploaded the file can delete it."))
    storage, stored_name = attachment.file.storage, attachment.file.name
    target = ("clients.attachment", attachment.pk, attachment.original_name)
    changes = {"client": attachment.client_id, "name": attachment.original_name, "size": attachment.size}
    attachment.delete()
    audit_record(action="client.attachment_deleted", actor=actor, target=target, changes=changes)
    if stored_name:
        transaction.on_commit(lambda: _file_remove(storage, stored_name))


def _file_remove(storage, name: str) -> None:
    # After commit the row is gone whatever happens here; a file that cannot be removed is logged, not raised.
    try:
        storage.delete(name)
    except OSError:
        logger.exception("could not remove the stored file %s of a deleted attachment", name)


@transaction.atomic
def attachment_download_record(*, attachment: Attachment, actor) -> None:
    """Who took a copy of a client's document: every download is an audit event."""
    audit_record(
        # On the client, so the card's access history ("who viewed this client") lists it.
        action="client.attachment_downloaded", actor=actor, target=attachment.client,
        changes={"attachment": attachment.pk, "name": attachment.original_name},
    )


def attachment_orphans_remove(*, older_than_hours: int = 24) -> int:
    """Delete files in this company's attachment folder that no row points to (a client deleted
    by cascade, an upload whose transaction rolled back), once they are old enough that no upload
    can still be in flight. Returns how many were removed."""
    from apps.clients.stored_files import company_folder, orphans_remove

    known = set(Attachment.objects.filter(file__startswith=f"{company_folder('attachments')}/").values_list("file", flat=True))
    return orphans_remove(kind="attachments", known=known, older_than_hours=older_than_hours)

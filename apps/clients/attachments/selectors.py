"""Reads of client files: what a user may see, the card's list, the company's storage in use."""
from __future__ import annotations

import posixpath
from pathlib import PurePosixPath

from django.db import connection
from django.db.models import QuerySet, Sum

from accounts.permissions import is_manager
from apps.clients.attachments.models import Attachment
from apps.clients.models import Client
from apps.clients.selectors import client_list_visible_to


def attachment_list_visible_to(user) -> QuerySet[Attachment]:
    """The files on the cards `user` may see (apps.clients.selectors.client_list_visible_to)."""
    visible_clients = client_list_visible_to(user).order_by().values("pk")
    return Attachment.objects.filter(client__in=visible_clients).select_related("client", "uploaded_by")


def attachment_list_of(client: Client) -> QuerySet[Attachment]:
    """One card's files, newest first (the caller has resolved the card through visibility)."""
    return Attachment.objects.filter(client=client).select_related("uploaded_by")


def attachment_can_delete(user, attachment: Attachment) -> bool:
    """Managers (and admins, owners), the card's owner and whoever uploaded the file may delete it."""
    if not getattr(user, "is_authenticated", False):
        return False
    return is_manager(user) or attachment.uploaded_by_id == user.pk or attachment.client.owner_id == user.pk


def attachment_list_for_card(*, client: Client, user) -> list[Attachment]:
    """The card's files in one query, each marked `can_delete` for `user`."""
    attachments = list(attachment_list_of(client))
    for attachment in attachments:
        attachment.client = client  # the same card: no query per row for its owner
        attachment.can_delete = attachment_can_delete(user, attachment)
    return attachments


def attachment_stored_in_current_schema(name: str) -> bool:
    """Whether a stored file name is `<current schema>/attachments/<file>`, with no way out of that
    folder: the check a download makes on top of visibility, so a row that points at another
    company's file (a bad restore, a hand edit) is never served."""
    if not name or posixpath.normpath(name) != name:
        return False
    parts = PurePosixPath(name).parts
    return len(parts) == 3 and parts[0] == connection.schema_name and parts[1] == "attachments" and parts[2] not in {".", ".."}


def attachment_for_download(*, user, client_id: int, attachment_id: int) -> Attachment | None:
    """The file `attachment_id` of card `client_id` if `user` may see the card and the file lies in
    this company's folder; otherwise None (a 404 for the caller)."""
    attachment = attachment_list_visible_to(user).filter(client_id=client_id, pk=attachment_id).first()
    if attachment is None or not attachment_stored_in_current_schema(attachment.file.name):
        return None
    return attachment


def attachment_storage_used() -> int:
    """Bytes of every file on the company's cards (the plan's storage_mb counts these)."""
    return Attachment.objects.aggregate(total=Sum("size"))["total"] or 0

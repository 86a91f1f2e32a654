"""The one way a client's file leaves the server (the API and the page both answer with this).

Nothing serves MEDIA_ROOT by URL. The caller has resolved the attachment through the card's
visibility and the schema-folder check (selectors.attachment_for_download); this records the
download and streams the file as a download, never as a page the browser might render.
"""
from __future__ import annotations

from django.http import FileResponse, Http404

from apps.clients.attachments.file_types import SERVED_CONTENT_TYPES
from apps.clients.attachments.models import Attachment
from apps.clients.attachments.services import attachment_download_record


def attachment_file_response(*, attachment: Attachment, actor) -> FileResponse:
    """The file as `Content-Disposition: attachment` under its original name (RFC 5987 `filename*`
    for non-ASCII names, by Django), with one of our content types, `nosniff`, a sandboxing CSP
    and no caching. A file missing from storage is a 404."""
    try:
        handle = attachment.file.storage.open(attachment.file.name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    try:
        attachment_download_record(attachment=attachment, actor=actor)
    except BaseException:
        handle.close()
        raise
    content_type = attachment.content_type if attachment.content_type in SERVED_CONTENT_TYPES else "application/octet-stream"
    response = FileResponse(handle, as_attachment=True, filename=attachment.original_name, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    # Should a browser render it anyway: no scripts, no requests, no same-origin access.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response

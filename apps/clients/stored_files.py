"""The company's own folders under MEDIA_ROOT (attachments, exports): sweeping files no row names."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from django.core.files.storage import default_storage
from django.db import connection

logger = logging.getLogger(__name__)


def company_folder(kind: str) -> str:
    """MEDIA_ROOT-relative folder of this company's files of one kind ("attachments", "exports")."""
    return f"{connection.schema_name}/{kind}"


def orphans_remove(*, kind: str, known: set[str], older_than_hours: int = 24) -> int:
    """Delete files in this company's `kind` folder whose names are not in `known` and that are
    old enough that no upload or export can still be writing them. Returns how many went."""
    folder = company_folder(kind)
    try:
        _dirs, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return 0
    cutoff = datetime.now(timezone.utc) - timedelta(hours=older_than_hours)
    removed = 0
    for name in files:
        path = f"{folder}/{name}"
        if path in known or default_storage.get_modified_time(path) > cutoff:
            continue
        try:
            default_storage.delete(path)
        except OSError:
            logger.exception("could not delete an orphaned %s file", kind)
            continue
        removed += 1
    return removed

"""Which files a client card accepts: an allow-list checked by extension AND by the file's own bytes.

Why an allow-list: the cards hold scans of passports, contracts and measurements, so PDFs, images,
office documents, plain text and archives cover the need; anything else (executables, scripts,
HTML, SVG, XML) is refused rather than guessed at. A deny-list would miss the next dangerous type.

Why the bytes too: an extension is only what the uploader typed. Each type names the signature its
files start with (PDF, JPEG, PNG, ...); OOXML and ODF documents must be real ZIP packages with the
parts those formats have, without macros (`vbaProject.bin`, ODF `Basic/` and `Scripts/`); legacy
Office files must be OLE containers without a VBA project; text must have no control bytes and must
not start like markup. Each check reads the first 8 KB, a ZIP's central directory, or (legacy
Office only) scans the file once, so checking is cheap next to receiving the upload.

The stored content type is ours, never the browser's, and downloads are always
`Content-Disposition: attachment` with `nosniff`, so even a file that slipped through is not rendered.
"""
from __future__ import annotations

import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO

from django.utils.translation import gettext as _

HEAD_BYTES = 8192
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# "_VBA_PROJECT" as OLE stores directory names (UTF-16LE): the storage every VBA macro project has.
OLE_VBA_MARK = "_VBA_PROJECT".encode("utf-16-le")
MAX_NAME_LENGTH = 255
# Characters Windows cannot keep in a file name; a name the user downloads should save as is.
_UNSAFE_NAME_CHARS = set('<>:"/\\|?*')


class FileRefused(Exception):
    """The file is not one a card accepts; `code` names why (stable, for the API's field error)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class FileType:
    content_type: str
    # Given the first HEAD_BYTES and the whole (seekable) file, says whether the content is this type;
    # may raise FileRefused for a more specific reason (macros).
    matches: Callable[[bytes, IO[bytes]], bool]


def _starts(*signatures: bytes) -> Callable[[bytes, IO[bytes]], bool]:
    return lambda head, _file: any(head.startswith(s) for s in signatures)


def _pdf(head: bytes, _file) -> bool:
    # The specification lets readers accept a few bytes before the header; real scanners do write them.
    return b"%PDF-" in head[:1024]


def _webp(head: bytes, _file) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


def _heif(head: bytes, _file) -> bool:
    # Phone photos: an ISO media file whose first box is "ftyp" with a HEIF brand.
    return head[4:8] == b"ftyp" and head[8:12] in {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}


def _text(head: bytes, _file) -> bool:
    body = head.removeprefix(b"\xef\xbb\xbf")
    if any(byte < 0x20 and byte not in (0x09, 0x0A, 0x0C, 0x0D) for byte in body):
        return False  # binary, or UTF-16: not the plain text it claims to be
    # A browser that ignored nosniff would render something starting with markup as HTML/SVG.
    return not body.lstrip().startswith(b"<")


def _zip_names(file: IO[bytes]) -> list[str] | None:
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as package:
            return package.namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        return None
    finally:
        file.seek(0)


def _macros_refused() -> FileRefused:
    return FileRefused(
        "macros", _("Documents with macros are not accepted. Save it without macros (e.g. as .docx or .xlsx) and upload again.")
    )


def _ooxml(main_folder: str) -> Callable[[bytes, IO[bytes]], bool]:
    def matches(head: bytes, file) -> bool:
        if not head.startswith(b"PK\x03\x04"):
            return False
        names = _zip_names(file)
        if names is None or "[Content_Types].xml" not in names or not any(n.startswith(main_folder) for n in names):
            return False
        if any(n.lower().endswith("vbaproject.bin") for n in names):
            raise _macros_refused()
        return True

    return matches


def _odf(mimetype: str) -> Callable[[bytes, IO[bytes]], bool]:
    def matches(head: bytes, file) -> bool:
        # ODF puts an uncompressed "mimetype" entry first: its name at byte 30, its text after the extra field.
        if not head.startswith(b"PK\x03\x04") or head[30:38] != b"mimetype":
            return False
        start = 38 + int.from_bytes(head[28:30], "little")
        if not head[start:].startswith(mimetype.encode()):
            return False
        names = _zip_names(file)
        if names is None:
            return False
        if any(n.startswith(("Basic/", "Scripts/")) for n in names):
            raise _macros_refused()
        return True

    return matches


def _zip(head: bytes, file) -> bool:
    return head.startswith((b"PK\x03\x04", b"PK\x05\x06")) and _zip_names(file) is not None


def _ole(head: bytes, file) -> bool:
    if not head.startswith(OLE_MAGIC):
        return False
    # The directory may sit anywhere in the container: scan the whole file once, in chunks that overlap
    # by the mark's length so a mark split between two chunks is still found.
    file.seek(0)
    tail = b""
    try:
        while chunk := file.read(1 << 20):
            if OLE_VBA_MARK in tail + chunk:
                raise _macros_refused()
            tail = chunk[-len(OLE_VBA_MARK):]
    finally:
        file.seek(0)
    return True


_OOXML = "application/vnd.openxmlformats-officedocument"
_ODF = "application/vnd.oasis.opendocument"

ALLOWED: dict[str, FileType] = {
    "pdf": FileType("application/pdf", _pdf),
    "jpg": FileType("image/jpeg", _starts(b"\xff\xd8\xff")),
    "jpeg": FileType("image/jpeg", _starts(b"\xff\xd8\xff")),
    "png": FileType("image/png", _starts(b"\x89PNG\r\n\x1a\n")),
    "gif": FileType("image/gif", _starts(b"GIF87a", b"GIF89a")),
    "webp": FileType("image/webp", _webp),
    "tif": FileType("image/tiff", _starts(b"II*\x00", b"MM\x00*")),
    "tiff": FileType("image/tiff", _starts(b"II*\x00", b"MM\x00*")),
    "heic": FileType("image/heic", _heif),
    "heif": FileType("image/heif", _heif),
    "txt": FileType("text/plain", _text),
    "csv": FileType("text/csv", _text),
    "doc": FileType("application/msword", _ole),
    "xls": FileType("application/vnd.ms-excel", _ole),
    "ppt": FileType("application/vnd.ms-powerpoint", _ole),
    "docx": FileType(f"{_OOXML}.wordprocessingml.document", _ooxml("word/")),
    "xlsx": FileType(f"{_OOXML}.spreadsheetml.sheet", _ooxml("xl/")),
    "pptx": FileType(f"{_OOXML}.presentationml.presentation", _ooxml("ppt/")),
    "odt": FileType(f"{_ODF}.text", _odf(f"{_ODF}.text")),
    "ods": FileType(f"{_ODF}.spreadsheet", _odf(f"{_ODF}.spreadsheet")),
    "odp": FileType(f"{_ODF}.presentation", _odf(f"{_ODF}.presentation")),
    "zip": FileType("application/zip", _zip),
    "7z": FileType("application/x-7z-compressed", _starts(b"7z\xbc\xaf\x27\x1c")),
    "rar": FileType("application/vnd.rar", _starts(b"Rar!\x1a\x07")),
}
# What a download may be labelled with; anything else goes out as application/octet-stream.
SERVED_CONTENT_TYPES = frozenset(t.content_type for t in ALLOWED.values())


def accepted_extensions() -> str:
    """For the file input's `accept` attribute: ".pdf,.jpg,..."."""
    return ",".join(f".{extension}" for extension in ALLOWED)


def file_name_clean(raw: str) -> str:
    """The name to show and to offer on download: the last path part, NFC, without control and
    format characters (a right-to-left override can make "gpj.exe" read "exe.jpg"), without
    characters Windows cannot save, at most 255 characters with the extension kept."""
    name = unicodedata.normalize("NFC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join("_" if ch in _UNSAFE_NAME_CHARS else ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = " ".join(name.split()).strip(" .")
    path = PurePosixPath(name) if name else PurePosixPath("file")
    suffix = path.suffix if len(path.suffix) <= 11 else ""
    stem = (path.stem if suffix else name).strip(" .") or "file"
    return stem[: MAX_NAME_LENGTH - len(suffix)] + suffix


def file_extension(name: str) -> str:
    return PurePosixPath(name).suffix.lower().lstrip(".")


def file_type_check(file: IO[bytes], name: str) -> FileType:
    """The allowed type of `file` named `name` (already cleaned); raises FileRefused when the
    extension is not allowed or the content is not what the extension says. Leaves `file` at 0."""
    extension = file_extension(name)
    allowed = ALLOWED.get(extension)
    if allowed is None:
        raise FileRefused(
            "type_not_allowed",
            _("Files of this type are not accepted. Upload a PDF, an image, an office document, text or an archive."),
        )
    file.seek(0)
    head = file.read(HEAD_BYTES)
    file.seek(0)
    if not allowed.matches(head, file):
        raise FileRefused(
            "content_mismatch",
            _("The file's content is not a .%(extension)s file. Check the file, or save it in the right format.") % {"extension": extension},
        )
    return allowed

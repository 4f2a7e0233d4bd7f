"""What the local endpoint accepts as an upload, and how it serves a file back.

Uploads are served from the page's own origin, so an HTML or SVG file would run as the
page (stored XSS). Only a few inert types are accepted, each checked against its first
bytes, and every file goes back as a sandboxed download that the browser may not sniff.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

from aiohttp import BodyPartReader, MultipartReader

MAX_UPLOAD_BYTES = 4 * 1024 * 1024  # all files of one upload request together
MAX_FILES = 10
MAX_ACTIVITY_PART_BYTES = 64 * 1024
MAX_NAME_CHARS = 100
_CHUNK = 64 * 1024

# Types a browser renders inertly; each with a check of its first bytes.
ALLOWED_TYPES: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),  # and "WEBP" at offset 8, checked below
    "application/pdf": (b"%PDF-",),
    "text/plain": (),  # any UTF-8 text without NUL
}
_TYPE_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg"}
_SAFE_ASCII_NAME = re.compile(r"[^A-Za-z0-9._ ()-]")


class UploadRefused(ValueError):
    """An upload the endpoint will not keep; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass(frozen=True)
class UploadedFile:
    """One accepted file: its checked type, its cleaned name and its bytes."""

    content_type: str
    name: str
    data: bytes


@dataclass(frozen=True)
class Upload:
    """What one multipart upload request carried."""

    activity: bytes | None
    files: tuple[UploadedFile, ...]


def checked_type(declared: str, data: bytes) -> str:
    """The canonical allowed type for `declared`, if `data` really is one; else UploadRefused(415)."""
    content_type = declared.split(";")[0].strip().lower()
    content_type = _TYPE_ALIASES.get(content_type, content_type)
    if content_type not in ALLOWED_TYPES:
        allowed = ", ".join(ALLOWED_TYPES)
        raise UploadRefused(415, "UnsupportedMediaType", f"{content_type or 'this type'} is not accepted; "
                                                           f"accepted: {allowed}")
    magic = ALLOWED_TYPES[content_type]
    if content_type == "text/plain":
        ok = b"\x00" not in data and _is_utf8(data)
    elif content_type == "image/webp":
        ok = data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    else:
        ok = any(data.startswith(prefix) for prefix in magic)
    if not ok:
        raise UploadRefused(415, "UnsupportedMediaType", f"the file is not a valid {content_type}")
    return content_type


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def clean_name(name: str | None) -> str:
    """A file name safe to show and to put in a header: no path, no control characters, short."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base)
                   if unicodedata.category(ch)[0] not in ("C", "Z") or ch == " ")
    base = base.strip(" .")[:MAX_NAME_CHARS]
    return base or "file"


def download_headers(name: str, content_type: str) -> dict[str, str]:
    """Headers that make a stored file a sandboxed, unsniffed, uncached download."""
    ascii_name = _SAFE_ASCII_NAME.sub("_", name) or "file"
    served_type = "text/plain; charset=utf-8" if content_type == "text/plain" else content_type
    return {
        "Content-Type": served_type,
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, no-store",
    }


async def read_upload(reader: MultipartReader, max_bytes: int = MAX_UPLOAD_BYTES) -> Upload:
    """Read an upload part by part, never holding more than `max_bytes` of files.

    Parts are read raw (no Content-Encoding decoding, so no decompression bomb); a part
    with a transfer or content encoding is refused rather than stored encoded.
    """
    activity: bytes | None = None
    files: list[UploadedFile] = []
    total = 0
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            raise UploadRefused(400, "BadArgument", "nested multipart uploads are not supported")
        encoding = part.headers.get("Content-Encoding", "identity").lower()
        transfer = part.headers.get("Content-Transfer-Encoding", "binary").lower()
        if encoding != "identity" or transfer not in ("binary", "8bit", "7bit"):
            raise UploadRefused(415, "UnsupportedMediaType", "encoded upload parts are not accepted")
        content_type = part.headers.get("Content-Type", "application/octet-stream")
        if part.name == "activity" and ("json" in content_type or "vnd.microsoft.activity" in content_type):
            activity = await _read_part(part, MAX_ACTIVITY_PART_BYTES,
                                        f"the activity part is limited to {MAX_ACTIVITY_PART_BYTES} bytes")
            continue
        if len(files) >= MAX_FILES:
            raise UploadRefused(413, "MessageSizeTooBig", f"at most {MAX_FILES} files per upload")
        data = await _read_part(part, max_bytes - total, f"uploads are limited to {max_bytes} bytes")
        total += len(data)
        files.append(UploadedFile(checked_type(content_type, data), clean_name(part.filename or part.name),
                                  data))
    return Upload(activity, tuple(files))


async def _read_part(part: BodyPartReader, limit: int, too_large: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise UploadRefused(413, "MessageSizeTooBig", too_large)
        chunks.append(chunk)
    return b"".join(chunks)

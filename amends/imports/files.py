"""An import's files: kept through Django's storage as uploaded, and read back as {name: bytes} for a reader.

A .zip is opened with limits, so that a small upload cannot unpack into more than the server should hold: at
most MAX_MEMBERS files and MAX_UNPACKED bytes in all, counted as they are read (a member's declared size may
lie). Every refusal names the "files" field and says what to do.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Iterable
from typing import IO

from amends.core.errors import DomainError

MAX_UPLOAD = 200 * 1024 * 1024  # one uploaded file, packed or not
MAX_UNPACKED = 500 * 1024 * 1024  # everything a run reads, after unpacking
MAX_MEMBERS = 1000
MAX_FILES = 20  # files in one upload
_CHUNK = 1024 * 1024


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


def upload_check(name: str, size: int) -> None:
    """Refuse a file too big to take in, or a .zip that would unpack into too much (checked again as it is read)."""
    if size > MAX_UPLOAD:
        raise DomainError(f"The file {name} is {_mb(size)}; the most one file may be is {_mb(MAX_UPLOAD)}. "
                          "Split the export, or zip it.", field="files")
    if size == 0:
        raise DomainError(f"The file {name} is empty", field="files")


def zip_check(name: str, handle: IO[bytes]) -> None:
    """A .zip's table of contents within the limits (its members' declared sizes)."""
    try:
        with zipfile.ZipFile(handle) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
    except zipfile.BadZipFile:
        raise DomainError(f"The file {name} is not a readable .zip file", field="files") from None
    finally:
        handle.seek(0)
    if len(members) > MAX_MEMBERS:
        raise DomainError(f"The file {name} holds {len(members)} files; an import reads at most {MAX_MEMBERS}", field="files")
    if sum(m.file_size for m in members) > MAX_UNPACKED:
        raise DomainError(f"The file {name} unpacks to more than {_mb(MAX_UNPACKED)}; import it in parts", field="files")
    if not members:
        raise DomainError(f"The file {name} holds no files", field="files")


def files_read(files: Iterable[tuple[str, IO[bytes]]]) -> dict[str, bytes]:
    """The contents by name of each (name, open file): a .zip's members under their own names (folders
    dropped), each other file as it is. Refuses past the limits, whatever the archives declare."""
    contents: dict[str, bytes] = {}
    budget = MAX_UNPACKED
    for name, handle in files:
        if name.lower().endswith(".zip"):
            try:
                archive = zipfile.ZipFile(handle)
            except zipfile.BadZipFile:
                raise DomainError(f"The file {name} is not a readable .zip file", field="files") from None
            with archive:
                members = [m for m in archive.infolist() if not m.is_dir()]
                if len(members) > MAX_MEMBERS:
                    raise DomainError(f"The file {name} holds {len(members)} files; an import reads at most {MAX_MEMBERS}",
                                      field="files")
                for member in members:
                    base = posixpath.basename(member.filename.replace("\\", "/"))
                    if not base or base.startswith(".") or member.filename.startswith("__MACOSX/"):
                        continue
                    try:
                        with archive.open(member) as stream:
                            data = _read_within(stream, budget, name)
                    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError) as exc:
                        raise DomainError(f"The file {member.filename} in {name} cannot be unpacked ({exc})",
                                          field="files") from None
                    budget -= len(data)
                    contents[_unique(base, contents)] = data
        else:
            data = _read_within(handle, budget, name)
            budget -= len(data)
            contents[_unique(posixpath.basename(name) or "export", contents)] = data
    return contents


def _read_within(stream: IO[bytes], budget: int, name: str) -> bytes:
    parts: list[bytes] = []
    size = 0
    while chunk := stream.read(_CHUNK):
        size += len(chunk)
        if size > budget:
            raise DomainError(f"The file {name} unpacks to more than {_mb(MAX_UNPACKED)}; import it in parts", field="files")
        parts.append(chunk)
    return b"".join(parts)


def _unique(name: str, taken: dict[str, bytes]) -> str:
    if name not in taken:
        return name
    stem, dot, ext = name.rpartition(".")
    number = 2
    while f"{stem or ext}-{number}{dot}{ext if stem else ''}" in taken:
        number += 1
    return f"{stem or ext}-{number}{dot}{ext if stem else ''}"

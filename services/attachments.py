"""Customer photos (SPEC §1): the Telegram file behind each attachment and its local copy.

A copy lives in the media folder at ``<request id>/<attachment id>.<extension>``, a name made
from ids and the file's own first bytes, never from anything a customer or a stored value
chooses; ``Attachment.local_path`` holds that name, relative to the folder. Reading a copy
accepts no other name and nothing outside the folder, so a crafted ``local_path`` can
neither show nor delete another file.

The composition root names the folder once per process (``keeping_photos_in``), since the
copier, the back-office and the anonymization all reach the same files; a process that
names none keeps no copies and serves photos through the bot alone.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Awaitable, Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path

from tortoise.queryset import QuerySet

from domain.returns import Actor
from models import Attachment

__all__ = [
    "CopyReport",
    "Photo",
    "PhotoFolder",
    "StoredPhoto",
    "copy_missing_photos",
    "extension_of",
    "find_photo",
    "keeping_photos_in",
    "photos_of_customer",
    "remove_local_copies",
    "remove_unfinished_copies",
]

# How a file starts → the extension of its copy; anything else is kept as opaque bytes.
SIGNATURES = ((b"\xff\xd8\xff", "jpg"), (b"\x89PNG\r\n\x1a\n", "png"))
OTHER = "bin"
EXTENSIONS = (*(extension for _, extension in SIGNATURES), OTHER)
UNFINISHED = ".part"  # the suffix of a copy being written
NOT_DOWNLOADED = "not downloaded from Telegram (gone, or the network failed)"

Fetch = Callable[[str], Awaitable[bytes | None]]


def extension_of(data: bytes) -> str:
    """The extension that says what ``data`` is: jpg, png, or bin for anything else."""
    return next((ext for signature, ext in SIGNATURES if data.startswith(signature)), OTHER)


@dataclass(frozen=True)
class StoredPhoto:
    """An attachment as stored: its ids, its Telegram file and its copy's name, if any."""

    id: int
    request_id: int
    telegram_file_id: str
    local_path: str

    def copy_names(self) -> list[str]:
        """Every name its copy may have, one per extension."""
        return [self.copy_name(extension) for extension in EXTENSIONS]

    def copy_name(self, extension: str) -> str:
        return f"{self.request_id}/{self.id}.{extension}"


async def _stored(query: QuerySet[Attachment]) -> list[StoredPhoto]:
    rows = await query.order_by("id").values(*(f.name for f in fields(StoredPhoto)))
    return [StoredPhoto(**row) for row in rows]


async def photos_of_customer(customer_id: int) -> list[StoredPhoto]:
    """The photos attached to the customer's requests."""
    return await _stored(Attachment.filter(request__customer_id=customer_id))


class PhotoFolder:
    """The media folder: writes copies whole or not at all, reads only names it gives."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _inside(self, name: str) -> Path | None:
        path = (self.root / name).resolve()
        return path if path.is_relative_to(self.root) else None

    def path_of(self, photo: StoredPhoto) -> Path | None:
        """The photo's copy, if it has one: a file inside the folder with its own name."""
        if photo.local_path not in photo.copy_names():
            return None
        path = self._inside(photo.local_path)
        return path if path is not None and path.is_file() else None

    def write(self, name: str, data: bytes) -> None:
        """Write ``data`` to a temporary file beside the copy, then rename it into place: a
        crash leaves the copy absent or whole, never half written."""
        target = self.root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=UNFINISHED)
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def remove_unfinished(self, before: datetime) -> int:
        """Delete the temporary files of copies whose writing stopped before ``before`` (the
        process was killed mid-write); return how many went."""
        removed = 0
        for leftover in self.root.glob(f"*/.*{UNFINISHED}"):
            if datetime.fromtimestamp(leftover.stat().st_mtime, UTC) < before:
                leftover.unlink(missing_ok=True)
                removed += 1
        return removed

    def remove(self, photos: Iterable[StoredPhoto]) -> None:
        """Delete the copies of ``photos`` under every name they may have (so a copy made
        while they were being deleted goes too); one already gone is fine."""
        for photo in photos:
            for name in photo.copy_names():
                path = self._inside(name)
                if path is not None:
                    path.unlink(missing_ok=True)


_folder: list[PhotoFolder] = []  # the process's media folder, once the composition root names it


@contextmanager
def keeping_photos_in(root: Path) -> Iterator[PhotoFolder]:
    """Keep this process's photo copies in ``root`` until the block ends."""
    folder = PhotoFolder(root)
    _folder.append(folder)
    try:
        yield folder
    finally:
        _folder.remove(folder)


def _media_folder() -> PhotoFolder | None:
    return _folder[-1] if _folder else None


@dataclass(frozen=True)
class Photo:
    """Where a photo is served from: its local copy when there is one, else Telegram."""

    telegram_file_id: str
    local_copy: Path | None


async def find_photo(attachment_id: int, actor: Actor) -> Photo | None:
    """A request's photo, if the actor is staff and it exists."""
    if not actor.is_staff:
        return None
    found = await _stored(Attachment.filter(id=attachment_id))
    if not found:
        return None
    folder = _media_folder()
    local_copy = await asyncio.to_thread(folder.path_of, found[0]) if folder else None
    return Photo(found[0].telegram_file_id, local_copy)


@dataclass(frozen=True)
class CopyReport:
    """One round of copying: the attachments copied, and why others were not."""

    copied: tuple[int, ...] = ()
    failed: tuple[tuple[int, str], ...] = ()


async def copy_missing_photos(fetch: Fetch, *, skip: Collection[int], limit: int) -> CopyReport:
    """Copy up to ``limit`` photos that have no local copy yet (oldest first, but none of
    ``skip``) into the media folder, each fetched by ``fetch`` from its Telegram file id.

    A photo that cannot be fetched or written keeps no copy, is reported as failed and is
    found again by the next round. Nothing is copied in a process without a media folder.
    """
    folder = _media_folder()
    if folder is None:
        return CopyReport()
    missing = await _stored(Attachment.filter(local_path="").exclude(id__in=skip).limit(limit))
    outcomes = await asyncio.gather(*(_copy(folder, fetch, a) for a in missing))
    done = list(zip((a.id for a in missing), outcomes, strict=True))
    return CopyReport(
        copied=tuple(i for i, why_not in done if why_not is None),
        failed=tuple((i, why_not) for i, why_not in done if why_not is not None),
    )


async def _copy(folder: PhotoFolder, fetch: Fetch, photo: StoredPhoto) -> str | None:
    """Copy one photo; None when done, else why not."""
    data = await fetch(photo.telegram_file_id)
    if data is None:
        return NOT_DOWNLOADED
    name = photo.copy_name(extension_of(data))
    try:
        await asyncio.to_thread(folder.write, name, data)
    except OSError as error:
        return f"cannot write {name}: {error.strerror or error}"
    if not await Attachment.filter(id=photo.id).update(local_path=name):
        # the attachment went meanwhile (its customer was anonymized): so does its copy
        await asyncio.to_thread(folder.remove, [photo])
    return None


async def remove_unfinished_copies(before: datetime) -> int:
    """Delete what copies interrupted before ``before`` left behind; return how many."""
    folder = _media_folder()
    return await asyncio.to_thread(folder.remove_unfinished, before) if folder else 0


async def remove_local_copies(photos: Collection[StoredPhoto]) -> None:
    """Delete the local copies of photos whose attachments are gone (after the commit)."""
    folder = _media_folder()
    if folder is not None:
        await asyncio.to_thread(folder.remove, photos)

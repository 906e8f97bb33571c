"""Stored files: uploads from the bot and media sent by emulated users."""

import hashlib
import itertools
import secrets
from dataclasses import dataclass
from typing import Any

PHOTO_SIZES = (("s", 90, 90), ("x", 800, 800))


@dataclass
class StoredFile:
    """One downloadable file."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes

    def api(self) -> dict[str, Any]:
        """The Bot API ``File`` object."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }


class FileStore:
    """Files indexed by file_id and by file_path."""

    def __init__(self) -> None:
        self.by_id: dict[str, StoredFile] = {}
        self.by_path: dict[str, StoredFile] = {}
        self._numbers = itertools.count(1)

    def add(
        self, data: bytes, folder: str, extension: str, label: str = "", file_id: str = ""
    ) -> StoredFile:
        """Store a file under a new file_id (or the one given: data made before the emulator
        started, such as the demo's photos)."""
        digest = hashlib.sha256(data + label.encode()).hexdigest()[:16]
        path = f"{folder}/file_{next(self._numbers)}.{extension}"
        stored = StoredFile(file_id or secrets.token_urlsafe(32), digest, path, data)
        self.by_id[stored.file_id] = stored
        self.by_path[path] = stored
        return stored

    def photo(self, data: bytes) -> list[dict[str, Any]]:
        """Store a photo and describe it as a list of ``PhotoSize``."""
        sizes = []
        for label, width, height in PHOTO_SIZES:
            stored = self.add(data, "photos", "jpg", label)
            size = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
            sizes.append(size | {"file_size": len(data), "width": width, "height": height})
        return sizes

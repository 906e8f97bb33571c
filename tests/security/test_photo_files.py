"""Photos on the back-office: the local copy when there is one, else through the bot; a
stored ``local_path`` reaches no file but the attachment's own copy, to show or to delete."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from models import Attachment
from services.attachments import PhotoFolder, copy_missing_photos, keeping_photos_in
from services.customers import anonymize_customer
from services.review import cancel_return
from tests.factories import ADMIN, REVIEWER
from tests.security.conftest import PHOTO_BYTES, Office, new_request

JPEG = b"\xff\xd8\xff\xe0" + b"the copy kept on the server" * 20
SECRET = b"not a photo: a file outside the media folder"
BOTH_DATABASES = pytest.mark.parametrize(
    "db_kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)


@pytest.fixture
def media(tmp_path: Path) -> Iterator[PhotoFolder]:
    with keeping_photos_in(tmp_path / "media") as folder:
        yield folder


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_bytes(SECRET)
    return path


async def fetch_jpeg(file_id: str) -> bytes | None:
    return JPEG


async def photo_of_new_request(office: Office) -> Attachment:
    request = await new_request(office.shop)
    return await Attachment.get(request_id=request.id)


async def served(office: Office, attachment: Attachment) -> tuple[int, str, bytes]:
    admin = await office.staff("admin")
    async with admin.client.get(f"/attachments/{attachment.id}") as response:
        return response.status, response.content_type, await response.read()


@BOTH_DATABASES
async def test_the_local_copy_is_served_with_its_content_type(office: Office, media) -> None:
    photo = await photo_of_new_request(office)
    await copy_missing_photos(fetch_jpeg, skip=(), limit=10)

    assert await served(office, photo) == (200, "image/jpeg", JPEG)


@BOTH_DATABASES
async def test_without_a_local_copy_the_photo_comes_through_the_bot(office: Office, media) -> None:
    photo = await photo_of_new_request(office)
    assert await served(office, photo) == (200, "application/octet-stream", PHOTO_BYTES)

    # a copy this instance's disk does not have (another instance made it) is no copy
    await Attachment.filter(id=photo.id).update(local_path=f"{photo.request_id}/{photo.id}.jpg")
    assert (await served(office, photo))[2] == PHOTO_BYTES


async def test_a_local_copy_is_shown_to_staff_only(office: Office, media) -> None:
    photo = await photo_of_new_request(office)
    await copy_missing_photos(fetch_jpeg, skip=(), limit=10)
    visitor = await office.browser()

    async with visitor.client.get(f"/attachments/{photo.id}", allow_redirects=False) as response:
        assert response.status == 303
        assert response.headers["Location"].startswith("/login?next=")
        assert JPEG not in await response.read()


def crafted_paths(photo: Attachment, other: Attachment, secret: Path) -> list[str]:
    own = f"{photo.request_id}/{photo.id}"
    return [
        str(secret),
        "../secret.txt",
        "./../secret.txt",
        f"{photo.request_id}/../../secret.txt",
        f"{own}.jpg/../../../secret.txt",
        f"{other.request_id}/{other.id}.jpg",  # another photo's copy is not this one's
        f"{photo.request_id}/{photo.id}.txt",
        f"{photo.request_id}//{photo.id}.jpg",
    ]


@BOTH_DATABASES
async def test_a_crafted_local_path_shows_no_file_but_the_photos_own(
    office: Office, media, secret
) -> None:
    photo, other = await photo_of_new_request(office), await photo_of_new_request(office)
    await copy_missing_photos(fetch_jpeg, skip=(), limit=10)
    for crafted in crafted_paths(photo, other, secret):
        await Attachment.filter(id=photo.id).update(local_path=crafted)
        assert (await served(office, photo))[2] == PHOTO_BYTES, crafted  # through the bot


async def test_a_symlink_out_of_the_media_folder_is_not_followed(
    office: Office, media, secret
) -> None:
    photo = await photo_of_new_request(office)
    await copy_missing_photos(fetch_jpeg, skip=(), limit=10)
    own = media.root / (await Attachment.get(id=photo.id)).local_path
    own.unlink()
    own.symlink_to(secret)

    assert (await served(office, photo))[2] == PHOTO_BYTES


@BOTH_DATABASES
async def test_anonymizing_with_a_crafted_local_path_deletes_nothing_outside(
    office: Office, media, secret
) -> None:
    photo = await photo_of_new_request(office)
    await cancel_return(photo.request_id, actor=REVIEWER, clock=office.shop.clock)
    await Attachment.filter(id=photo.id).update(local_path=str(secret))
    office.shop.clock.advance(timedelta(days=366))

    await anonymize_customer(office.shop.customer.id, actor=ADMIN, clock=office.shop.clock)

    assert not await Attachment.exists(id=photo.id)
    assert secret.read_bytes() == SECRET

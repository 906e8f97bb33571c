"""Local copies of customer photos: the job fetches each photo once through the bot (the
emulator) and keeps it in the media folder; failures wait and are tried again."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

import pytest

from bot.app import download_file
from jobs.photos import PhotoCopier
from jobs.scheduler import photo_copies, run_cluster_job
from models import Attachment
from services.attachments import PhotoFolder, keeping_photos_in
from tests.e2e.conftest import TOKEN
from tests.factories import open_return
from tests.jobs.conftest import Outbox

JPEG = b"\xff\xd8\xff\xe0" + b"a customer's photo" * 50
PNG = b"\x89PNG\r\n\x1a\n" + b"a screenshot" * 50


@pytest.fixture
def media(tmp_path: Path) -> Iterator[PhotoFolder]:
    with keeping_photos_in(tmp_path / "media") as folder:
        yield folder


async def photographed(outbox: Outbox, *photos: bytes) -> list[Attachment]:
    """A request with these photos, sent by the customer to the bot (the emulator has them)."""
    file_ids = []
    for data in photos:
        update = await outbox.emu.send_photo(outbox.chat_id, data)
        file_ids.append(update["message"]["photo"][-1]["file_id"])
    request = await open_return(outbox.shop, photos=tuple(file_ids))
    return await Attachment.filter(request_id=request.id).order_by("id")


async def run(copier: PhotoCopier, outbox: Outbox, turn: asyncio.Lock | None = None) -> int | None:
    """One run of the job as the scheduler runs it (under its lease)."""
    job = replace(photo_copies(outbox.app.bot), service=copier)
    return await run_cluster_job(job, outbox.shop.clock, turn or asyncio.Lock())


def copier_of(outbox: Outbox, *, batch: int = 20) -> PhotoCopier:
    return PhotoCopier(partial(download_file, outbox.app.bot), batch=batch)


def files_in(folder: PhotoFolder) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder.root)): p.read_bytes()
        for p in folder.root.rglob("*")
        if p.is_file()
    }


async def test_each_photo_is_copied_under_its_request_and_id(outbox, media):
    jpeg, png = await photographed(outbox, JPEG, PNG)

    assert await run(copier_of(outbox), outbox) == 2

    expected = {f"{jpeg.request_id}/{jpeg.id}.jpg": JPEG, f"{png.request_id}/{png.id}.png": PNG}
    assert files_in(media) == expected
    stored = await Attachment.filter(id__in=[jpeg.id, png.id]).order_by("id")
    assert [a.local_path for a in stored] == list(expected)


async def test_a_copied_photo_is_not_fetched_again(outbox, media):
    await photographed(outbox, JPEG, JPEG)
    copier = copier_of(outbox)

    assert await run(copier, outbox) == 2
    assert await run(copier, outbox) == 0
    assert outbox.emu.calls["getFile"] == 2


async def test_a_run_copies_one_batch_and_the_next_run_the_rest(outbox, media):
    await photographed(outbox, JPEG, JPEG, JPEG)
    copier = copier_of(outbox, batch=2)

    assert await run(copier, outbox) == 2
    assert await run(copier, outbox) == 1
    assert not await Attachment.filter(local_path="").exists()


def leftover(media: PhotoFolder, name: str, written_at: datetime) -> Path:
    """A temporary file a copy left when its writing stopped at ``written_at``."""
    path = media.root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(JPEG[:10])
    os.utime(path, (written_at.timestamp(), written_at.timestamp()))
    return path


async def test_the_first_run_deletes_what_interrupted_copies_left_and_nothing_else(
    outbox, media, caplog
):
    [photo] = await photographed(outbox, JPEG)
    now = outbox.shop.clock.now()
    stale = leftover(media, "7/.abc123.part", now - timedelta(hours=2))
    in_progress = leftover(media, "7/.def456.part", now - timedelta(minutes=1))
    copier = copier_of(outbox)

    with caplog.at_level(logging.INFO, logger="jobs.photos"):
        assert await run(copier, outbox) == 1

    assert not stale.exists()
    assert in_progress.exists()
    assert (media.root / f"{photo.request_id}/{photo.id}.jpg").read_bytes() == JPEG
    assert "removed 1 unfinished photo copies" in caplog.text
    stale = leftover(media, "8/.ghi789.part", now - timedelta(hours=2))
    assert await run(copier, outbox) == 0
    assert stale.exists()  # once per start: a later run does not walk the folder again


async def test_a_failed_download_waits_then_is_tried_again(outbox, media, caplog):
    [photo] = await photographed(outbox, JPEG)
    outbox.emu.inject("server_error", method="getFile")
    copier, clock = copier_of(outbox), outbox.shop.clock

    with caplog.at_level(logging.WARNING, logger="jobs.photos"):
        assert await run(copier, outbox) == 0
    assert (await Attachment.get(id=photo.id)).local_path == ""
    assert files_in(media) == {}
    assert f"photos {photo.id} not copied, tried again later" in caplog.text
    assert TOKEN not in caplog.text

    clock.advance(timedelta(seconds=30))
    assert await run(copier, outbox) == 0  # still waiting: not fetched again yet
    assert outbox.emu.calls["getFile"] == 1
    clock.advance(timedelta(seconds=31))
    assert await run(copier, outbox) == 1
    assert files_in(media) == {f"{photo.request_id}/{photo.id}.jpg": JPEG}


async def test_a_photo_telegram_no_longer_has_waits_longer_each_time_and_holds_up_no_other(
    outbox, media
):
    await open_return(outbox.shop, photos=("gone-from-telegram",))
    copier, clock = copier_of(outbox, batch=1), outbox.shop.clock

    assert await run(copier, outbox) == 0
    [fresh] = await photographed(outbox, JPEG)
    assert await run(copier, outbox) == 1  # the gone one waits; the batch takes the next
    assert (await Attachment.get(id=fresh.id)).local_path

    calls = outbox.emu.calls
    for wait_minutes in (1, 2, 4):
        clock.advance(timedelta(minutes=wait_minutes) - timedelta(seconds=1))
        before = calls["getFile"]
        await run(copier, outbox)
        assert calls["getFile"] == before  # not yet
        clock.advance(timedelta(seconds=1))
        await run(copier, outbox)
        assert calls["getFile"] == before + 1  # tried again, failed again


async def test_a_photo_that_cannot_be_written_is_tried_again(outbox, media, caplog):
    [photo] = await photographed(outbox, JPEG)
    blocker = media.root / str(photo.request_id)
    media.root.mkdir(parents=True)
    blocker.write_bytes(b"a file where the request's folder should be")
    copier, clock = copier_of(outbox), outbox.shop.clock

    with caplog.at_level(logging.WARNING, logger="jobs.photos"):
        assert await run(copier, outbox) == 0
    assert f"cannot write {photo.request_id}/{photo.id}.jpg" in caplog.text
    assert (await Attachment.get(id=photo.id)).local_path == ""

    blocker.unlink()
    clock.advance(timedelta(minutes=1))
    assert await run(copier, outbox) == 1
    assert list(media.root.rglob("*.part")) == []


async def test_two_runs_at_once_on_one_instance_fetch_each_photo_once(outbox, media):
    await photographed(outbox, JPEG, JPEG, JPEG)
    copier, turn = copier_of(outbox), asyncio.Lock()

    done = await asyncio.gather(run(copier, outbox, turn), run(copier, outbox, turn))

    assert sorted(done) == [0, 3]
    assert outbox.emu.calls["getFile"] == 3


@pytest.mark.postgres
@pytest.mark.parametrize("db_kind", ["postgres"])
async def test_two_instances_at_once_fetch_each_photo_once(outbox, media):
    await photographed(outbox, JPEG, JPEG, JPEG)

    done = await asyncio.gather(run(copier_of(outbox), outbox), run(copier_of(outbox), outbox))

    assert sum(n or 0 for n in done) == 3
    assert outbox.emu.calls["getFile"] == 3
    assert len(files_in(media)) == 3


async def test_a_photo_removed_while_it_was_fetched_leaves_no_copy(outbox, media):
    [photo] = await photographed(outbox, JPEG)

    async def fetch_while_the_customer_is_anonymized(file_id: str) -> bytes | None:
        data = await download_file(outbox.app.bot, file_id)
        await Attachment.filter(id=photo.id).delete()
        return data

    await run(PhotoCopier(fetch_while_the_customer_is_anonymized), outbox)
    assert files_in(media) == {}


async def test_without_a_media_folder_nothing_is_fetched(outbox):
    await photographed(outbox, JPEG)

    assert await run(copier_of(outbox), outbox) == 0
    assert outbox.emu.calls["getFile"] == 0

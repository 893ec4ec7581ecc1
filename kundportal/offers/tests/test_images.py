"""Offer pictures: recognised by their content, stored encrypted in the documents' storage (files and S3),
read back checked, replaced and removed without leaving objects behind, and covered by `kundportal keys
rotate` and `kundportal verify`."""

from __future__ import annotations

import io
import struct
import uuid
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import transaction

from kundportal.audit.models import Action, AuditEvent
from kundportal.core.crypto.blob import BlobIntegrityError
from kundportal.documents import blobstore
from kundportal.offers import images
from kundportal.offers.images import inspect_image, read_image, set_offer_image
from kundportal.offers.models import OfferImage

pytestmark = pytest.mark.django_db


def picture(kind: str = "PNG", size: tuple[int, int] = (40, 30), *, text: bytes = b"") -> bytes:
    """A real picture made by Pillow; `text` goes into a PNG text chunk (to look for it in storage)."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    out = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 60))
    if kind == "PNG" and text:
        info = PngInfo()
        info.add_text("Comment", text.decode())
        image.save(out, format="PNG", pnginfo=info)
    else:
        image.save(out, format=kind)
    return out.getvalue()


def claiming(data: bytes, width: int, height: int) -> bytes:
    """A PNG whose header claims other dimensions (with a valid checksum): a decompression bomb's shape."""
    header = data[8:33]  # length, "IHDR", 13 bytes of data, CRC
    body = b"IHDR" + struct.pack(">II", width, height) + header[16:21]
    return data[:8] + struct.pack(">I", 13) + body + struct.pack(">I", zlib.crc32(body)) + data[33:]


@pytest.fixture(params=["file", pytest.param("s3", marks=pytest.mark.s3)])
def storage(request):
    """The test runs twice: on files in the data directory, and on S3 (SeaweedFS, see core/testing)."""
    if request.param == "s3":
        request.getfixturevalue("s3_storage")
    return request.param


def stored_names() -> list[str]:
    return sorted(blobstore.iter_names())


def read_object(name: str) -> bytes:
    with default_storage.open(name) as handle:
        return handle.read()


def replace_object(name: str, data: bytes) -> None:
    default_storage.delete(name)
    assert default_storage.save(name, ContentFile(data)) == name


@pytest.fixture
def offer(provider_admin):
    from kundportal.offers.tests.test_staff_services import make_offer

    return make_offer(provider_admin, title="Sommarkampanj Lindqvist")


# --- Recognising a picture --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "content_type"), [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")]
)
def test_it_recognises_png_jpeg_and_webp_by_their_content(kind, content_type):
    info = inspect_image(picture(kind, (64, 48)))
    assert (info.content_type, info.width, info.height) == (content_type, 64, 48)


@pytest.mark.parametrize(
    ("data", "code", "words"),
    [
        (b"Dear customer,\nthis is a text file called offer.png\n", "not_an_image", "not an image"),
        (b"GIF89a" + b"\x00" * 100, "not_an_image", "not an image"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "not_an_image", "not an image"),
        (b"%PDF-1.7\n" + b"x" * 100, "not_an_image", "not an image"),
        (b"", "empty", "empty"),
        (b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, "damaged", "damaged"),
        (b"\xff\xd8\xff" + b"\x00" * 50, "damaged", "damaged"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * (5 * 1024 * 1024), "too_large", "larger than 5 MB"),
    ],
)
def test_it_refuses_what_is_not_a_usable_picture_with_a_clear_message(data, code, words):
    with pytest.raises(ValidationError) as caught:
        inspect_image(data)
    assert caught.value.code == code
    assert words in caught.value.messages[0]


def test_it_refuses_a_picture_claiming_too_many_pixels_before_decoding_it():
    with pytest.raises(ValidationError) as caught:
        inspect_image(claiming(picture("PNG"), 30_000, 30_000))
    assert caught.value.code == "too_many_pixels"


def test_it_refuses_a_png_whose_data_was_cut_off():
    data = picture("PNG", (200, 200))
    with pytest.raises(ValidationError, match="damaged"):
        inspect_image(data[: len(data) // 2])


# --- Storing and reading ----------------------------------------------------------------------------------


def test_it_stores_the_picture_encrypted_and_reads_it_back(provider_admin, offer, storage):
    marker = b"KUNDPORTAL-OFFER-LEAK-" + uuid.uuid4().hex.encode()
    data = picture("PNG", (300, 200), text=marker * 50)
    image = set_offer_image(actor=provider_admin, offer=offer, data=data, alt_text="A red square")
    assert (image.content_type, image.width, image.height, image.plaintext_size) == (
        "image/png",
        300,
        200,
        len(data),
    )
    assert read_image(OfferImage.objects.get(pk=image.pk)) == data
    [name] = stored_names()
    assert name == image.blob_name
    stored = read_object(name)
    assert marker not in stored and data[:64] not in stored
    for telling in (str(offer.pk), offer.title, "png", "offer"):
        assert telling.lower() not in name.lower()
    if storage == "file":
        for path in Path(settings.DATA_DIR).rglob("*"):
            if path.is_file():
                assert marker not in path.read_bytes(), path
    event = AuditEvent.objects.get(action=Action.OFFER_CHANGED)
    assert event.data["image"] == "added"


def test_replacing_the_picture_deletes_the_old_object_after_the_commit(
    provider_admin, offer, storage, django_capture_on_commit_callbacks
):
    first = set_offer_image(actor=provider_admin, offer=offer, data=picture("PNG"))
    with django_capture_on_commit_callbacks(execute=True):
        second = set_offer_image(actor=provider_admin, offer=offer, data=picture("JPEG"))
        assert first.blob_name in stored_names()  # still there until the change is committed
    assert stored_names() == [second.blob_name]
    assert read_image(OfferImage.objects.get(offer=offer)) == picture("JPEG")
    with django_capture_on_commit_callbacks(execute=True):
        images.remove_offer_image(actor=provider_admin, offer=offer)
    assert stored_names() == []
    assert not OfferImage.objects.exists()


def test_a_change_that_is_rolled_back_keeps_the_old_picture(provider_admin, offer, storage):
    first = set_offer_image(actor=provider_admin, offer=offer, data=picture("PNG"))
    with pytest.raises(RuntimeError), transaction.atomic():
        set_offer_image(actor=provider_admin, offer=offer, data=picture("WEBP"))
        raise RuntimeError("something after it failed")
    assert OfferImage.objects.get(offer=offer).pk == first.pk
    assert read_image(OfferImage.objects.get(offer=offer)) == picture("PNG")
    assert first.blob_name in stored_names()  # the new object is an orphan now, for the sweep


def test_a_refused_picture_stores_nothing(provider_admin, offer, storage):
    with pytest.raises(ValidationError):
        set_offer_image(actor=provider_admin, offer=offer, data=b"just text, named photo.jpg")
    assert stored_names() == [] and not OfferImage.objects.exists()


def test_it_detects_an_altered_truncated_or_swapped_object(provider_admin, offer, storage):
    from kundportal.offers.tests.test_staff_services import make_offer

    image = set_offer_image(actor=provider_admin, offer=offer, data=picture("PNG", (120, 90)))
    other = make_offer(provider_admin, title="Another")
    other_image = set_offer_image(actor=provider_admin, offer=other, data=picture("PNG", (120, 90)))
    blob = bytearray(read_object(image.blob_name))
    blob[200] ^= 0x01
    replace_object(image.blob_name, bytes(blob))
    with pytest.raises(BlobIntegrityError):
        read_image(image)
    replace_object(image.blob_name, read_object(other_image.blob_name))  # another offer's picture
    with pytest.raises(BlobIntegrityError):
        read_image(image)
    replace_object(image.blob_name, read_object(other_image.blob_name)[:-10])
    with pytest.raises(BlobIntegrityError):
        read_image(image)


def test_a_wrapped_key_copied_to_another_offers_picture_does_not_unwrap(provider_admin, offer):
    from kundportal.core.crypto.keys import KeyringError
    from kundportal.offers.tests.test_staff_services import make_offer

    image = set_offer_image(actor=provider_admin, offer=offer, data=picture())
    other = set_offer_image(actor=provider_admin, offer=make_offer(provider_admin), data=picture())
    OfferImage.objects.filter(pk=other.pk).update(
        wrapped_key=image.wrapped_key, kek_id=image.kek_id, blob_name=f"{image.blob_name}-x"
    )
    with pytest.raises(KeyringError):
        read_image(OfferImage.objects.get(pk=other.pk))


# --- keys rotate, verify, the orphan sweep ----------------------------------------------------------------


def test_keys_rotate_rewraps_picture_keys_and_verify_checks_them(provider_admin, offer, storage):
    data = picture("WEBP", (80, 80))
    image = set_offer_image(actor=provider_admin, offer=offer, data=data)
    out = io.StringIO()
    call_command("keys", "rotate", stdout=out)
    assert "1 data keys re-wrapped" in out.getvalue()
    image.refresh_from_db()
    assert image.kek_id in out.getvalue()
    assert read_image(image) == data
    out = io.StringIO()
    call_command("verify", stdout=out)
    assert "1 offer pictures checked, 0 with problems" in out.getvalue()


def test_verify_reports_altered_and_missing_pictures(provider_admin, offer, storage):
    from kundportal.offers.tests.test_staff_services import make_offer

    image = set_offer_image(actor=provider_admin, offer=offer, data=picture("PNG"))
    missing = set_offer_image(actor=provider_admin, offer=make_offer(provider_admin), data=picture("JPEG"))
    blob = bytearray(read_object(image.blob_name))
    blob[-5] ^= 0x80
    replace_object(image.blob_name, bytes(blob))
    default_storage.delete(missing.blob_name)
    problems = {item.pk: problem for item, problem in images.verify_images()}
    assert problems[missing.pk] == "object missing"
    assert "does not decrypt" in problems[image.pk]
    stderr = io.StringIO()
    with pytest.raises(CommandError, match="2 of 2 offer pictures"):
        call_command("verify", stdout=io.StringIO(), stderr=stderr)
    assert str(offer.pk) in stderr.getvalue()


def test_the_orphan_sweep_keeps_offer_pictures(provider_admin, offer):
    from datetime import timedelta

    from django.utils import timezone

    from kundportal.documents import maintenance

    image = set_offer_image(actor=provider_admin, offer=offer, data=picture())
    maintenance.sweep_orphans(now=timezone.now() + timedelta(days=2))
    assert read_image(image) == picture()

"""An offer's picture: PNG, JPEG or WebP up to 5 MiB, recognised by its content (never by its name or the type
the browser claims), stored encrypted like every file.

The object is format v1 (core.crypto.blob) with its own random data key, wrapped by the keyring. Its context
binds it to the offer and the image row: organisation = IMAGE_SCOPE (a fixed name-based UUID that no
organisation has, so an image and a document version can never share a context), document = the offer,
version = the image. It lives in the documents' storage under a random blob name, so it works wherever
documents do (files or S3), and `kundportal keys rotate` and `kundportal verify` cover it.

Order of a change: the new object is written and made durable first, then the row is committed; the object
it replaces is deleted only after that commit. A failure in between leaves an orphan, never a row without
its object.
"""

from __future__ import annotations

import hashlib
import io
import logging
import struct
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import InMemoryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.db import transaction
from django.http import HttpRequest, QueryDict
from django.utils.datastructures import MultiValueDict
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from kundportal.audit.models import Action
from kundportal.audit.services import record_event
from kundportal.core.crypto.blob import (
    BlobContext,
    BlobIntegrityError,
    ciphertext_size,
    decrypt_range,
    encrypt_bytes,
    new_data_key,
)
from kundportal.core.crypto.keys import KeyringError, get_keyring
from kundportal.documents import blobstore
from kundportal.offers.models import Offer, OfferImage, OfferStatus

if TYPE_CHECKING:
    from kundportal.accounts.models import User

log = logging.getLogger("kundportal.offers")

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_SIDE = 10_000  # pixels, either way
MAX_PIXELS = 40_000_000  # a 5 MiB file can claim far more; nobody needs more than this for an offer
ALT_TEXT_MAX = 200
# Multipart framing and the form's other fields on top of the picture itself.
MULTIPART_ALLOWANCE = 64 * 1024
IMAGE_SCOPE = uuid.UUID("6d1d3c55-52c6-5d0b-8d43-5a3c1b3f0e61")  # uuid5-shaped: never an organisation's uuid4

CONTENT_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
READ_ALL = 1024  # chunks per read: one read for the whole object (5 MiB is 80 chunks)


@dataclass(frozen=True)
class ImageInfo:
    content_type: str
    width: int
    height: int
    size: int


def too_large_error() -> ValidationError:
    return ValidationError(
        _("The picture is larger than 5 MB. Save it smaller (e.g. 1600 pixels wide) and upload it again."),
        code="too_large",
    )


def _sniff(data: bytes) -> str | None:
    """The format from the file's first bytes."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def inspect_image(data: bytes) -> ImageInfo:
    """The picture's type and size, or a ValidationError saying what is wrong with it.

    Recognised by its signature, then read by Pillow (restricted to that one format) for its dimensions and
    checked for structural damage; dimensions are bounded before anything is decoded (decompression bombs).
    """
    if not data:
        raise ValidationError(_("The file is empty."), code="empty")
    if len(data) > MAX_IMAGE_BYTES:
        raise too_large_error()
    kind = _sniff(data)
    if kind is None:
        raise ValidationError(
            _("This file is not an image. Upload a picture in PNG, JPEG or WebP format."), code="not_an_image"
        )
    from PIL import Image, UnidentifiedImageError

    damaged = ValidationError(
        _("This picture is damaged or incomplete. Save it again from your image program and upload it."),
        code="damaged",
    )
    too_many_pixels = ValidationError(
        _(
            "The picture has too many pixels: at most %(side)s pixels either way and %(megapixels)s megapixels "
            "in all. Save it smaller and upload it again."
        )
        % {"side": number_format(MAX_SIDE, force_grouping=True), "megapixels": MAX_PIXELS // 1_000_000},
        code="too_many_pixels",
    )
    try:
        with warnings.catch_warnings():
            # Pillow warns (and from twice its limit refuses) on pictures big enough to exhaust memory.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[kind]) as picture:
                width, height = picture.size
                if width < 1 or height < 1:
                    raise damaged
                if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
                    raise too_many_pixels
                picture.verify()
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many_pixels from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, struct.error):
        raise damaged from None
    return ImageInfo(content_type=CONTENT_TYPES[kind], width=width, height=height, size=len(data))


def clean_alt_text(value: Any) -> str:
    from kundportal.offers.services import clean_offer_text

    text = "" if value is None else str(value).strip()
    return clean_offer_text(text, max_length=ALT_TEXT_MAX) if text else ""


def _context(offer_id: uuid.UUID, image_id: uuid.UUID) -> BlobContext:
    return BlobContext(organisation_id=IMAGE_SCOPE, document_id=offer_id, version_id=image_id)


def _key_context(context: BlobContext) -> bytes:
    return b"offer-image|" + context.info()


def _delete_quietly(name: str) -> None:
    try:
        blobstore.delete(name)
    except Exception:  # an orphan is harmless and the sweep would remove it; a failed request is not
        log.exception("could not delete the replaced offer image object %s", name)


def _require_changeable(actor: User, offer: Offer) -> None:
    from kundportal.offers.services import _require_change

    _require_change(actor, offer)
    if offer.status == OfferStatus.ENDED:
        raise ValidationError(
            _("An ended offer cannot be changed. Duplicate it to offer it again."), code="ended"
        )


def set_offer_image(
    *,
    actor: User,
    offer: Offer,
    data: bytes,
    alt_text: str = "",
    request: HttpRequest | None = None,
) -> OfferImage:
    """The offer's picture becomes `data` (replacing any earlier one, which is deleted after the commit)."""
    _require_changeable(actor, offer)
    errors: dict[str, list[str]] = {}
    try:
        info = inspect_image(data)
    except ValidationError as error:
        errors["image"] = error.messages
    try:
        alt_text = clean_alt_text(alt_text)
    except ValidationError as error:
        errors["alt_text"] = error.messages
    if errors:
        raise ValidationError(errors)
    image_id = uuid.uuid4()
    context = _context(offer.pk, image_id)
    data_key = new_data_key()
    blob_name = blobstore.new_blob_name()
    ciphertext = encrypt_bytes(data, data_key=data_key, context=context)
    sink = blobstore.open_sink(blob_name)
    try:
        sink.write(ciphertext)
        sink.commit()
    except BaseException:
        sink.abort()
        raise
    try:
        kek_id, wrapped = get_keyring().wrap(data_key, context=_key_context(context))
        with transaction.atomic():
            locked = Offer.objects.select_for_update().get(pk=offer.pk)
            old = OfferImage.objects.filter(offer=locked).first()
            if old is not None:
                old_name = old.blob_name
                old.delete()
                transaction.on_commit(lambda: _delete_quietly(old_name))
            image = OfferImage.objects.create(
                id=image_id,
                offer=locked,
                blob_name=blob_name,
                kek_id=kek_id,
                wrapped_key=wrapped,
                content_type=info.content_type,
                plaintext_size=info.size,
                ciphertext_size=len(ciphertext),
                sha256=hashlib.sha256(data).hexdigest(),
                width=info.width,
                height=info.height,
                alt_text=alt_text,
            )
            record_event(
                Action.OFFER_CHANGED,
                actor=actor,
                target=locked,
                request=request,
                image="replaced" if old is not None else "added",
                size=info.size,
                content_type=info.content_type,
            )
    except BaseException:
        _delete_quietly(blob_name)
        raise
    return image


@transaction.atomic
def describe_offer_image(
    *, actor: User, offer: Offer, alt_text: str, request: HttpRequest | None = None
) -> OfferImage | None:
    """Change the picture's description (what screen readers say); None if the offer has no picture."""
    _require_changeable(actor, offer)
    try:
        alt_text = clean_alt_text(alt_text)
    except ValidationError as error:
        raise ValidationError({"alt_text": error.messages}) from None
    image = OfferImage.objects.select_for_update().filter(offer=offer).first()
    if image is not None and image.alt_text != alt_text:
        image.alt_text = alt_text
        image.save(update_fields=["alt_text"])
        record_event(Action.OFFER_CHANGED, actor=actor, target=offer, request=request, fields=["alt_text"])
    return image


@transaction.atomic
def remove_offer_image(*, actor: User, offer: Offer, request: HttpRequest | None = None) -> bool:
    """The offer goes on without a picture; its object is deleted after the commit. False if it had none."""
    _require_changeable(actor, offer)
    image = OfferImage.objects.select_for_update().filter(offer=offer).first()
    if image is None:
        return False
    name = image.blob_name
    image.delete()
    transaction.on_commit(lambda: _delete_quietly(name))
    record_event(Action.OFFER_CHANGED, actor=actor, target=offer, request=request, image="removed")
    return True


def _data_key(image: OfferImage) -> tuple[bytes, BlobContext]:
    context = _context(image.offer_id, image.pk)
    data_key = get_keyring().unwrap(image.kek_id, bytes(image.wrapped_key), context=_key_context(context))
    return data_key, context


def read_image(image: OfferImage) -> bytes:
    """The picture's bytes, decrypted and checked against the SHA-256 recorded when it was stored.

    BlobIntegrityError if the object was altered, truncated, extended or swapped; FileNotFoundError if it is
    missing; KeyringError if its key cannot be unwrapped."""
    data_key, context = _data_key(image)
    try:
        data = b"".join(
            decrypt_range(
                lambda offset, length: blobstore.read_range(image.blob_name, offset, length),
                data_key=data_key,
                context=context,
                plaintext_size=image.plaintext_size,
                read_chunks=READ_ALL,
            )
        )
        if hashlib.sha256(data).hexdigest() != image.sha256:
            raise BlobIntegrityError("content does not match its SHA-256")
    except (BlobIntegrityError, FileNotFoundError):
        log.error("offer image %s (object %s) failed its integrity check", image.pk, image.blob_name)
        raise
    return data


# ---------------------------------------------------------------------------------------------------------
# Keys and verification (kundportal keys rotate / kundportal verify)


def rewrap_image_keys() -> int:
    """Re-wrap every image's data key under the keyring's current KEK (after `keys rotate` added one)."""
    keyring = get_keyring()
    current = keyring.current_id
    count = 0
    for image in OfferImage.objects.exclude(kek_id=current).iterator(chunk_size=500):
        data_key, context = _data_key(image)
        kek_id, wrapped = keyring.wrap(data_key, context=_key_context(context))
        OfferImage.objects.filter(pk=image.pk).update(kek_id=kek_id, wrapped_key=wrapped)
        count += 1
    return count


def verify_images() -> Iterator[tuple[OfferImage, str | None]]:
    """Each image with None if it decrypts and hashes to what the database says, else what is wrong."""
    for image in OfferImage.objects.order_by("created_at").iterator(chunk_size=500):
        yield image, _check(image)


def _check(image: OfferImage) -> str | None:
    if not blobstore.exists(image.blob_name):
        return "object missing"
    if blobstore.size(image.blob_name) != ciphertext_size(image.plaintext_size):
        return "object has the wrong size"
    try:
        read_image(image)
    except BlobIntegrityError as error:
        return f"does not decrypt or match its SHA-256 ({error})"
    except KeyringError as error:
        return f"key cannot be unwrapped ({error.__class__.__name__})"
    return None


def blob_names() -> set[str]:
    """Every object an offer image uses: the orphan sweep must keep these."""
    return set(OfferImage.objects.values_list("blob_name", flat=True))


# ---------------------------------------------------------------------------------------------------------
# Receiving an upload


class ImageUploadHandler(FileUploadHandler):
    """Keeps the `image` field of a multipart upload in memory, up to MAX_IMAGE_BYTES, and drops any other file.

    Django's default handlers would write a file over 2.5 MB to a temporary file: the picture in plaintext on
    disk. Views that take a picture install this handler before the body is parsed (see `use_image_upload`).
    A file over the limit is skipped (the rest of the form still arrives) and `request.offer_image_too_large`
    is set, so the view reports it next to the field."""

    FIELD = "image"

    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.buffer: io.BytesIO | None = None

    def handle_raw_input(
        self, input_data: Any, META: Any, content_length: int, boundary: Any, encoding: str | None = None
    ) -> tuple[QueryDict, MultiValueDict] | None:
        # Only a request whose CSRF token does not travel in the body (an API call) is refused from its declared
        # length, unread; a page's form must be parsed for its token, and the file is skipped below instead.
        if content_length > MAX_IMAGE_BYTES + MULTIPART_ALLOWANCE and "HTTP_AUTHORIZATION" in META:
            self.request.offer_image_too_large = True
            return QueryDict(encoding=encoding), MultiValueDict()
        return None

    def new_file(self, field_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, *args, **kwargs)
        if field_name != self.FIELD or getattr(self.request, "offer_image_too_large", False):
            self.buffer = None
            raise SkipFile
        self.buffer = io.BytesIO()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if self.buffer is None:
            return None
        if self.buffer.tell() + len(raw_data) > MAX_IMAGE_BYTES:
            self.buffer = None
            self.request.offer_image_too_large = True
            raise SkipFile
        self.buffer.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if self.buffer is None:
            return None
        self.buffer.seek(0)
        upload = InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
        self.buffer = None
        return upload


def use_image_upload(request: HttpRequest) -> None:
    """Parse this request's multipart body with ImageUploadHandler (before anything reads request.POST)."""
    if request.method == "POST" and not hasattr(request, "_files"):
        request.upload_handlers = [ImageUploadHandler(request)]


def uploaded_image(request: HttpRequest) -> bytes | None:
    """The picture in the request's `image` field; None if there is none; ValidationError if too large."""
    upload = request.FILES.get(ImageUploadHandler.FIELD)  # parses the body, which may set the flag
    too_large = ValidationError({"image": too_large_error().messages})
    if getattr(request, "offer_image_too_large", False):
        raise too_large
    if upload is None:
        return None
    if upload.size is not None and upload.size > MAX_IMAGE_BYTES:
        raise too_large
    data = upload.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise too_large
    return data

"""What the conversation pages need beyond access checks and services: the thread list with its filters,
what a new conversation is about (from the link that started it), the thread page with its forms (the reply
and note routes render it again with errors), and the files a message brought.

Views in views.py stay short by calling these; nothing here decides who may do what (access.py does).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from kundportal.commerce.access import get_order_for_user
from kundportal.commerce.models import Order
from kundportal.documents.access import get_document_for_user, get_version_for_user
from kundportal.documents.models import Document, DocumentVersion
from kundportal.documents.services import UploadTooLarge
from kundportal.documents.uploads import EncryptedUpload, refuse_oversized
from kundportal.messaging.access import ThreadAccess, visible_messages
from kundportal.messaging.attachments import default_organisation, discard
from kundportal.messaging.forms import NewThreadForm, NoteForm, ReplyForm, ThreadFilterForm, report
from kundportal.messaging.listing import thread_rows, unread_count
from kundportal.messaging.models import Message, MessageAttachment
from kundportal.messaging.threads import mark_read
from kundportal.offers.access import get_offer_for_user
from kundportal.offers.models import Offer
from kundportal.organisations.access import (
    OrganisationAccess,
    get_organisation_for_user,
    is_provider_staff,
    organisation_access,
    parse_uuid,
)
from kundportal.organisations.models import Organisation

THREADS_PER_PAGE = 25
MESSAGES_PER_PAGE = 50
CHOOSABLE_ORGANISATIONS = 500  # the staff's "which customer?" list; larger providers start from the customer

FILE_ERRORS = (UploadTooLarge,)


# ---------------------------------------------------------------------------------------------------------
# The list


def thread_list_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ThreadFilterForm(request.GET or None)
    filters = form.filters()
    organisation = None
    if filters["organisation"] is not None:
        organisation = get_organisation_for_user(user, filters["organisation"]).organisation
    page = Paginator(thread_rows(user, **filters), THREADS_PER_PAGE).get_page(request.GET.get("page"))
    query = {key: value for key, value in filters.items() if value and key != "unread"}
    if filters["unread"]:
        query["unread"] = "on"
    context = {
        "form": form,
        "filters": filters,
        "filtered": bool(filters["q"] or filters["unread"] or filters["status"] != "open"),
        "organisation": organisation,
        "page": page,
        "paging_query": urlencode(query),
        "unread_total": unread_count(user),
        "staff": is_provider_staff(user),
        "new_thread_query": urlencode({"organisation": organisation.pk}) if organisation else "",
    }
    return render(request, "messaging/thread_list.html", context)


# ---------------------------------------------------------------------------------------------------------
# A new conversation


@dataclass(frozen=True)
class NewThread:
    """Who starts a conversation in which organisation, about what (found through the access functions)."""

    access: OrganisationAccess
    document: Document | None = None
    version: DocumentVersion | None = None
    order: Order | None = None
    offer: Offer | None = None

    def objects(self) -> dict[str, Any]:
        return {"document": self.document, "version": self.version, "order": self.order, "offer": self.offer}

    def query(self) -> str:
        """The form's own address: the upload handler reads the organisation from it while files arrive."""
        params: dict[str, Any] = {"organisation": self.access.organisation.pk}
        if self.document:
            params["document"] = self.document.pk
        if self.version:
            params["version"] = self.version.number
        if self.order:
            params["order"] = self.order.pk
        if self.offer:
            params["offer"] = self.offer.pk
        return urlencode(params)


def _version_number(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise Http404 from None


def new_thread_subject(request: HttpRequest) -> NewThread | None:
    """What `?organisation=&document=&version=&order=&offer=` names; None while the organisation is still
    to be chosen (by staff, or a customer in several). Anything the user may not see is not found (404)."""
    user, params = request.user, request.GET
    organisation_id = params.get("organisation") or None
    staff = is_provider_staff(user)
    found: dict[str, Any] = {}
    access: OrganisationAccess | None = None
    if document_id := params.get("document"):
        document, folder = get_document_for_user(user, document_id)
        access, found["document"] = folder.organisation, document
        if number := params.get("version"):
            found["version"], _document = get_version_for_user(user, document_id, _version_number(number))
    elif order_id := params.get("order"):
        order = get_order_for_user(user, order_id)
        access, found["order"] = organisation_access(user, order.organisation), order
    elif offer_id := params.get("offer"):
        offer = get_offer_for_user(user, offer_id, organisation_id=None if staff else organisation_id)
        found["offer"] = offer.offer
        access = offer.access if not staff else None
    if access is None:
        several = staff or Organisation.objects.visible_to(user)[:2].count() > 1
        if several and not organisation_id:
            return None  # the person chooses the organisation first
        access = default_organisation(user, organisation_id)
    if organisation_id and access.organisation.pk != parse_uuid(organisation_id):
        raise Http404
    return NewThread(access=access, **found)


def choose_organisation_page(request: HttpRequest) -> HttpResponse:
    organisations = Organisation.objects.visible_to(request.user).order_by("name")[:CHOOSABLE_ORGANISATIONS]
    context = {"organisations": organisations, "offer_id": request.GET.get("offer", "")}
    return render(request, "messaging/thread_new.html", context)


def new_thread_page(
    request: HttpRequest, about: NewThread, form: NewThreadForm, *, error: Exception | None = None
) -> HttpResponse:
    status = 200
    if error is not None:
        status = error_status(error)
        if isinstance(error, ValidationError):
            report(form, error)
        else:
            form.add_error(None, file_error_message(error))
    elif form.is_bound:
        status = 400
    context = {
        "about": about,
        "organisation": about.access.organisation,
        "form": form,
        "max_upload_mb": settings.MAX_UPLOAD_BYTES // (1024 * 1024),
    }
    return render(request, "messaging/thread_new.html", context, status=status)


# ---------------------------------------------------------------------------------------------------------
# The thread


def thread_page(
    request: HttpRequest,
    found: ThreadAccess,
    *,
    reply_form: ReplyForm | None = None,
    note_form: NoteForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """Messages 50 to a page, the last (newest) page first; opening it marks the thread read."""
    user, thread = request.user, found.thread
    shown = (
        visible_messages(user, thread)
        .select_related("author")
        .prefetch_related(
            Prefetch("attachments", MessageAttachment.objects.select_related("document", "version"))
        )
    )
    paginator = Paginator(shown, MESSAGES_PER_PAGE)
    page = paginator.get_page(request.GET.get("page") or paginator.num_pages)
    if status == 200:
        mark_read(user=user, thread=thread)
    context = {
        "found": found,
        "thread": thread,
        "organisation": thread.organisation,
        "page": page,
        "paging_query": "",
        "reply_form": (reply_form or ReplyForm()) if found.can_write else None,
        "note_form": (note_form or NoteForm()) if found.staff else None,
        "max_upload_mb": settings.MAX_UPLOAD_BYTES // (1024 * 1024),
    }
    return render(request, "messaging/thread_detail.html", context, status=status)


def posted(request: HttpRequest, found: ThreadAccess, message: Message) -> None:
    if message.internal:
        messages.success(request, _("Your internal note was added. Customers cannot see it."))
    elif found.thread.is_closed:
        messages.success(request, _("Your message was sent, and the conversation is open again."))
    else:
        messages.success(request, _("Your message was sent."))


def closed(request: HttpRequest) -> None:
    messages.success(request, _("The conversation is closed. A new reply opens it again."))


def reopened(request: HttpRequest) -> None:
    messages.success(request, _("The conversation is open again."))


# ---------------------------------------------------------------------------------------------------------
# Files sent with a message


def received_files(request: HttpRequest) -> list[EncryptedUpload]:
    """The files the upload handler encrypted while the body arrived, or what went wrong with them."""
    refuse_oversized(request, multipart=True)
    files = request.FILES.getlist("file")
    uploads = [upload for upload in files if isinstance(upload, EncryptedUpload)]
    error = getattr(request, "kundportal_upload_error", None)
    if error is None and len(uploads) != len(files):
        error = ValidationError({"files": [_("The file could not be attached. Send it again.")]})
    if error is not None:
        discard(uploads)
        raise error
    return uploads


def discard_received(request: HttpRequest) -> None:
    """A form that is refused before the service ran: its encrypted files are removed now."""
    discard(request.FILES.getlist("file"))


def error_status(error: Exception) -> int:
    return 413 if isinstance(error, UploadTooLarge) else 400


def file_error_message(error: Exception) -> str:
    if isinstance(error, UploadTooLarge):
        limit = settings.MAX_UPLOAD_BYTES // (1024 * 1024)
        return _("The file is larger than the limit of %(limit)d MB.") % {"limit": limit}
    return str(error)

"""The documents pages: parse, check access (access.py), call the service (services.py), render (pages.py)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kundportal.documents import pages, services
from kundportal.documents.access import get_document_for_user, get_folder_for_user, get_version_for_user
from kundportal.documents.downloads import version_response
from kundportal.documents.zips import folder_zip_response
from kundportal.messaging.listing import object_threads
from kundportal.organisations.access import get_organisation_for_user
from kundportal.organisations.models import Organisation


def _report(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
def documents_home(request: HttpRequest) -> HttpResponse:
    """The "Documents" navigation item: a customer's organisation's folders (or the list, for several)."""
    only = list(Organisation.objects.visible_to(request.user).values_list("pk", flat=True)[:2])
    if len(only) == 1:
        return redirect("organisation_documents", organisation_id=only[0])
    return redirect("organisation_list")


@login_required
def organisation_documents(request: HttpRequest, organisation_id: str) -> HttpResponse:
    access = get_organisation_for_user(request.user, organisation_id)
    context = {
        "access": access,
        "organisation": access.organisation,
        "folders": pages.folder_summaries(request.user, access),
    }
    return render(request, "documents/organisation.html", context)


@login_required
def folder_detail(request: HttpRequest, folder_id: str) -> HttpResponse:
    return pages.folder_page(request, get_folder_for_user(request.user, folder_id))


@login_required
def folder_zip(request: HttpRequest, folder_id: str) -> HttpResponse:
    return folder_zip_response(request, get_folder_for_user(request.user, folder_id))


@login_required
@require_POST
def folder_upload(request: HttpRequest, folder_id: str) -> HttpResponse:
    try:
        folder, versions = pages.receive_uploads(request, folder_id)
    except pages.UPLOAD_ERRORS as error:
        return pages.upload_failed(request, folder_id, error)
    if pages.wants_json(request):
        answer = pages.uploaded_json(versions[0])
        if len(versions) > 1:
            answer["files"] = [pages.uploaded_json(version) for version in versions]
        return JsonResponse(answer, status=201)
    for version in versions:
        messages.success(request, pages.upload_message(version))
    return redirect(pages.after_upload(request, folder))


@login_required
def document_detail(request: HttpRequest, document_id: str) -> HttpResponse:
    document, folder = get_document_for_user(request.user, document_id)
    context = pages.document_context(document, folder, request.GET.get("version"))
    context.update(
        object_threads(
            request.user,
            document=document,
            can_start=folder.organisation.can_write,
            start={"document": document.pk},
        )
    )
    return render(request, "documents/document.html", context)


@login_required
def document_download(request: HttpRequest, document_id: str) -> HttpResponse:
    document, _folder = get_document_for_user(request.user, document_id)
    version = document.latest
    assert version is not None  # visible documents always have a latest version
    version.document = document
    return version_response(request, version)


@login_required
def version_download(request: HttpRequest, document_id: str, number: int) -> HttpResponse:
    version, _document = get_version_for_user(request.user, document_id, number)
    return version_response(request, version)


@login_required
@require_POST
def version_restore(request: HttpRequest, document_id: str, number: int) -> HttpResponse:
    version, document = get_version_for_user(request.user, document_id, number)
    folder = get_folder_for_user(request.user, document.folder_id, write=True)
    try:
        restored = services.restore_version(
            actor=request.user, folder=folder, version=version, request=request
        )
    except ValidationError as error:
        _report(request, error)
    else:
        messages.success(
            request,
            _("Version %(old)d is the latest again, as version %(new)d. The history is kept.")
            % {"old": version.number, "new": restored.number},
        )
    return redirect("document_detail", document_id=document.pk)


@login_required
@require_POST
def version_label(request: HttpRequest, document_id: str, number: int) -> HttpResponse:
    version, document = get_version_for_user(request.user, document_id, number)
    folder = get_folder_for_user(request.user, document.folder_id, write=True)
    label = request.POST.get("label", "")
    try:
        services.label_version(
            actor=request.user, folder=folder, version=version, label=label, request=request
        )
    except ValidationError as error:
        _report(request, error)
    else:
        messages.success(
            request, _("The label of version %(number)d was saved.") % {"number": version.number}
        )
    return redirect("document_detail", document_id=document.pk)


@login_required
@require_POST
def document_trash(request: HttpRequest, document_id: str) -> HttpResponse:
    document, folder = get_document_for_user(request.user, document_id, write=True)
    services.trash_document(actor=request.user, folder=folder, document=document, request=request)
    messages.success(
        request,
        _("“%(name)s” is in the trash. You can restore it from there for %(days)d days.")
        % {"name": document.name, "days": settings.TRASH_RETENTION_DAYS},
    )
    return redirect("folder_detail", folder_id=document.folder_id)


@login_required
@require_POST
def document_restore(request: HttpRequest, document_id: str) -> HttpResponse:
    document, folder = get_document_for_user(request.user, document_id, write=True, include_trash=True)
    try:
        services.restore_document(actor=request.user, folder=folder, document=document, request=request)
    except ValidationError as error:
        _report(request, error)
        return redirect("organisation_trash", organisation_id=document.organisation_id)
    messages.success(request, _("“%(name)s” is back in its folder.") % {"name": document.name})
    return redirect("document_detail", document_id=document.pk)


@login_required
def organisation_trash(request: HttpRequest, organisation_id: str) -> HttpResponse:
    return pages.trash_page(request, get_organisation_for_user(request.user, organisation_id))

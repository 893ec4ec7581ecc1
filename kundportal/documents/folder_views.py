"""One customer's folder settings (provider admins): rename a folder, change its access, add one.

What the access means for each role is decided by organisations.access.folder_permission, wherever a folder is
used; these pages only change the setting, through documents.folders.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kundportal.documents import folders
from kundportal.documents.access import get_folder_for_user
from kundportal.documents.forms import FolderForm, report
from kundportal.documents.models import Folder
from kundportal.organisations.access import (
    OrganisationAccess,
    get_organisation_for_user,
    require_provider_admin,
)


def _settings_page(
    request: HttpRequest,
    access: OrganisationAccess,
    *,
    bound: FolderForm | None = None,
    bound_folder: Folder | None = None,
) -> HttpResponse:
    """The folders with a form each, and a form to add one; `bound` is the one just sent, with its errors."""
    rows = []
    live = Q(documents__deleted_at__isnull=True, documents__latest__isnull=False)
    # order_by spelled out: Django drops Meta.ordering from aggregating queries (PostgreSQL then returns any order).
    counted = Folder.objects.filter(organisation=access.organisation).annotate(
        document_count=Count("documents", filter=live)
    )
    for folder in counted.order_by("position", "name"):
        form = FolderForm(initial={"name": folder.name, "access": folder.access}, prefix=str(folder.pk))
        if bound_folder is not None and folder.pk == bound_folder.pk:
            form = bound  # type: ignore[assignment]
        rows.append((folder, form))
    new_form = bound if bound is not None and bound_folder is None else FolderForm(prefix="new")
    context = {
        "access": access,
        "organisation": access.organisation,
        "rows": rows,
        "new_form": new_form,
    }
    status = 400 if bound is not None else 200
    return render(request, "documents/folder_settings.html", context, status=status)


@login_required
def organisation_folders(request: HttpRequest, organisation_id: str) -> HttpResponse:
    require_provider_admin(request.user)
    return _settings_page(request, get_organisation_for_user(request.user, organisation_id))


@login_required
@require_POST
def folder_create(request: HttpRequest, organisation_id: str) -> HttpResponse:
    require_provider_admin(request.user)
    access = get_organisation_for_user(request.user, organisation_id)
    form = FolderForm(request.POST, prefix="new")
    if form.is_valid():
        try:
            folder = folders.create_folder(
                actor=request.user, organisation=access.organisation, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            report(form, error)
        else:
            messages.success(request, _("The folder “%(name)s” was added.") % {"name": folder.name})
            return redirect("organisation_folders", organisation_id=access.organisation.pk)
    return _settings_page(request, access, bound=form)


@login_required
@require_POST
def folder_update(request: HttpRequest, folder_id: str) -> HttpResponse:
    require_provider_admin(request.user)
    target = get_folder_for_user(request.user, folder_id)
    form = FolderForm(request.POST, prefix=str(target.folder.pk))
    if form.is_valid():
        try:
            folder = folders.update_folder(
                actor=request.user, folder=target.folder, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            report(form, error)
        else:
            messages.success(request, _("The folder “%(name)s” was saved.") % {"name": folder.name})
            return redirect("organisation_folders", organisation_id=folder.organisation_id)
    return _settings_page(request, target.organisation, bound=form, bound_folder=target.folder)

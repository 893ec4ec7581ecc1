"""Folder template pages (provider admins; everyone else is not told they exist): list, create, edit, delete,
and apply to customers. Rules and checks are in documents.folders; these parse, call and render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kundportal.documents import folders
from kundportal.documents.access import get_folder_template_for_user, visible_folder_templates
from kundportal.documents.forms import (
    ApplyTemplateForm,
    BaseTemplateEntryFormSet,
    FolderTemplateForm,
    entry_formset,
    report,
)
from kundportal.documents.models import FolderAccess, FolderTemplate
from kundportal.organisations.access import require_provider_admin


@login_required
def template_list(request: HttpRequest) -> HttpResponse:
    require_provider_admin(request.user)
    folders.default_template()  # a fresh installation shows the starter template it will use
    templates = (
        visible_folder_templates(request.user)
        .annotate(customer_count=Count("organisations", distinct=True))
        .prefetch_related("entries")
        .order_by("-is_default", "name")
    )
    context = {"templates": templates, "internal": FolderAccess.INTERNAL}
    return render(request, "documents/folder_templates/list.html", context)


def _edit_page(
    request: HttpRequest,
    form: FolderTemplateForm,
    entries: BaseTemplateEntryFormSet,
    template: FolderTemplate | None = None,
) -> HttpResponse:
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "entries": entries, "template": template}
    return render(request, "documents/folder_templates/edit.html", context, status=status)


@login_required
def template_create(request: HttpRequest) -> HttpResponse:
    require_provider_admin(request.user)
    form = FolderTemplateForm(request.POST or None)
    entries = entry_formset(request.POST or None)
    if request.method == "POST" and form.is_valid() and entries.is_valid():
        try:
            template = folders.create_folder_template(
                actor=request.user,
                entries=entries.entries(),
                attachments_folder=entries.attachments_folder(),
                request=request,
                **form.cleaned_data,
            )
        except ValidationError as error:
            report(form, error)
        else:
            messages.success(request, _("The template “%(name)s” was created.") % {"name": template.name})
            return redirect("folder_template_list")
    return _edit_page(request, form, entries)


@login_required
def template_edit(request: HttpRequest, template_id: str) -> HttpResponse:
    require_provider_admin(request.user)
    template = get_folder_template_for_user(request.user, template_id, manage=True)
    initial = {"name": template.name, "is_default": template.is_default}
    form = FolderTemplateForm(request.POST or None, initial=initial)
    entries = entry_formset(request.POST or None, template)
    if request.method == "POST" and form.is_valid() and entries.is_valid():
        try:
            folders.update_folder_template(
                actor=request.user,
                template=template,
                entries=entries.entries(),
                attachments_folder=entries.attachments_folder(),
                request=request,
                **form.cleaned_data,
            )
        except ValidationError as error:
            report(form, error)
        else:
            messages.success(
                request,
                _("The template “%(name)s” was saved. Customers' folders change only when you apply it.")
                % {"name": form.cleaned_data["name"]},
            )
            return redirect("folder_template_list")
    return _edit_page(request, form, entries, template)


@login_required
@require_POST
def template_delete(request: HttpRequest, template_id: str) -> HttpResponse:
    require_provider_admin(request.user)
    template = get_folder_template_for_user(request.user, template_id, manage=True)
    try:
        folders.delete_folder_template(actor=request.user, template=template, request=request)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("folder_template_edit", template_id=template.pk)
    messages.success(
        request,
        _("The template “%(name)s” was deleted. The folders it gave customers stay.")
        % {"name": template.name},
    )
    return redirect("folder_template_list")


def applied_summary(result: folders.AppliedTemplate) -> list[str]:
    """What applying did, in whole sentences (each translated with its own plural)."""
    if not result.changed_organisations:
        return [_("Every chosen customer had all of the template's folders already. Nothing was changed.")]
    lines = []
    if result.created_count:
        customers = ngettext("%(count)d customer", "%(count)d customers", len(result.created)) % {
            "count": len(result.created)
        }
        lines.append(
            ngettext(
                "Created %(count)d folder for %(customers)s.",
                "Created %(count)d folders for %(customers)s.",
                result.created_count,
            )
            % {"count": result.created_count, "customers": customers}
        )
    if result.access_changed_count:
        lines.append(
            ngettext(
                "Changed the access of %(count)d existing folder.",
                "Changed the access of %(count)d existing folders.",
                result.access_changed_count,
            )
            % {"count": result.access_changed_count}
        )
    if unchanged := len(result.organisations) - result.changed_organisations:
        lines.append(
            ngettext(
                "%(count)d customer had every folder already.",
                "%(count)d customers had every folder already.",
                unchanged,
            )
            % {"count": unchanged}
        )
    return lines


@login_required
def template_apply(request: HttpRequest) -> HttpResponse:
    require_provider_admin(request.user)
    initial = {
        "template": request.GET.get("template") or folders.default_template().pk,
        "organisations": request.GET.getlist("organisation"),
    }
    form = ApplyTemplateForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            result = folders.apply_folder_template(
                actor=request.user,
                template=form.cleaned_data["template"],
                organisation_ids=form.organisation_ids(),
                update_access=form.cleaned_data["update_access"],
                request=request,
            )
        except ValidationError as error:
            report(form, error)
        else:
            messages.success(request, " ".join(applied_summary(result)))
            chosen = form.organisation_ids()
            if chosen is not None and len(chosen) == 1:
                return redirect("organisation_folders", organisation_id=chosen[0])
            return redirect("folder_template_list")
    status = 400 if request.method == "POST" else 200
    return render(request, "documents/folder_templates/apply.html", {"form": form}, status=status)

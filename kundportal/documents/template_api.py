"""Folder templates API: provider staff read them (account managers choose one for a new customer), provider
admins change and apply them. Customers are not told they exist (404)."""

# No `from __future__ import annotations`: ninja reads the parameter annotations at import time.

from typing import Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field, model_validator

from kundportal.core.schemas import InputSchema
from kundportal.documents import folders
from kundportal.documents.access import get_folder_template_for_user, visible_folder_templates
from kundportal.documents.models import FolderTemplate
from kundportal.organisations.access import require_provider_staff

router = Router(tags=["folder templates"])

Access = Literal["read_write", "read_only", "upload_only", "internal"]


class TemplateEntryIn(InputSchema):
    name: str = Field(max_length=folders.MAX_NAME_LENGTH)
    access: Access = "read_write"
    message_attachments: bool = Field(
        default=False,
        description="Files sent with messages go here (at most one folder, one customers can read); "
        'without one, a "Message attachments" folder is made.',
    )


class TemplateIn(InputSchema):
    name: str = Field(max_length=folders.MAX_NAME_LENGTH)
    is_default: bool = Field(
        default=False,
        description="Use for new customers; exactly one template is (setting it moves the role).",
    )
    entries: list[TemplateEntryIn] = Field(
        max_length=folders.MAX_TEMPLATE_FOLDERS, description="The folders, in order."
    )


class TemplateEntryOut(Schema):
    name: str
    access: str
    position: int
    message_attachments: bool


class TemplateOut(Schema):
    id: UUID
    name: str
    is_default: bool
    entries: list[TemplateEntryOut]
    customer_count: int = Field(description="Customers it was applied to (on creation or later).")


class ApplyIn(InputSchema):
    organisation_ids: list[UUID] = Field(default_factory=list, max_length=10_000)
    all_organisations: bool = Field(default=False, description="Every customer, instead of organisation_ids.")
    update_access: bool = Field(
        default=False,
        description="Also give folders that exist already under an entry's name (capitals aside) the entry's "
        "access. Off: existing folders are left exactly as they are.",
    )

    @model_validator(mode="after")
    def _one_scope(self) -> "ApplyIn":
        if self.all_organisations == bool(self.organisation_ids):
            raise ValueError("Send either organisation_ids or all_organisations: true.")
        return self


class AppliedOrganisation(Schema):
    organisation_id: UUID
    created: list[str]
    access_changed: list[str]


class ApplyOut(Schema):
    template_id: UUID
    organisations: int
    changed_organisations: int
    created_folders: int
    access_changed_folders: int
    changes: list[AppliedOrganisation]


def _template(template: FolderTemplate) -> TemplateOut:
    count = getattr(template, "customer_count", None)
    return TemplateOut(
        id=template.pk,
        name=template.name,
        is_default=template.is_default,
        entries=[
            TemplateEntryOut(
                name=e.name, access=e.access, position=e.position, message_attachments=e.message_attachments
            )
            for e in template.entries.all()
        ],
        customer_count=template.organisations.count() if count is None else count,
    )


def _entries(payload: TemplateIn) -> list[tuple[str, str]]:
    return [(entry.name, entry.access) for entry in payload.entries]


def _attachments_folder(payload: TemplateIn) -> str:
    ticked = [entry.name for entry in payload.entries if entry.message_attachments]
    if len(ticked) > 1:
        raise ValidationError({"attachments_folder": ["Choose at most one folder for message attachments."]})
    return ticked[0] if ticked else ""


@router.get("/folder-templates", response=list[TemplateOut], summary="Folder templates (provider staff)")
def list_templates(request: HttpRequest) -> list[TemplateOut]:
    require_provider_staff(request.user)
    templates = (
        visible_folder_templates(request.user)
        .annotate(customer_count=Count("organisations", distinct=True))
        .prefetch_related("entries")
        .order_by("-is_default", "name")
    )
    return [_template(template) for template in templates]


@router.post(
    "/folder-templates", response={201: TemplateOut}, summary="Create a folder template (provider admins)"
)
def create_template(request: HttpRequest, payload: TemplateIn) -> Status:
    require_provider_staff(request.user)
    template = folders.create_folder_template(
        actor=request.user,
        name=payload.name,
        entries=_entries(payload),
        attachments_folder=_attachments_folder(payload),
        is_default=payload.is_default,
        request=request,
    )
    return Status(201, _template(template))


@router.get("/folder-templates/{template_id}", response=TemplateOut)
def get_template(request: HttpRequest, template_id: UUID) -> TemplateOut:
    return _template(get_folder_template_for_user(request.user, template_id))


@router.put(
    "/folder-templates/{template_id}",
    response=TemplateOut,
    summary="Replace a template's name, default flag and folders (provider admins); customers' folders stay",
)
def update_template(request: HttpRequest, template_id: UUID, payload: TemplateIn) -> TemplateOut:
    template = get_folder_template_for_user(request.user, template_id, manage=True)
    template = folders.update_folder_template(
        actor=request.user,
        template=template,
        name=payload.name,
        entries=_entries(payload),
        attachments_folder=_attachments_folder(payload),
        is_default=payload.is_default,
        request=request,
    )
    return _template(template)


@router.delete(
    "/folder-templates/{template_id}",
    response={204: None},
    summary="Delete a template that is not the default (provider admins); customers' folders stay",
)
def delete_template(request: HttpRequest, template_id: UUID) -> Status:
    template = get_folder_template_for_user(request.user, template_id, manage=True)
    folders.delete_folder_template(actor=request.user, template=template, request=request)
    return Status(204, None)


@router.post(
    "/folder-templates/{template_id}/apply",
    response=ApplyOut,
    summary="Create the template's missing folders in the chosen customers (provider admins); "
    "never renames, moves or deletes folders or touches documents",
)
def apply_template(request: HttpRequest, template_id: UUID, payload: ApplyIn) -> ApplyOut:
    template = get_folder_template_for_user(request.user, template_id, manage=True)
    result = folders.apply_folder_template(
        actor=request.user,
        template=template,
        organisation_ids=None if payload.all_organisations else payload.organisation_ids,
        update_access=payload.update_access,
        request=request,
    )
    changed = result.created.keys() | result.access_changed.keys()
    return ApplyOut(
        template_id=template.pk,
        organisations=len(result.organisations),
        changed_organisations=result.changed_organisations,
        created_folders=result.created_count,
        access_changed_folders=result.access_changed_count,
        changes=[
            AppliedOrganisation(
                organisation_id=organisation.pk,
                created=[f.name for f in result.created.get(organisation.pk, [])],
                access_changed=[f.name for f, _old in result.access_changed.get(organisation.pk, [])],
            )
            for organisation in result.organisations
            if organisation.pk in changed
        ],
    )

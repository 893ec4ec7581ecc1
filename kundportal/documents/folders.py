"""Agreed folder structures: templates, and applying them to customers without touching their files."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from kundportal.accounts.models import User
from kundportal.audit.models import Action
from kundportal.audit.services import record_event
from kundportal.documents.models import Folder, FolderAccess, FolderTemplate, FolderTemplateEntry
from kundportal.organisations.access import is_provider_admin
from kundportal.organisations.models import Organisation

# The structure a fresh installation starts with; provider admins change it in the back office or the API.
STARTER_TEMPLATE = [
    ("Offers", FolderAccess.READ_ONLY),
    ("Contracts", FolderAccess.READ_ONLY),
    ("Drawings", FolderAccess.READ_WRITE),
    ("Invoices", FolderAccess.READ_ONLY),
    ("Customer uploads", FolderAccess.READ_WRITE),
    ("Internal", FolderAccess.INTERNAL),
]


def default_template() -> FolderTemplate:
    template = FolderTemplate.objects.filter(is_default=True).first()
    if template is None:
        with transaction.atomic():
            template, created = FolderTemplate.objects.get_or_create(
                name="Standard", defaults={"is_default": True}
            )
            if created:
                FolderTemplateEntry.objects.bulk_create(
                    FolderTemplateEntry(template=template, name=name, access=access, position=position)
                    for position, (name, access) in enumerate(STARTER_TEMPLATE)
                )
    return template


def apply_template(
    *,
    organisation: Organisation,
    template: FolderTemplate,
    actor: User | None = None,
    request: HttpRequest | None = None,
) -> list[Folder]:
    """Create the template's folders the organisation lacks; existing folders and their files stay as they are."""
    existing = set(organisation.folders.values_list("name", flat=True))
    created = [
        Folder(organisation=organisation, name=entry.name, access=entry.access, position=entry.position)
        for entry in template.entries.all()
        if entry.name not in existing
    ]
    Folder.objects.bulk_create(created)
    if created:
        record_event(
            Action.FOLDERS_APPLIED,
            actor=actor,
            organisation=organisation,
            request=request,
            template=template.name,
            folders=[folder.name for folder in created],
        )
    return created


@transaction.atomic
def create_folder_template(
    *, actor: User, name: str, entries: list[tuple[str, str]], is_default: bool = False
) -> FolderTemplate:
    if not is_provider_admin(actor):
        raise PermissionDenied
    names = [entry_name.strip() for entry_name, _access in entries]
    if not name.strip() or not all(names) or len(set(names)) != len(names):
        raise ValidationError(_("A template needs a name and folders with distinct, non-empty names."))
    if any(access not in FolderAccess.values for _name, access in entries):
        raise ValidationError(_("Unknown folder access."))
    if is_default:
        FolderTemplate.objects.filter(is_default=True).update(is_default=False)
    template = FolderTemplate.objects.create(name=name.strip(), is_default=is_default)
    FolderTemplateEntry.objects.bulk_create(
        FolderTemplateEntry(template=template, name=entry_name.strip(), access=access, position=position)
        for position, (entry_name, access) in enumerate(entries)
    )
    return template

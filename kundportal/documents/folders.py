"""Agreed folder structures: templates, applying them to customers without touching their files, and the
folders of one customer (add, rename, change who may do what). Pages, API and CLI call these.

What a folder's access means for each role is decided in one place, organisations.access.folder_permission;
these functions only change the setting. Who may change structures: provider admins.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from kundportal.accounts.models import User
from kundportal.audit.models import Action, AuditEvent
from kundportal.audit.services import new_event, record_event, record_events
from kundportal.core.bulk import insert_rows
from kundportal.documents.models import Folder, FolderAccess, FolderTemplate, FolderTemplateEntry, name_key
from kundportal.organisations.access import is_provider_admin
from kundportal.organisations.models import Organisation

MAX_NAME_LENGTH = 100  # Folder.name, FolderTemplate.name, FolderTemplateEntry.name
MAX_TEMPLATE_FOLDERS = 100

# The structure a fresh installation starts with; provider admins change it on the settings pages or the API.
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
            elif not template.is_default:
                # Someone deleted every default: the "Standard" template takes the role again.
                template.is_default = True
                template.save(update_fields=["is_default"])
    return template


def _require_admin(actor: User) -> None:
    if not is_provider_admin(actor):
        raise PermissionDenied


# ---------------------------------------------------------------------------------------------------------
# Names and access


def clean_folder_name(raw: str) -> str:
    """The name as stored, or a ValidationError that says what is wrong with it (folder and template names).

    Refused like document names: path separators (folders become directories in ZIP downloads), control and
    format characters, NUL among them, names of only dots or spaces, names that are too long.
    """
    name = unicodedata.normalize("NFC", raw or "").strip()
    if not name or not name.strip("."):
        raise ValidationError(_("Enter a name, not only dots or spaces."), code="empty")
    if "/" in name or "\\" in name:
        raise ValidationError(_("Names of folders cannot contain / or \\."), code="separator")
    if any(unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp") for char in name):
        raise ValidationError(_("The name contains invisible or control characters."), code="control")
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError(
            _("Names can be at most %(limit)d characters long.") % {"limit": MAX_NAME_LENGTH}, code="long"
        )
    return name


def clean_folder_access(access: str) -> str:
    if access not in FolderAccess.values:
        raise ValidationError(_("Choose one of the access settings."), code="access")
    return access


def clean_template_entries(entries: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """A template's folders in order: at least one, each with a valid name and access, no name twice (two
    names that differ only in capitals are the same folder, as they are when a template is applied)."""
    if not entries:
        raise ValidationError(_("Add at least one folder."), code="empty")
    if len(entries) > MAX_TEMPLATE_FOLDERS:
        raise ValidationError(
            _("A template can have at most %(limit)d folders.") % {"limit": MAX_TEMPLATE_FOLDERS}, code="many"
        )
    cleaned: list[tuple[str, str]] = []
    seen: set[str] = set()
    for raw_name, access in entries:
        try:
            name = clean_folder_name(raw_name)
        except ValidationError as error:
            raise ValidationError(
                _("Folder “%(name)s”: %(error)s")
                % {"name": raw_name.strip()[:40], "error": error.messages[0]},
                code=error.code,
            ) from None
        if name_key(name) in seen:
            raise ValidationError(
                _("The folder “%(name)s” appears twice. Give every folder its own name.") % {"name": name},
                code="duplicate",
            )
        seen.add(name_key(name))
        cleaned.append((name, clean_folder_access(access)))
    return cleaned


T = TypeVar("T")


class FieldErrors:
    """Checks several fields and reports everything wrong at once, keyed by field, as a form does."""

    def __init__(self) -> None:
        self.messages: dict[str, list[str]] = {}

    def check(self, key: str, check: Callable[..., T], *args: Any) -> T:
        try:
            return check(*args)
        except ValidationError as error:
            self.messages[key] = error.messages
            return None  # type: ignore[return-value]  # never used: done() raises

    def done(self) -> None:
        if self.messages:
            raise ValidationError(self.messages)


# ---------------------------------------------------------------------------------------------------------
# Templates


def _clean_template_name(raw: str, template: FolderTemplate | None) -> str:
    name = clean_folder_name(raw)
    others = FolderTemplate.objects.exclude(pk=template.pk) if template else FolderTemplate.objects.all()
    if others.filter(name__iexact=name).exists():
        raise ValidationError(_("A template with this name exists already."), code="taken")
    return name


def _described(template: FolderTemplate) -> list[list[str]]:
    """The folders as the audit trail keeps them: [name, access] in order (the attachments folder marked)."""
    return [
        [entry.name, entry.access, *(["message_attachments"] if entry.message_attachments else [])]
        for entry in template.entries.all()
    ]


def clean_attachments_folder(name: str, entries: Sequence[tuple[str, str]]) -> str:
    """The template folder that receives files sent with messages ("" for none: a "Message attachments"
    folder is then made when the first file is sent). Customers must be able to read what is sent to them."""
    if not name:
        return ""
    access = {name_key(entry_name): (entry_name, entry_access) for entry_name, entry_access in entries}
    found = access.get(name_key(name))
    if found is None:
        raise ValidationError(
            _("Choose one of the template's folders for message attachments."), code="choice"
        )
    if found[1] not in (FolderAccess.READ_WRITE, FolderAccess.READ_ONLY):
        raise ValidationError(
            _("Customers must be able to read the files sent to them: choose a folder they can read."),
            code="access",
        )
    return found[0]


def _release_default_role() -> None:
    """Exactly one template is used for new customers: the one taking the role takes it from the current one
    (cleared first: the database allows at most one default row at any moment)."""
    FolderTemplate.objects.filter(is_default=True).update(is_default=False)


@transaction.atomic
def create_folder_template(
    *,
    actor: User,
    name: str,
    entries: Sequence[tuple[str, str]],
    is_default: bool = False,
    attachments_folder: str = "",
    request: HttpRequest | None = None,
) -> FolderTemplate:
    _require_admin(actor)
    errors = FieldErrors()
    name = errors.check("name", _clean_template_name, name, None)
    cleaned = errors.check("entries", clean_template_entries, entries)
    if cleaned is not None:
        attachments_folder = errors.check(
            "attachments_folder", clean_attachments_folder, attachments_folder, cleaned
        )
    errors.done()
    # The first template of an installation is the default, so new customers never go without folders.
    is_default = is_default or not FolderTemplate.objects.filter(is_default=True).exists()
    if is_default:
        _release_default_role()
    template = FolderTemplate.objects.create(name=name, is_default=is_default)
    _save_entries(template, cleaned, attachments_folder)
    record_event(
        Action.FOLDER_TEMPLATE_CREATED,
        actor=actor,
        target=template,
        request=request,
        folders=[list(entry) for entry in cleaned],
        is_default=is_default,
        **({"attachments_folder": attachments_folder} if attachments_folder else {}),
    )
    return template


def _save_entries(
    template: FolderTemplate, entries: list[tuple[str, str]], attachments_folder: str = ""
) -> None:
    FolderTemplateEntry.objects.bulk_create(
        FolderTemplateEntry(
            template=template,
            name=entry_name,
            access=access,
            position=position,
            message_attachments=bool(attachments_folder)
            and name_key(entry_name) == name_key(attachments_folder),
        )
        for position, (entry_name, access) in enumerate(entries)
    )


@transaction.atomic
def update_folder_template(
    *,
    actor: User,
    template: FolderTemplate,
    name: str,
    entries: Sequence[tuple[str, str]],
    is_default: bool,
    attachments_folder: str = "",
    request: HttpRequest | None = None,
) -> FolderTemplate:
    """Replace the template's name, folders, default flag and the folder for message attachments.
    Customers' folders stay as they are: a changed template reaches them only when it is applied again."""
    _require_admin(actor)
    template = FolderTemplate.objects.select_for_update().get(pk=template.pk)
    errors = FieldErrors()
    name = errors.check("name", _clean_template_name, name, template)
    cleaned = errors.check("entries", clean_template_entries, entries)
    if cleaned is not None:
        attachments_folder = errors.check(
            "attachments_folder", clean_attachments_folder, attachments_folder, cleaned
        )
    if template.is_default and not is_default:
        errors.messages["is_default"] = [
            _("New customers always get one template. Make another template the default instead.")
        ]
    errors.done()
    before = {"name": template.name, "is_default": template.is_default, "folders": _described(template)}
    if is_default and not template.is_default:
        _release_default_role()
    template.name, template.is_default = name, is_default
    template.save(update_fields=["name", "is_default"])
    template.entries.all().delete()
    _save_entries(template, cleaned, attachments_folder)
    after = {"name": template.name, "is_default": template.is_default, "folders": _described(template)}
    changes = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
    if changes:
        record_event(
            Action.FOLDER_TEMPLATE_CHANGED, actor=actor, target=template, request=request, changes=changes
        )
    return template


@transaction.atomic
def delete_folder_template(
    *, actor: User, template: FolderTemplate, request: HttpRequest | None = None
) -> None:
    """Delete a template; the folders it gave customers are theirs and stay."""
    _require_admin(actor)
    template = FolderTemplate.objects.select_for_update().get(pk=template.pk)
    if template.is_default or not FolderTemplate.objects.exclude(pk=template.pk).exists():
        raise ValidationError(
            _("New customers get their folders from this template. Make another template the default first.")
        )
    record_event(
        Action.FOLDER_TEMPLATE_DELETED,
        actor=actor,
        target=template,
        request=request,
        folders=_described(template),
    )
    template.delete()


# ---------------------------------------------------------------------------------------------------------
# Applying a template


@dataclass
class AppliedTemplate:
    """What applying a template did: per organisation, the folders created, and the existing folders whose
    access changed (with the access they had before)."""

    template: FolderTemplate
    organisations: list[Organisation]
    created: dict[UUID, list[Folder]] = field(default_factory=dict)
    access_changed: dict[UUID, list[tuple[Folder, str]]] = field(default_factory=dict)

    @property
    def created_count(self) -> int:
        return sum(len(folders) for folders in self.created.values())

    @property
    def access_changed_count(self) -> int:
        return sum(len(folders) for folders in self.access_changed.values())

    @property
    def changed_organisations(self) -> int:
        return len(self.created.keys() | self.access_changed.keys())


def _distinct_entries(template: FolderTemplate) -> dict[str, FolderTemplateEntry]:
    """The template's entries in order, by name_key. Templates saved through this module never hold two names
    that differ only in capitals; older data might, and the first such entry wins."""
    unique: dict[str, FolderTemplateEntry] = {}
    for entry in template.entries.all():
        unique.setdefault(name_key(entry.name), entry)
    return unique


def _apply(
    *,
    template: FolderTemplate,
    organisations: list[Organisation],
    scope: QuerySet[Organisation],
    update_access: bool,
    actor: User | None,
    request: HttpRequest | None,
) -> AppliedTemplate:
    """The same handful of queries for one organisation or thousands.

    A folder is there already when its name matches an entry's, capitals aside; such folders are never
    renamed, moved or deleted, and their documents are not touched. Only with `update_access` do they take
    the entry's access. `scope` is the query `organisations` came from: their folders are read through it,
    rather than through a list of thousands of ids.
    """
    result = AppliedTemplate(template=template, organisations=organisations)
    existing: dict[UUID, dict[str, Folder]] = {organisation.pk: {} for organisation in organisations}
    for folder in Folder.objects.filter(organisation__in=scope).only(
        "pk", "organisation_id", "name", "access", "message_attachments"
    ):
        existing[folder.organisation_id][name_key(folder.name)] = folder
    unique = _distinct_entries(template)
    flagged: list[Folder] = []
    for organisation in organisations:
        have = existing[organisation.pk]
        # The template's folder for message attachments becomes the customer's, unless they have one already.
        has_attachments_folder = any(f.message_attachments and not f.is_internal for f in have.values())
        for key, entry in unique.items():
            folder = have.get(key)
            if folder is not None and entry.message_attachments and not has_attachments_folder:
                folder.message_attachments = has_attachments_folder = True
                flagged.append(folder)
            if folder is None:
                folder = Folder(
                    organisation=organisation,
                    name=entry.name,
                    access=entry.access,
                    position=entry.position,
                    message_attachments=entry.message_attachments,
                )
                result.created.setdefault(organisation.pk, []).append(folder)
            elif update_access and folder.access != entry.access:
                result.access_changed.setdefault(organisation.pk, []).append((folder, folder.access))
                folder.access = entry.access
    Folder.objects.bulk_create([f for folders in result.created.values() for f in folders], batch_size=500)
    changed = [f for pairs in result.access_changed.values() for f, _old in pairs]
    Folder.objects.bulk_update(changed, ["access"], batch_size=500)
    Folder.objects.bulk_update(flagged, ["message_attachments"], batch_size=500)
    applied = FolderTemplate.organisations.through
    applied.objects.bulk_create(
        [applied(foldertemplate_id=template.pk, organisation_id=o.pk) for o in organisations],
        ignore_conflicts=True,
        batch_size=500,
    )
    record_events(
        new_event(
            Action.FOLDERS_APPLIED,
            actor=actor,
            organisation=organisation,
            target=template,
            request=request,
            template=template.name,
            folders=[f.name for f in result.created.get(organisation.pk, [])],
            access_changed=[
                [f.name, old, f.access] for f, old in result.access_changed.get(organisation.pk, [])
            ],
        )
        for organisation in organisations
        if organisation.pk in result.created or organisation.pk in result.access_changed
    )
    return result


def apply_template(
    *,
    organisation: Organisation,
    template: FolderTemplate,
    actor: User | None = None,
    request: HttpRequest | None = None,
) -> list[Folder]:
    """Create the template's folders the organisation lacks (a new customer's first folders)."""
    result = _apply(
        template=template,
        organisations=[organisation],
        scope=Organisation.objects.filter(pk=organisation.pk),
        update_access=False,
        actor=actor,
        request=request,
    )
    return result.created.get(organisation.pk, [])


@transaction.atomic
def apply_folder_template(
    *,
    actor: User,
    template: FolderTemplate,
    organisation_ids: Sequence[UUID] | None,
    update_access: bool = False,
    request: HttpRequest | None = None,
) -> AppliedTemplate:
    """Apply a template to the chosen customers (`organisation_ids`), or to every customer (None).

    The organisations are locked while their folders are compared and created, so a folder added at the same
    moment cannot end up twice under names that differ only in capitals.
    """
    _require_admin(actor)
    scope = Organisation.objects.visible_to(actor)
    if organisation_ids is not None:
        wanted = set(organisation_ids)
        if not wanted:
            raise ValidationError({"organisations": _("Choose at least one customer, or every customer.")})
        scope = scope.filter(pk__in=wanted)
    chosen = list(scope.select_for_update().order_by("pk"))
    if organisation_ids is not None and len(chosen) != len(wanted):
        raise ValidationError({"organisations": _("Some of the chosen customers do not exist.")})
    return _apply(
        template=template,
        organisations=chosen,
        scope=scope,
        update_access=update_access,
        actor=actor,
        request=request,
    )


def apply_template_to_new_organisations(
    *, actor: User, template: FolderTemplate, organisation_ids: Sequence[UUID]
) -> int:
    """What apply_template gives each customer (the template's folders, the link to the template, one
    FOLDERS_APPLIED event), for customers created in the caller's transaction: an import of thousands.

    They have no folders yet and nobody else sees them before the commit, so unlike apply_folder_template
    there is nothing to read, compare or lock, and the rows are written from plain values rather than model
    instances (bench/imports.py: the folders of 10,000 new customers took ~5 s of CPU through _apply, ~1.5 s
    here). Returns the number of folders created.
    """
    _require_admin(actor)
    entries = list(_distinct_entries(template).values())
    names = [entry.name for entry in entries]
    folders: list[tuple[Any, ...]] = []
    links: list[tuple[Any, ...]] = []
    events: list[AuditEvent] = []
    for organisation_id in organisation_ids:
        now = timezone.now()
        folders.extend(
            (
                uuid.uuid4(),
                now,
                organisation_id,
                entry.name,
                entry.access,
                entry.position,
                entry.message_attachments,
            )
            for entry in entries
        )
        links.append((template.pk, organisation_id))
        if entries:
            events.append(
                new_event(
                    Action.FOLDERS_APPLIED,
                    actor=actor,
                    organisation_id=organisation_id,
                    target=template,
                    template=template.name,
                    folders=list(names),
                    access_changed=[],
                )
            )
    insert_rows(
        Folder,
        ("id", "created_at", "organisation", "name", "access", "position", "message_attachments"),
        folders,
    )
    insert_rows(FolderTemplate.organisations.through, ("foldertemplate", "organisation"), links)
    record_events(events)
    return len(folders)


# ---------------------------------------------------------------------------------------------------------
# One customer's folders


def _lock_folder_names(organisation: Organisation, *, exclude: Folder | None = None) -> set[str]:
    """The organisation's folder names (compared capitals aside), with the organisation locked until commit."""
    list(Organisation.objects.select_for_update().filter(pk=organisation.pk).values_list("pk", flat=True))
    folders = Folder.objects.filter(organisation=organisation)
    if exclude is not None:
        folders = folders.exclude(pk=exclude.pk)
    return {name_key(name) for name in folders.values_list("name", flat=True)}


def _unique_folder_name(raw: str, taken: set[str]) -> str:
    name = clean_folder_name(raw)
    if name_key(name) in taken:
        raise ValidationError(_("This customer has a folder with this name already."), code="taken")
    return name


@transaction.atomic
def create_folder(
    *,
    actor: User,
    organisation: Organisation,
    name: str,
    access: str = FolderAccess.READ_WRITE,
    request: HttpRequest | None = None,
) -> Folder:
    _require_admin(actor)
    taken = _lock_folder_names(organisation)
    errors = FieldErrors()
    name = errors.check("name", _unique_folder_name, name, taken)
    access = errors.check("access", clean_folder_access, access)
    errors.done()
    last = Folder.objects.filter(organisation=organisation).aggregate(last=Max("position"))["last"]
    folder = Folder.objects.create(
        organisation=organisation, name=name, access=access, position=0 if last is None else last + 1
    )
    record_event(
        Action.FOLDER_CREATED,
        actor=actor,
        organisation=organisation,
        target=folder,
        request=request,
        access=folder.access,
    )
    return folder


@transaction.atomic
def update_folder(
    *,
    actor: User,
    folder: Folder,
    name: str | None = None,
    access: str | None = None,
    request: HttpRequest | None = None,
) -> Folder:
    """Rename a folder or change its access (None keeps what it is). Its documents stay in it."""
    _require_admin(actor)
    taken = _lock_folder_names(folder.organisation, exclude=folder)
    errors = FieldErrors()
    values = {}
    if name is not None:
        values["name"] = errors.check("name", _unique_folder_name, name, taken)
    if access is not None:
        values["access"] = errors.check("access", clean_folder_access, access)
    errors.done()
    folder = Folder.objects.select_related("organisation").get(pk=folder.pk)
    changes = {
        key: [getattr(folder, key), value] for key, value in values.items() if getattr(folder, key) != value
    }
    if changes:
        for key, (_old, new) in changes.items():
            setattr(folder, key, new)
        folder.save(update_fields=list(changes))
        record_event(
            Action.FOLDER_CHANGED,
            actor=actor,
            organisation=folder.organisation,
            target=folder,
            request=request,
            changes=changes,
        )
    return folder

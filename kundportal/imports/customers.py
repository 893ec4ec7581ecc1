"""Importing customers: organisation, profile and default billing address, matched by the profile's
external_id (the customer number in the ERP).

A column the file does not have leaves that field alone; an empty cell in a column it has clears the field
(ERP exports are full snapshots), except kind and language, which keep their value, and the address, which is
only replaced when the row has one. New customers get the default folder template, as on the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from kundportal.customers.models import Address, AddressPurpose, ChangeRecord, CustomerProfile
from kundportal.imports.base import BATCH, Change, Importer, Plan, Writer, chunked, reading
from kundportal.imports.progress import NO_PROGRESS, Progress
from kundportal.imports.values import ADDRESS_FIELDS, Cells, check_address
from kundportal.organisations.models import Organisation, OrganisationKind

if TYPE_CHECKING:
    from kundportal.accounts.models import User
    from kundportal.imports.parsers import Table

KINDS = {
    "company": OrganisationKind.COMPANY,
    "business": OrganisationKind.COMPANY,
    "b2b": OrganisationKind.COMPANY,
    "företag": OrganisationKind.COMPANY,
    "firma": OrganisationKind.COMPANY,
    "unternehmen": OrganisationKind.COMPANY,
    "geschäftskunde": OrganisationKind.COMPANY,
    "private": OrganisationKind.PRIVATE,
    "person": OrganisationKind.PRIVATE,
    "consumer": OrganisationKind.PRIVATE,
    "b2c": OrganisationKind.PRIVATE,
    "privat": OrganisationKind.PRIVATE,
    "privatperson": OrganisationKind.PRIVATE,
    "privatkund": OrganisationKind.PRIVATE,
    "privatkunde": OrganisationKind.PRIVATE,
}
PROFILE_FIELDS = ("vat_number", "email", "phone", "preferred_language")
ADDRESS_COLUMNS = (*ADDRESS_FIELDS, "country")


@dataclass
class CustomerRow:
    number: int
    external_id: str
    name: str
    kind: str  # "" keeps the current kind (company for a new customer)
    profile: dict[str, str]  # only the columns the file has
    address: dict[str, str] | None  # None: the row has no address


@dataclass
class CustomerPlan(Plan):
    new: list[CustomerRow] = field(default_factory=list)
    organisations: list[Organisation] = field(default_factory=list)  # changed name or kind
    profiles: list[CustomerProfile] = field(default_factory=list)  # changed profile fields
    new_addresses: list[Address] = field(default_factory=list)  # existing customers without one
    addresses: list[Address] = field(default_factory=list)  # changed addresses


class CustomerImporter(Importer):
    kind = "customers"

    def plan(self, table: Table, *, actor: User, progress: Progress = NO_PROGRESS) -> CustomerPlan:
        report = table.new_report()
        plan = CustomerPlan(report=report)
        rows = self._read(table, plan, progress)
        self._skip_do_not_contact(rows, report)
        existing = self._existing([row.external_id for row in rows])
        addresses = self._default_addresses([profile.organisation_id for profile in existing.values()])
        new_names: dict[str, int] = {}
        for row in rows:
            profile = existing.get(row.external_id)
            if profile is None:
                plan.new.append(row)
                new_names.setdefault(row.name, row.number)
            elif self._compare(row, profile, addresses.get(profile.organisation_id), plan):
                report.updated += 1
            else:
                report.unchanged += 1
        report.created = len(plan.new)
        self._warn_about_namesakes(new_names, report)
        return plan

    # --- reading ------------------------------------------------------------------------------------------

    def _read(self, table: Table, plan: CustomerPlan, progress: Progress) -> list[CustomerRow]:
        report = plan.report
        failed_rows = {error.row for error in report.errors}
        seen: dict[str, int] = {}
        rows: list[CustomerRow] = []
        for source in reading(progress, table.rows):
            cells = Cells(report, source)
            external_id = cells.identifier("external_id")
            if external_id and external_id in seen:
                cells.error("external_id", "duplicate_id", value=external_id, first=seen[external_id])
            elif external_id:
                seen[external_id] = source.number
            name = cells.text("name", max_length=200, required=True)
            kind = cells.choice("kind", KINDS, code="invalid_kind", choices="company, private")
            country = cells.country("country")
            profile: dict[str, Any] = {}
            if cells.has("vat_number"):
                profile["vat_number"] = cells.vat_number("vat_number")
            if cells.has("email"):
                profile["email"] = cells.email("email")
            if cells.has("phone"):
                profile["phone"] = cells.phone("phone", region=country or None)
            if cells.has("preferred_language"):
                profile["preferred_language"] = cells.language("preferred_language")
            address = None
            parts = {
                "street_address": cells.text("street_address", max_length=255),
                "postal_code": cells.text("postal_code", max_length=20),
                "city": cells.text("city", max_length=100),
                "country_area": cells.text("country_area", max_length=100),
            }
            if country or any(parts.values()) or any(value is None for value in parts.values()):
                address = check_address(cells, country=country, values=parts)
            if cells.failed or source.number in failed_rows:
                report.failed += 1
                continue
            assert external_id and name is not None
            rows.append(
                CustomerRow(
                    number=source.number,
                    external_id=external_id,
                    name=name,
                    kind=kind or "",
                    profile={k: v for k, v in profile.items() if k != "preferred_language" or v},
                    address=address,
                )
            )
        return rows

    # --- comparing ----------------------------------------------------------------------------------------

    @staticmethod
    def _existing(external_ids: list[str]) -> dict[str, CustomerProfile]:
        found: dict[str, CustomerProfile] = {}
        for chunk in chunked(external_ids):
            for profile in CustomerProfile.objects.filter(external_id__in=chunk).select_related(
                "organisation"
            ):
                found[profile.external_id or ""] = profile
        return found

    @staticmethod
    def _default_addresses(organisation_ids: list[Any]) -> dict[Any, Address]:
        found: dict[Any, Address] = {}
        for chunk in chunked(organisation_ids):
            for address in Address.objects.filter(
                organisation_id__in=chunk, purpose=AddressPurpose.BILLING, is_default=True
            ):
                found[address.organisation_id] = address
        return found

    @staticmethod
    def _compare(
        row: CustomerRow, profile: CustomerProfile, address: Address | None, plan: CustomerPlan
    ) -> bool:
        """Record what the row changes on an existing customer; False if nothing."""
        organisation = profile.organisation
        changes: list[Change] = []

        def change(subject: str, subject_id: Any, name: str, old: Any, new: Any) -> None:
            changes.append(Change(organisation.pk, subject, subject_id, name, str(old), str(new)))

        if organisation.name != row.name:
            change("organisation", organisation.pk, "name", organisation.name, row.name)
            organisation.name = row.name
        if row.kind and organisation.kind != row.kind:
            change("organisation", organisation.pk, "kind", organisation.kind, row.kind)
            organisation.kind = row.kind
        if any(c.subject == "organisation" for c in changes):
            plan.organisations.append(organisation)
        profile_changed = False
        for name, value in row.profile.items():
            if getattr(profile, name) != value:
                change("profile", profile.pk, name, getattr(profile, name), value)
                setattr(profile, name, value)
                profile_changed = True
        if profile_changed:
            plan.profiles.append(profile)
        if row.address is not None:
            if address is None:
                address = _new_address(organisation, row.address)
                plan.new_addresses.append(address)
                change("address", address.pk, "billing_address", "", _one_line(row.address))
            else:
                address_changed = False
                for name, value in row.address.items():
                    if str(getattr(address, name) or "") != value:
                        change("address", address.pk, name, getattr(address, name) or "", value)
                        setattr(address, name, value)
                        address_changed = True
                if address_changed:
                    plan.addresses.append(address)
        plan.changes.extend(changes)
        return bool(changes)

    @staticmethod
    def _warn_about_namesakes(new_names: dict[str, int], report: Any) -> None:
        """A first import into a portal whose customers were created by hand would double them: say so."""
        for chunk in chunked(list(new_names)):
            # Also matches organisations without a profile at all (the join is an outer one).
            namesakes = Organisation.objects.filter(name__in=chunk, profile__external_id__isnull=True)
            for name in namesakes.values_list("name", flat=True).distinct():
                report.notice(new_names[name], "name", "name_exists", value=name)

    @staticmethod
    def _skip_do_not_contact(rows: list[CustomerRow], report: Any) -> None:
        """An address whose owner asked never to be contacted again (privacy.erasure) is not imported: the
        row's email is left out (an existing customer keeps the one they have), with a notice."""
        from kundportal.privacy.erasure import do_not_contact_among

        for chunk in chunked([row for row in rows if row.profile.get("email")]):
            refused = do_not_contact_among(row.profile["email"] for row in chunk)
            for row in chunk:
                if row.profile["email"] in refused:
                    del row.profile["email"]
                    report.notice(row.number, "email", "do_not_contact")

    # --- applying -----------------------------------------------------------------------------------------

    def apply(self, plan: Plan, *, actor: User, progress: Progress = NO_PROGRESS) -> None:
        assert isinstance(plan, CustomerPlan)
        now = timezone.now()
        organisations, profiles, addresses = [], [], []
        for row in plan.new:
            organisation = Organisation(name=row.name, kind=row.kind or OrganisationKind.COMPANY)
            organisations.append(organisation)
            profiles.append(
                CustomerProfile(organisation=organisation, external_id=row.external_id, **row.profile)
            )
            if row.address is not None:
                addresses.append(_new_address(organisation, row.address))
        addresses += plan.new_addresses
        for changed in (*plan.profiles, *plan.addresses):
            changed.updated_at = now  # bulk_update does not run auto_now
        changes = _change_records(plan.changes, actor)
        writer = Writer(
            progress,
            len(organisations)
            + len(profiles)
            + len(addresses)
            + len(plan.organisations)
            + len(plan.profiles)
            + len(plan.addresses)
            + len(changes),
        )
        writer.insert(Organisation, organisations)
        writer.insert(CustomerProfile, profiles)
        writer.insert(Address, addresses)
        writer.update(Organisation, plan.organisations, ["name", "kind"])
        writer.update(CustomerProfile, plan.profiles, [*PROFILE_FIELDS, "updated_at"])
        writer.update(Address, plan.addresses, [*ADDRESS_COLUMNS, "updated_at"])
        writer.insert(ChangeRecord, changes)
        _give_folders(organisations, actor, progress)


def _new_address(organisation: Organisation, values: dict[str, str]) -> Address:
    return Address(organisation=organisation, purpose=AddressPurpose.BILLING, is_default=True, **values)


def _one_line(values: dict[str, str]) -> str:
    return ", ".join(
        v for v in (values["street_address"], values["postal_code"], values["city"], values["country"]) if v
    )


def _change_records(changes: list[Change], actor: User) -> list[ChangeRecord]:
    """Each changed field for the customer's own change log, as a change made on the page would be."""
    return [
        ChangeRecord(
            organisation_id=c.organisation_id,
            actor=actor,
            actor_label=actor.email,
            subject=c.subject,
            subject_id=c.subject_id,
            field=c.field,
            old_value=c.old[:500],
            new_value=c.new[:500],
        )
        for c in changes
    ]


def _give_folders(organisations: list[Organisation], actor: User, progress: Progress) -> None:
    """New customers start with the default folder template's folders, as when created on the page."""
    if not organisations:
        return
    from kundportal.documents.folders import apply_template_to_new_organisations, default_template

    template = default_template()
    ids = [o.pk for o in organisations]
    for done, chunk in enumerate(chunked(ids, BATCH)):
        progress.set("folders", done * BATCH, len(ids))
        apply_template_to_new_organisations(actor=actor, template=template, organisation_ids=chunk)
    progress.set("folders", len(ids), len(ids), force=True)

"""How an import writes new customers: the same rows bulk_create would write, their folders, links and audit
events, and nothing at all when any part of the writing fails."""

from __future__ import annotations

import pytest
from django.forms.models import model_to_dict

from kundportal.audit.models import Action, AuditEvent
from kundportal.customers.models import Address, AddressPurpose, ChangeRecord, CustomerProfile
from kundportal.documents.folders import default_template
from kundportal.documents.models import Folder
from kundportal.imports.base import Writer
from kundportal.imports.progress import NO_PROGRESS
from kundportal.imports.tests.conftest import CUSTOMER_HEADER, customer_row, customers_csv, make_csv
from kundportal.organisations.models import Organisation, OrganisationKind

pytestmark = pytest.mark.django_db

SKIPPED = {"id", "organisation", "created_at", "updated_at", "external_id"}


def new_customer(external_id: str) -> list:
    organisation = Organisation(name="Kund AB", kind=OrganisationKind.PRIVATE)
    return [
        organisation,
        CustomerProfile(organisation=organisation, external_id=external_id, email="a@b.example", phone=""),
        Address(
            organisation=organisation,
            purpose=AddressPurpose.BILLING,
            is_default=True,
            street_address="Storgatan 1",
            postal_code="111 22",
            city="Stockholm",
            country="SE",
        ),
        ChangeRecord(
            organisation=organisation, actor_label="x", subject="profile", field="email", new_value="a"
        ),
    ]


def stored(obj) -> dict:
    row = model_to_dict(type(obj).objects.get(pk=obj.pk))
    return {key: value for key, value in row.items() if key not in SKIPPED}


def test_insert_stores_what_bulk_create_stores(provider_admin):
    by_create, by_insert = new_customer("X-1"), new_customer("X-2")
    writer = Writer(NO_PROGRESS, 8)
    for created, inserted in zip(by_create, by_insert, strict=True):
        writer.create(type(created), [created])
        writer.insert(type(inserted), [inserted])
    for created, inserted in zip(by_create, by_insert, strict=True):
        assert stored(inserted) == stored(created) != {}
        fresh = type(inserted).objects.get(pk=inserted.pk)
        assert fresh.created_at is not None and fresh.created_at >= created.created_at
    profile = CustomerProfile.objects.get(pk=by_insert[1].pk)
    assert (profile.preferred_language, profile.members_see_all_orders) == ("en", True)  # the defaults
    assert profile.updated_at is not None
    organisation = by_insert[0]
    assert not organisation._state.adding  # saved: saving it again updates the row
    organisation.name = "Renamed"
    organisation.save()
    assert Organisation.objects.get(pk=organisation.pk).name == "Renamed"


def test_insert_writes_every_object_however_many(provider_admin):
    organisation = Organisation.objects.create(name="Kund AB")
    records = [
        ChangeRecord(
            organisation=organisation,
            actor=provider_admin,
            subject="profile",
            field="phone",
            new_value=str(n),
        )
        for n in range(1234)  # batches of 1,000, statements of 500 rows on a database server, and the rest
    ]
    Writer(NO_PROGRESS, len(records)).insert(ChangeRecord, records)
    stored = ChangeRecord.objects.filter(organisation=organisation)
    assert sorted(int(value) for value in stored.values_list("new_value", flat=True)) == list(range(1234))
    assert set(stored.values_list("actor", "subject", "field")) == {(provider_admin.pk, "profile", "phone")}
    assert {record.pk for record in records} == set(stored.values_list("pk", flat=True))


def test_new_customers_get_the_default_templates_folders_a_link_and_one_event_each(run, provider_admin):
    template = default_template()
    entries = list(template.entries.values_list("name", "access", "position"))
    report = run(customers_csv(3), "customers")
    assert report.ok and report.created == 3
    organisations = list(Organisation.objects.filter(profile__external_id__startswith="K-"))
    assert len(organisations) == 3
    for organisation in organisations:
        folders = Folder.objects.filter(organisation=organisation).order_by("position")
        assert list(folders.values_list("name", "access", "position")) == entries
        event = AuditEvent.objects.get(action=Action.FOLDERS_APPLIED, organisation=organisation)
        assert (event.actor, event.target_id) == (provider_admin, str(template.pk))
        assert event.data == {
            "template": template.name,
            "folders": [name for name, _access, _position in entries],
            "access_changed": [],
        }
    assert set(template.organisations.all()) == set(organisations)


def test_existing_customers_get_no_new_folders(run):
    run(customers_csv(2), "customers")
    folders = Folder.objects.count()
    report = run(customers_csv(3), "customers")  # two known, one new
    assert report.counts["create"] == 1
    assert Folder.objects.count() == folders * 3 // 2
    assert AuditEvent.objects.filter(action=Action.FOLDERS_APPLIED).count() == 3


def test_a_failure_while_writing_the_folders_leaves_nothing_behind(run, monkeypatch):
    def fail(events):
        raise RuntimeError("disk full")

    monkeypatch.setattr("kundportal.documents.folders.record_events", fail)
    before = (Organisation.objects.count(), Folder.objects.count(), AuditEvent.objects.count())
    with pytest.raises(RuntimeError):
        run(customers_csv(5), "customers")
    assert (Organisation.objects.count(), Folder.objects.count(), AuditEvent.objects.count()) == before
    assert not CustomerProfile.objects.exists() and not Address.objects.exists()
    assert not default_template().organisations.exists()


@pytest.mark.parametrize("name", ["Acme\x7f AB", "Acme\x80 AB", "Acme\x9b31m AB"])
def test_it_refuses_every_control_character(run, name):
    report = run(make_csv([CUSTOMER_HEADER, customer_row(1, name=name)]), "customers")
    assert [(e.row, e.column, e.code) for e in report.errors] == [(2, "name", "control")]


def test_invisible_formatting_characters_are_not_control_characters(run):
    report = run(make_csv([CUSTOMER_HEADER, customer_row(1, name="Acme\u200b AB")]), "customers")
    assert report.ok

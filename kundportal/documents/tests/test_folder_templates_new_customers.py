"""Applying a template to customers created moments ago (an import of thousands): the same folders, link and
audit event as a customer created on the page gets, in a constant number of queries.

alice: provider admin · mads: account manager.
"""

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from kundportal.audit.models import Action, AuditEvent
from kundportal.documents.folders import apply_template_to_new_organisations, create_folder_template
from kundportal.documents.models import Folder
from kundportal.organisations.models import Organisation
from kundportal.organisations.services import create_organisation

pytestmark = pytest.mark.django_db

ENTRIES = [
    ("Plans", "read_write"),
    ("Contracts", "read_only"),
    ("Notes", "internal"),
    ("Inbox", "upload_only"),
]


@pytest.fixture
def projects(provider_admin):
    return create_folder_template(actor=provider_admin, name="Projects", entries=ENTRIES)


def folders_of(organisation):
    return list(
        Folder.objects.filter(organisation=organisation)
        .order_by("position")
        .values_list("name", "access", "position")
    )


def applied_event(organisation):
    event = AuditEvent.objects.get(action=Action.FOLDERS_APPLIED, organisation=organisation)
    return (
        event.actor,
        event.actor_label,
        event.target_type,
        event.target_id,
        event.target_label,
        event.ip,
        event.data,
    )


def test_it_gives_what_a_customer_created_on_the_page_gets(provider_admin, projects):
    on_the_page = create_organisation(actor=provider_admin, name="Page AB", folder_template=projects)
    started = timezone.now()
    imported = Organisation.objects.create(name="Import AB")
    created = apply_template_to_new_organisations(
        actor=provider_admin, template=projects, organisation_ids=[imported.pk]
    )
    assert created == len(ENTRIES)
    assert (
        folders_of(imported)
        == folders_of(on_the_page)
        == [(name, access, position) for position, (name, access) in enumerate(ENTRIES)]
    )
    assert all(folder.created_at >= started for folder in Folder.objects.filter(organisation=imported))
    assert set(projects.organisations.all()) == {on_the_page, imported}
    assert applied_event(imported) == applied_event(on_the_page)
    assert applied_event(imported)[-1] == {
        "template": "Projects",
        "folders": [name for name, _access in ENTRIES],
        "access_changed": [],
    }


def test_it_takes_a_few_queries_however_many_customers(
    provider_admin, projects, django_assert_max_num_queries
):
    def apply_to_new_customers(count):
        organisations = Organisation.objects.bulk_create(
            Organisation(name=f"Customer {n}") for n in range(count)
        )
        # The entries, then the folders, links and events: one statement for each on SQLite, a few on a
        # database server (core.bulk).
        with django_assert_max_num_queries(7):
            apply_template_to_new_organisations(
                actor=provider_admin, template=projects, organisation_ids=[o.pk for o in organisations]
            )

    apply_to_new_customers(2)
    apply_to_new_customers(600)
    assert Folder.objects.count() == 602 * len(ENTRIES)
    assert AuditEvent.objects.filter(action=Action.FOLDERS_APPLIED).count() == 602  # one row per customer
    assert projects.organisations.count() == 602


@pytest.mark.parametrize("who", ["account_manager", "customer_admin"])
def test_only_provider_admins_may_apply(request, who, projects):
    organisation = Organisation.objects.create(name="New AB")
    with pytest.raises(PermissionDenied):
        apply_template_to_new_organisations(
            actor=request.getfixturevalue(who), template=projects, organisation_ids=[organisation.pk]
        )
    assert not Folder.objects.filter(organisation=organisation).exists()
    assert not AuditEvent.objects.filter(action=Action.FOLDERS_APPLIED).exists()

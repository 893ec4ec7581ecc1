"""Customer data: profile, addresses, payment methods, interests, the change log and change requests.

All of it belongs to an organisation. For a private customer it is the person's own data (contact email and
phone, birth date, addresses, IBAN and account holder, interests); for a company it is the company's, except
where it names one of its people verbatim (a contact email that is theirs, an address "for the attention of"
them, the change log's "who").

Exported for a person: everything of the private customers they belong to (the IBAN and birth date
decrypted: it is their data), plus the changes they made themselves anywhere. For an organisation: all of it.

Erased for an organisation: everything here (the change log is append-only for the application, but erasure
removes it with the data it describes). For a person in a company that stays: the change log's actor becomes
"Erased person", and their email and name are replaced wherever they appear verbatim in the company's profile,
addresses, payment methods, change log and change requests; the company's other data stays.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kundportal.privacy.registry import (
    ErasureReport,
    ExportWriter,
    Source,
    Subject,
    erase_in_two_parts,
    not_personal,
    register,
)
from kundportal.privacy.subjects import (
    ERASED_PERSON,
    exported_organisations,
    identifiers,
    json_safe,
    rows,
    scrub,
    scrub_json,
    text_mentions,
)


def export(subject: Subject, writer: ExportWriter) -> None:
    from kundportal.customers.models import (
        Address,
        ChangeRecord,
        ChangeRequest,
        CustomerInterest,
        CustomerProfile,
        PaymentMethod,
    )
    from kundportal.customers.payment_methods import payment_method_iban
    from kundportal.customers.services import profile_birth_date

    organisations = exported_organisations(subject)
    profiles = []
    for profile in CustomerProfile.objects.filter(organisation__in=organisations).select_related(
        "organisation"
    ):
        birth_date = profile_birth_date(profile)
        profiles.append(
            {
                "organisation": profile.organisation.name,
                "external_id": profile.external_id,
                "vat_number": profile.vat_number,
                "email": profile.email,
                "phone": profile.phone,
                "website": profile.website,
                "preferred_language": profile.preferred_language,
                "contact_channel": profile.contact_channel,
                "birth_date": birth_date.isoformat() if birth_date else None,
                "updated_at": json_safe(profile.updated_at),
            }
        )
    writer.records("customers.profiles", profiles)
    writer.records(
        "customers.addresses",
        rows(
            Address.objects.filter(organisation__in=organisations),
            "purpose",
            "is_default",
            "name",
            "company_name",
            "street_address",
            "postal_code",
            "city",
            "city_area",
            "country_area",
            "country",
            "created_at",
            organisation_name=F("organisation__name"),
        ),
    )
    methods: list[dict[str, Any]] = []
    for method in PaymentMethod.objects.filter(organisation__in=organisations):
        methods.append(
            {
                "kind": method.kind,
                "is_default": method.is_default,
                "account_holder": method.account_holder,
                "iban": payment_method_iban(method),
                "bic": method.bic,
                "mandate_reference": method.mandate_reference,
                "mandate_signed_on": json_safe(method.mandate_signed_on),
                "card_provider": method.card_provider,
                "card_brand": method.card_brand,
                "card_last4": method.card_last4,
                "card_exp_month": method.card_exp_month,
                "card_exp_year": method.card_exp_year,
                "created_at": json_safe(method.created_at),
            }
        )
    writer.records("customers.payment_methods", methods)
    changes = ChangeRecord.objects.filter(organisation__in=organisations)
    if subject.user is not None:
        changes = ChangeRecord.objects.filter(Q(organisation__in=organisations) | Q(actor=subject.user))
    writer.records(
        "customers.changes",
        rows(changes, "created_at", "subject", "field", "old_value", "new_value", "actor_label"),
    )
    requests = ChangeRequest.objects.filter(organisation__in=organisations)
    if subject.user is not None:
        requests = ChangeRequest.objects.filter(
            Q(organisation__in=organisations) | Q(requested_by=subject.user)
        )
    writer.records(
        "customers.change_requests",
        rows(
            requests,
            "created_at",
            "field",
            "current_value",
            "requested_value",
            "requested_address",
            "status",
            "decided_at",
            "decision_note",
        ),
    )
    writer.records(
        "customers.interests",
        rows(
            CustomerInterest.objects.filter(organisation__in=organisations),
            "declared",
            "inferred_items",
            "inferred_at",
            "suppressed",
            interest=F("category__slug"),
        ),
    )


def _erase_organisation(organisation: Any, report: ErasureReport) -> None:
    from kundportal.customers.models import (
        Address,
        ChangeRecord,
        ChangeRequest,
        CustomerInterest,
        CustomerProfile,
        PaymentMethod,
    )

    mine = Q(organisation=organisation)
    # Queryset deletes: ChangeRecord.delete() refuses single deletions, erasure is the one exception.
    report.count("customers.changes", ChangeRecord.objects.filter(mine).delete()[0])
    report.count("customers.change_requests", ChangeRequest.objects.filter(mine).delete()[0])
    report.count("customers.interests", CustomerInterest.objects.filter(mine).delete()[0])
    report.count("customers.payment_methods", PaymentMethod.objects.filter(mine).delete()[0])
    report.count("customers.addresses", Address.objects.filter(mine).delete()[0])
    report.count("customers.profiles", CustomerProfile.objects.filter(mine).delete()[0])


def _scrub_person(user: Any, report: ErasureReport) -> None:
    from kundportal.customers.models import (
        Address,
        ChangeRecord,
        ChangeRequest,
        CustomerProfile,
        PaymentMethod,
    )

    needles = identifiers(user)
    # The change log's "who" (updates bypass ChangeRecord.save, which refuses changes: erasure is the exception).
    report.count(
        "customers.changes",
        ChangeRecord.objects.filter(actor=user).update(actor=None, actor_label=ERASED_PERSON),
        anonymised=True,
    )
    organisations = list(user.memberships.values_list("organisation_id", flat=True))
    if not organisations:
        return
    in_theirs = Q(organisation_id__in=organisations)
    changed = 0
    changed += CustomerProfile.objects.filter(in_theirs, email__iexact=user.email).update(email="")
    for address in Address.objects.filter(in_theirs).filter(
        text_mentions("name", needles) | text_mentions("company_name", needles)
    ):
        Address.objects.filter(pk=address.pk).update(
            name=scrub(address.name, needles), company_name=scrub(address.company_name, needles)
        )
        changed += 1
    changed += (
        PaymentMethod.objects.filter(in_theirs)
        .filter(text_mentions("account_holder", needles))
        .update(account_holder=ERASED_PERSON)
    )
    for record in ChangeRecord.objects.filter(in_theirs).filter(
        text_mentions("old_value", needles) | text_mentions("new_value", needles)
    ):
        ChangeRecord.objects.filter(pk=record.pk).update(
            old_value=scrub(record.old_value, needles), new_value=scrub(record.new_value, needles)
        )
        changed += 1
    for request in ChangeRequest.objects.filter(in_theirs).filter(
        text_mentions("current_value", needles)
        | text_mentions("requested_value", needles)
        | text_mentions("decision_note", needles)
    ):
        ChangeRequest.objects.filter(pk=request.pk).update(
            current_value=scrub(request.current_value, needles),
            requested_value=scrub(request.requested_value, needles),
            requested_address=scrub_json(request.requested_address, needles),
            decision_note=scrub(request.decision_note, needles),
        )
        changed += 1
    report.count("customers.company_records", changed, anonymised=True)


register(
    Source(
        key="customers",
        models=(
            "customers.customerprofile",
            "customers.address",
            "customers.paymentmethod",
            "customers.changerecord",
            "customers.changerequest",
            "customers.customerinterest",
        ),
        export=export,
        erase=erase_in_two_parts(organisation=_erase_organisation, person=_scrub_person),
        categories=_(
            "Contact details (email, phone), postal addresses, birth date (private customers, optional), payment "
            "methods (IBAN encrypted, card token and last four digits), interests, the history of changes"
        ),
        purpose=_("Serving, delivering to and invoicing the customer; contact in the way they prefer"),
        retention=_(
            "While the customer relationship lasts; the history of changes as long as the data it records"
        ),
        recipients=_("Provider staff; the payment provider for card and direct-debit payments"),
        order=300,
    )
)

not_personal("customers.interestcategory", "the provider's list of topics (names in three languages)")

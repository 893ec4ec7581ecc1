"""The cross-tenant matrix: every page and API route that names an object, called by someone who must not
see that object, answers 404 and changes nothing. Routes are collected from the URL configuration and the
OpenAPI document, so a new route is in the matrix the day it is added; a route with an id this file does not
know how to fill fails the test until it is added to OBJECT_IDS."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

pytestmark = pytest.mark.django_db

# Routes that name no protected object in their path (the invitation link carries its own secret token).
NOT_OBJECT_ROUTES = {"invitation_accept"}
WRITES = ("post", "put", "patch", "delete")


def _page_routes(patterns: list, prefix: str = "") -> Iterator[tuple[str, str]]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if not route.startswith(("api/", "admin/", "account/")):
                yield from _page_routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and "<" in route and pattern.name not in NOT_OBJECT_ROUTES:
            yield pattern.name, "/" + route


def page_routes() -> list[tuple[str, str]]:
    return sorted(set(_page_routes(get_resolver().url_patterns)))


def api_routes() -> list[tuple[str, str]]:
    from kundportal.api import api

    paths = api.get_openapi_schema()["paths"]
    return sorted(
        (method, path)
        for path, operations in paths.items()
        if "{" in path
        for method in operations
        if method in ("get", *WRITES)
    )


@pytest.fixture
def acme(organisation, customer_admin, customer_member, customer_viewer, account_manager):
    """Everything of Acme AB a route can name: folders, a document with two versions, an internal document,
    a membership, an invitation, an API token, a folder template."""
    from kundportal.accounts.models import ApiToken
    from kundportal.documents.access import get_folder_for_user
    from kundportal.documents.models import Folder, FolderAccess, FolderTemplate
    from kundportal.documents.services import upload_document_version
    from kundportal.organisations.models import Invitation, Membership

    def stored(user, folder, name, data):
        access = get_folder_for_user(user, folder.pk, write=True)
        return upload_document_version(actor=user, folder=access, name=name, stream=io.BytesIO(data))

    drawings = Folder.objects.create(organisation=organisation, name="Drawings")
    internal = Folder.objects.create(organisation=organisation, name="Internal", access=FolderAccess.INTERNAL)
    stored(customer_member, drawings, "plan.pdf", b"one")
    document = stored(customer_member, drawings, "plan.pdf", b"two").document
    internal_document = stored(account_manager, internal, "margin.xlsx", b"secret").document
    invitation = Invitation.objects.create(
        organisation=organisation,
        email="new@acme.example",
        role="member",
        invited_by=customer_admin,
        token_hash="0" * 64,
        expires_at=timezone.now() + timedelta(days=7),
    )
    token = ApiToken.objects.create(user=customer_admin, name="CI")
    from kundportal.customers.models import Address, ChangeRequest, PaymentMethod

    address = Address.objects.create(
        organisation=organisation,
        purpose="billing",
        is_default=True,
        street_address="Storgatan 1",
        postal_code="114 55",
        city="Stockholm",
        country="SE",
    )
    payment_method = PaymentMethod.objects.create(organisation=organisation, kind="invoice", is_default=True)
    change_request = ChangeRequest.objects.create(
        organisation=organisation,
        field="vat_number",
        requested_value="SE556677889901",
        requested_by=customer_admin,
    )
    from kundportal.customers.models import CustomerInterest, InterestCategory

    interest = InterestCategory.objects.create(slug="matrix", name_en="Matrix")
    CustomerInterest.objects.create(organisation=organisation, category=interest, inferred_items=2)
    # Commerce: Mia's order with its invoice, a product category, and a product that is inactive (customers
    # see only active products, so for every customer it does not exist, like an object of another tenant).
    from kundportal.commerce.invoices import issue_invoice
    from kundportal.commerce.models import ProductCategory
    from kundportal.commerce.tests.factories import make_order, make_product

    product_category = ProductCategory.objects.create(name="Matrix products")
    product = make_product("MATRIX-1", price="10.00", category=product_category)
    order = make_order(organisation, (product, 1), placed_by=customer_member)
    order = issue_invoice(actor=account_manager, order=order)
    product.active = False
    product.save()
    # Imports: a previewed file waiting to be applied (provider admins only; everyone else gets 404).
    from kundportal.imports.models import ImportBatch

    batch = ImportBatch(
        kind="customers", status="ready", file_name="matrix.csv", expires_at=ImportBatch.default_expiry()
    )
    batch.store_text("external_id,name\r\nK-MATRIX,Matrix AB\r\n")
    batch.save()
    # Offers: live, for Mads's customers only (Acme), with a picture. Everyone else forges its id.
    offer = _matrix_offer(account_manager)
    from kundportal.offers.models import OfferResponse

    acceptance = OfferResponse.objects.create(
        offer=offer,
        user=customer_member,
        organisation=organisation,
        seen_at=timezone.now(),
        accepted_at=timezone.now(),
        message="Call me",
    )
    # Messaging: a conversation about the drawing, with a reply and an internal note (with a file).
    from kundportal.messaging.attachments import IncomingFile
    from kundportal.messaging.threads import post_message, start_thread

    thread = start_thread(
        actor=customer_member, organisation=organisation, subject="Matrix", body="Question", document=document
    )
    post_message(
        actor=account_manager,
        thread=thread,
        body="Note",
        internal=True,
        files=[IncomingFile(name="note.txt", stream=io.BytesIO(b"internal"))],
    )
    # Notifications: one of Mia's (only she may open or mark it).
    from kundportal.messaging.models import Notification

    notification = Notification.objects.create(
        recipient=customer_member, organisation=organisation, category="document", url="/documents/"
    )
    # Privacy (issue 7): Mia's data export, a waiting erasure of Acme, a purpose the provider configured.
    from kundportal.privacy.models import ConfiguredPurpose, DataExport, ErasureRecord

    export = DataExport.objects.create(user=customer_member, requested_by=customer_member)
    erasure = ErasureRecord.objects.create(
        kind="organisation",
        status="awaiting_approval",
        organisation=organisation,
        requested_by_role="customer admin",
    )
    purpose = ConfiguredPurpose.objects.create(
        key="matrix",
        **{f"{field}_{lang}": "Matrix" for field in ("title", "wording") for lang in ("en", "sv", "de")},
    )
    return {
        "export_id": export.pk,
        "record_id": erasure.pk,
        "person_id": customer_member.pk,
        "purpose_id": purpose.pk,
        "notification_id": notification.pk,
        "thread_id": thread.pk,
        "offer_id": offer.pk,
        "response_id": acceptance.pk,
        "purpose": "personalised_offers",
        "batch_id": batch.pk,
        "kind": "customers",
        "order_id": order.pk,
        "product_id": product.pk,
        "product_category_id": product_category.pk,
        "category_id": interest.pk,
        "address_id": address.pk,
        "payment_method_id": payment_method.pk,
        "change_request_id": change_request.pk,
        "organisation_id": organisation.pk,
        "folder_id": drawings.pk,
        "document_id": document.pk,
        "number": 1,
        "name": "plan.pdf",
        "membership_id": Membership.objects.get(user=customer_member).pk,
        "invitation_id": invitation.pk,
        "token_id": token.pk,
        "template_id": FolderTemplate.objects.create(name="Matrix").pk,
        "internal_folder_id": internal.pk,
        "internal_document_id": internal_document.pk,
    }


def _matrix_offer(account_manager):
    import base64

    from kundportal.offers.images import set_offer_image
    from kundportal.offers.models import Offer

    today = timezone.localdate()
    offer = Offer.objects.create(
        title="Matrix offer",
        body="For Acme",
        status="published",
        starts_on=today - timedelta(days=1),
        ends_on=today + timedelta(days=30),
        manager=account_manager,
        created_by=account_manager,
        published_at=timezone.now(),
    )
    pixel = base64.b64decode(  # a 1x1 PNG
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    )
    set_offer_image(actor=account_manager, offer=offer, data=pixel, alt_text="Matrix")
    return offer


def fill(route: str, ids: dict, *, internal: bool = False) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1).split(":")[-1]
        if internal and f"internal_{name}" in ids:
            name = f"internal_{name}"
        if name not in ids:
            pytest.fail(f"{route}: add an object for <{name}> to the matrix fixture")
        return str(ids[name])

    return re.sub(r"[<{]([^>}]+)[>}]", value, route)


def snapshot() -> dict:
    """What a refused request must leave exactly as it was."""
    from kundportal.accounts.models import ApiToken
    from kundportal.documents.models import Document, DocumentVersion, Folder, FolderTemplate
    from kundportal.imports.models import ImportBatch
    from kundportal.organisations.models import Invitation, Membership, Organisation

    return {
        "documents": list(Document.objects.values_list("pk", "name", "deleted_at", "latest_id", "folder_id")),
        "versions": list(DocumentVersion.objects.values_list("pk", "label")),
        "folders": list(Folder.objects.values_list("pk", "name", "access")),
        "memberships": list(Membership.objects.values_list("pk", "role")),
        "invitations": list(Invitation.objects.values_list("pk", "revoked_at")),
        "organisations": list(Organisation.objects.values_list("pk", "name", "require_mfa")),
        "tokens": list(ApiToken.objects.values_list("pk", "revoked_at")),
        "templates": list(FolderTemplate.objects.values_list("pk", "name")),
        **commerce_snapshot(),
        "imports": list(ImportBatch.objects.values_list("pk", "status", "content_encrypted")),
        **customer_data_snapshot(),
        **interests_snapshot(),
        **offers_snapshot(),
        **messaging_snapshot(),
    }


def messaging_snapshot() -> dict:
    """Marking a thread read is left out: it is each user's own state, as dismissing an offer is."""
    from kundportal.messaging.models import Message, MessageAttachment, Thread

    return {
        "threads": list(Thread.objects.values_list("pk", "subject", "closed_at", "last_message_at")),
        "messages": list(Message.objects.values_list("pk", "body", "internal")),
        "message_attachments": list(MessageAttachment.objects.values_list("pk", "version_id")),
    }


def offers_snapshot() -> dict:
    """Dismissing is left out: it is each user's own choice (viewers included) and changes nothing for others.
    Accepting is a request the account managers act on."""
    from kundportal.offers.models import Offer, OfferImage, OfferResponse
    from kundportal.privacy.models import Consent

    return {
        "offers": list(Offer.objects.values_list("pk", "status", "title", "ends_on")),
        "offer_images": list(OfferImage.objects.values_list("pk", "blob_name", "alt_text")),
        "offer_acceptances": list(
            OfferResponse.objects.filter(accepted_at__isnull=False).values_list(
                "pk", "accepted_at", "message", "handled_at"
            )
        ),
        "consents": Consent.objects.count(),
    }


def commerce_snapshot() -> dict:
    from kundportal.commerce.models import (
        Order,
        Product,
        ProductCategory,
        PurchaseSummary,
        PurchaseTotal,
        ReorderRequest,
    )

    return {
        "orders": list(Order.objects.values_list("pk", "status", "total", "invoice_id", "invoice_number")),
        "purchase_summaries": list(
            PurchaseSummary.objects.order_by("pk").values_list("pk", "order_count", "last_purchase")
        ),
        "purchase_totals": list(
            PurchaseTotal.objects.order_by("pk").values_list("organisation_id", "currency", "revenue")
        ),
        "products": list(Product.objects.values_list("pk", "sku", "price", "currency", "active")),
        "product_categories": list(ProductCategory.objects.values_list("pk", "name")),
        "reorders": ReorderRequest.objects.count(),
    }


def interests_snapshot() -> dict:
    from kundportal.customers.models import CustomerInterest, InterestCategory

    return {
        "interests": list(
            CustomerInterest.objects.values_list("pk", "declared", "suppressed", "inferred_items")
        ),
        "interest_categories": list(InterestCategory.objects.values_list("pk", "slug", "name_en", "active")),
    }


def customer_data_snapshot() -> dict:
    from kundportal.customers.models import (
        Address,
        ChangeRecord,
        ChangeRequest,
        CustomerProfile,
        PaymentMethod,
    )

    return {
        "profiles": list(CustomerProfile.objects.values_list("pk", "email", "phone", "vat_number")),
        "addresses": list(Address.objects.values_list("pk", "is_default", "street_address", "country")),
        "payment_methods": list(PaymentMethod.objects.values_list("pk", "is_default", "kind")),
        "change_requests": list(ChangeRequest.objects.values_list("pk", "status", "requested_value")),
        "change_records": ChangeRecord.objects.count(),
    }


def call(client, method: str, path: str) -> int:
    return getattr(client, method)(path).status_code


def unknown(ids: dict) -> dict:
    return {key: (uuid.uuid4() if isinstance(value, uuid.UUID) else value) for key, value in ids.items()}


# Answers that give nothing away when they are the same as for an id that does not exist: 404, and the
# method or body checks that run before any lookup (405, 400, 422).
REFUSALS = {400, 404, 405, 422}


def refused_like_a_missing_object(client, requests: list[tuple[str, str, str]], ids: dict) -> list[str]:
    """The requests (method, route, label) whose answer differs from the answer for unknown ids, or is no
    refusal: either would tell an outsider that the object exists."""
    missing = unknown(ids)
    wrong = []
    for method, route, label in requests:
        real, none = call(client, method, fill(route, ids)), call(client, method, fill(route, missing))
        if real != none or real not in REFUSALS:
            wrong.append(f"{method.upper()} {route} ({label}): {real}, for an unknown id {none}")
    return wrong


def page_requests() -> list[tuple[str, str, str]]:
    return [(method, route, name) for name, route in page_routes() for method in ("get", "post")]


def api_requests() -> list[tuple[str, str, str]]:
    return [(method, route, "api") for method, route in api_routes()]


def test_the_matrix_covers_the_documents_and_organisation_routes():
    pages = {name for name, _ in page_routes()}
    assert {
        "folder_detail",
        "document_download",
        "version_restore",
        "organisation_detail",
        "change_role",
    } <= pages
    api = {path for _, path in api_routes()}
    assert {"/api/v1/documents/{document_id}/content", "/api/v1/folders/{folder_id}/documents"} <= api


def test_an_outsider_learns_nothing_from_any_page_and_changes_nothing(login, outsider, acme):
    before = snapshot()
    client = login(outsider)
    assert refused_like_a_missing_object(client, page_requests(), acme) == []
    assert all(call(client, "get", fill(route, acme)) in (404, 405) for _, route in page_routes())
    assert snapshot() == before


def test_an_outsider_learns_nothing_from_any_api_route_and_changes_nothing(api_client, outsider, acme):
    client = api_client(outsider)
    before = snapshot()
    assert refused_like_a_missing_object(client, api_requests(), acme) == []
    assert all(
        call(client, "get", fill(route, acme)) == 404 for method, route in api_routes() if method == "get"
    )
    assert snapshot() == before


def test_customers_learn_nothing_about_internal_folders_and_their_documents(
    login, api_client, customer_admin, acme
):
    client, api = login(customer_admin), api_client(customer_admin)
    before = snapshot()
    internal = {**acme, "folder_id": acme["internal_folder_id"], "document_id": acme["internal_document_id"]}
    about_folders = [
        r for r in page_requests() + api_requests() if re.search(r"[<{](uuid:)?(folder|document)_id", r[1])
    ]
    pages = [r for r in about_folders if not r[1].startswith("/api/")]
    api_routes_ = [r for r in about_folders if r[1].startswith("/api/")]
    assert refused_like_a_missing_object(client, pages, internal) == []
    assert refused_like_a_missing_object(api, api_routes_, internal) == []
    assert snapshot() == before


def test_a_viewer_changes_nothing_through_any_route(login, api_client, customer_viewer, acme):
    client, api = login(customer_viewer), api_client(customer_viewer)
    before = snapshot()
    errors = [f"POST {route}" for _, route in page_routes() if call(client, "post", fill(route, acme)) >= 500]
    errors += [
        f"{method.upper()} {route}"
        for method, route in api_routes()
        if method in WRITES and call(api, method, fill(route, acme)) >= 500
    ]
    assert errors == []
    assert snapshot() == before

"""The staff offers API: the same use cases as the pages, with the same refusals. Customers get 404."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone

from kundportal.offers.models import Offer, OfferImage, OfferStatus
from kundportal.offers.tests.test_images import picture
from kundportal.offers.tests.test_staff_services import accept, make_offer

pytestmark = pytest.mark.django_db
JSON = {"content_type": "application/json"}


def payload(**changes):
    today = timezone.localdate()
    data = {
        "title": "Plotter paper",
        "body": "Twenty per cent off.",
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=10)).isoformat(),
        "discount_percent": 20,
    }
    data.update(changes)
    return data


def image_file(data: bytes, name: str = "offer.png"):
    stream = io.BytesIO(data)
    stream.name = name
    return stream


def test_it_creates_changes_publishes_and_ends_an_offer(api_client, provider_admin, customers):
    client = api_client(provider_admin)
    created = client.post("/api/v1/offers/manage", {**payload(), "target": {"countries": ["se"]}}, **JSON)
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], body["personal"], body["target"]) == ("draft", False, {"countries": ["SE"]})
    assert body["target_summary"] == ["Customers in Sweden"]
    assert body["stats"] == {"views": 0, "acceptances": 0, "dismissals": 0}
    offer_id = body["id"]
    changed = client.patch(f"/api/v1/offers/manage/{offer_id}", {"title": "Paper"}, **JSON)
    assert changed.status_code == 200 and changed.json()["title"] == "Paper"
    assert changed.json()["discount_percent"] == 20  # what was not sent stays
    published = client.post(f"/api/v1/offers/manage/{offer_id}/publish")
    assert published.status_code == 200
    assert (published.json()["status"], published.json()["reach"], published.json()["live"]) == (
        "published",
        1,
        True,
    )
    ended = client.post(f"/api/v1/offers/manage/{offer_id}/end")
    assert ended.json()["status"] == "ended"
    listed = client.get("/api/v1/offers/manage?status=ended").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == offer_id


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": ""}, "title"),
        ({"body": "<img src=x onerror=alert(1)>"}, "body"),
        ({"ends_on": "2020-01-01", "starts_on": "2019-12-01"}, "ends_on"),
        ({"price": "10.00", "currency": "SEK"}, "discount_percent"),
        ({"discount_percent": 99}, "discount_percent"),
        ({"target": {"orders_min": 4, "orders_max": 1}}, "orders_max"),
        ({"target": {"countries": ["ZZ"]}}, "countries"),
        ({"products": ["7d7f8a3e-3f3b-4a5e-9c2d-1b2c3d4e5f60"]}, "products"),
    ],
)
def test_it_refuses_bad_input_with_422_naming_the_field(api_client, provider_admin, changes, field):
    response = api_client(provider_admin).post("/api/v1/offers/manage", payload(**changes), **JSON)
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]
    assert not Offer.objects.exists()


def test_it_refuses_nul_characters(api_client, provider_admin):
    response = api_client(provider_admin).post("/api/v1/offers/manage", payload(title="a\x00b"), **JSON)
    assert response.status_code == 422


def test_publishing_refuses_an_expired_period_and_a_target_matching_nobody(
    api_client, provider_admin, customers
):
    client = api_client(provider_admin)
    nobody = make_offer(provider_admin, target={"countries": ["NO"]})
    response = client.post(f"/api/v1/offers/manage/{nobody.pk}/publish")
    assert response.status_code == 422 and "target" in response.json()["errors"]
    expired = make_offer(provider_admin)
    ended = timezone.localdate() - timedelta(days=1)
    Offer.objects.filter(pk=expired.pk).update(starts_on=ended, ends_on=ended)
    response = client.post(f"/api/v1/offers/manage/{expired.pk}/publish")
    assert response.status_code == 422 and "ends_on" in response.json()["errors"]
    assert set(Offer.objects.values_list("status", flat=True)) == {OfferStatus.DRAFT}


def test_the_preview_counts_before_publishing_and_warns(api_client, provider_admin, customers):
    client = api_client(provider_admin)
    response = client.post("/api/v1/offers/preview", {"target": {"countries": ["NO"]}}, **JSON)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["matched"], body["total"], body["nobody"], body["everyone"]) == (0, 2, True, False)
    assert body["warnings"] and body["summary"] == ["Customers in Norway"]
    body = client.post("/api/v1/offers/preview", {"target": {"kinds": ["company"]}}, **JSON).json()
    assert (body["matched"], body["everyone"], body["personal"]) == (2, True, False)
    bad = client.post("/api/v1/offers/preview", {"target": {"segments": ["royalty"]}}, **JSON)
    assert bad.status_code == 422


def test_a_managers_preview_counts_within_their_customers(
    api_client, account_manager, provider_admin, customers
):
    body = api_client(account_manager).post("/api/v1/offers/preview", {}, **JSON).json()
    assert (body["matched"], body["total"]) == (1, 1)
    wide = make_offer(provider_admin)
    body = (
        api_client(account_manager).post("/api/v1/offers/preview", {"offer_id": str(wide.pk)}, **JSON).json()
    )
    assert (body["matched"], body["total"]) == (2, 2)  # the provider-wide offer's scope


def test_the_picture_is_uploaded_read_and_deleted(
    api_client, provider_admin, django_capture_on_commit_callbacks
):
    offer = make_offer(provider_admin)
    client = api_client(provider_admin)
    data = picture("JPEG", (64, 32))
    response = client.post(
        f"/api/v1/offers/manage/{offer.pk}/image", {"image": image_file(data, "x.jpg"), "alt_text": "Paper"}
    )
    assert response.status_code == 201, response.content
    assert response.json() == {
        "content_type": "image/jpeg",
        "width": 64,
        "height": 32,
        "size": len(data),
        "alt_text": "Paper",
    }
    assert client.get(f"/api/v1/offers/manage/{offer.pk}/image").content == data
    assert client.get(f"/api/v1/offers/manage/{offer.pk}").json()["image"]["width"] == 64
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"/api/v1/offers/manage/{offer.pk}/image").status_code == 204
    assert not OfferImage.objects.exists()
    assert client.get(f"/api/v1/offers/manage/{offer.pk}/image").status_code == 404


def test_a_non_image_and_an_oversized_image_are_refused(api_client, provider_admin):
    from kundportal.offers.images import MAX_IMAGE_BYTES

    offer = make_offer(provider_admin)
    client = api_client(provider_admin)
    text = client.post(f"/api/v1/offers/manage/{offer.pk}/image", {"image": image_file(b"I am a text file.")})
    assert text.status_code == 422 and "not an image" in text.json()["errors"]["image"][0]
    big = b"\x89PNG\r\n\x1a\n" + b"\x00" * MAX_IMAGE_BYTES
    response = client.post(f"/api/v1/offers/manage/{offer.pk}/image", {"image": image_file(big)})
    assert response.status_code == 422 and "larger than 5 MB" in response.json()["errors"]["image"][0]
    missing = client.post(f"/api/v1/offers/manage/{offer.pk}/image", {"alt_text": "no file"})
    assert missing.status_code == 422
    assert not OfferImage.objects.exists()


def test_acceptances_are_listed_and_handled(
    api_client, account_manager, provider_admin, customers, customer_admin, outsider
):
    acme, other = customers
    offer = make_offer(provider_admin)
    mine = accept(offer, customer_admin, acme, message="Call me")
    theirs = accept(offer, outsider, other)
    client = api_client(account_manager)
    listed = client.get(f"/api/v1/offers/manage/{offer.pk}/acceptances").json()
    assert [item["id"] for item in listed["items"]] == [str(mine.pk)]
    assert listed["items"][0]["organisation_name"] == "Acme AB" and listed["items"][0]["message"] == "Call me"
    assert client.post(f"/api/v1/offers/manage/{offer.pk}/acceptances/{theirs.pk}/handle").status_code == 404
    handled = client.post(f"/api/v1/offers/manage/{offer.pk}/acceptances/{mine.pk}/handle")
    assert handled.status_code == 200 and handled.json()["handled_by_id"] == str(account_manager.pk)


def test_duplicate_makes_a_draft(api_client, provider_admin):
    offer = make_offer(provider_admin)
    response = api_client(provider_admin).post(f"/api/v1/offers/manage/{offer.pk}/duplicate")
    assert response.status_code == 201 and response.json()["status"] == "draft"
    assert response.json()["id"] != str(offer.pk)


def staff_endpoints(offer_id, response_id):
    base = f"/api/v1/offers/manage/{offer_id}"
    return [
        ("get", "/api/v1/offers/manage", None),
        ("post", "/api/v1/offers/manage", payload()),
        ("post", "/api/v1/offers/preview", {}),
        ("get", base, None),
        ("patch", base, {"title": "Taken"}),
        ("post", f"{base}/publish", None),
        ("post", f"{base}/end", None),
        ("post", f"{base}/duplicate", None),
        ("get", f"{base}/image", None),
        ("post", f"{base}/image", None),
        ("delete", f"{base}/image", None),
        ("get", f"{base}/acceptances", None),
        ("post", f"{base}/acceptances/{response_id}/handle", None),
    ]


def call(client, method, path, body):
    if body is None:
        return getattr(client, method)(path)
    return getattr(client, method)(path, body, **JSON)


@pytest.mark.parametrize("who", ["customer_admin", "customer_viewer", "outsider"])
def test_customers_get_404_on_every_staff_endpoint(
    request, api_client, provider_admin, customers, customer_admin, who
):
    offer = make_offer(provider_admin)
    response_row = accept(offer, customer_admin, customers[0])
    client = api_client(request.getfixturevalue(who))
    for method, path, body in staff_endpoints(offer.pk, response_row.pk):
        assert call(client, method, path, body).status_code == 404, (method, path)
    assert Offer.objects.count() == 1 and Offer.objects.get().title != "Taken"


def test_an_account_manager_cannot_see_or_change_another_managers_offer(
    api_client, account_manager, provider_admin
):
    from kundportal.accounts.models import User

    nils = User.objects.create_user("nils@provider.example", "x", provider_role="manager")
    theirs = make_offer(nils)
    wide = make_offer(provider_admin)
    client = api_client(account_manager)
    listed = client.get("/api/v1/offers/manage").json()
    assert {item["id"] for item in listed["items"]} == {str(wide.pk)}
    for method, path, body in staff_endpoints(theirs.pk, theirs.pk)[3:]:
        assert call(client, method, path, body).status_code == 404, (method, path)
    assert client.patch(f"/api/v1/offers/manage/{wide.pk}", {"title": "Mine"}, **JSON).status_code == 403
    assert client.post(f"/api/v1/offers/manage/{wide.pk}/publish").status_code == 403
    assert client.get(f"/api/v1/offers/manage/{wide.pk}").json()["can_change"] is False


def test_forged_ids_are_not_found(api_client, provider_admin):
    client = api_client(provider_admin)
    missing = "0b6f3c1e-8d5e-4a7b-9c1d-2e3f4a5b6c7d"
    assert client.get(f"/api/v1/offers/manage/{missing}").status_code == 404
    assert client.post("/api/v1/offers/preview", {"offer_id": missing}, **JSON).status_code == 404
    offer = make_offer(provider_admin)
    assert client.post(f"/api/v1/offers/manage/{offer.pk}/acceptances/{missing}/handle").status_code == 404


def test_the_list_takes_a_constant_number_of_queries(
    api_client, provider_admin, customers, customer_admin, django_assert_max_num_queries
):
    from kundportal.commerce.tests.factories import make_category, make_product

    category = make_category("Plotters")
    product = make_product("P-1", category=category)
    for n in range(20):
        offer = make_offer(
            provider_admin,
            title=f"Offer {n}",
            products=[product.pk],
            categories=[category.pk],
            target={"purchased_categories": [str(category.pk)]},
        )
        accept(offer, customer_admin, customers[0])
    client = api_client(provider_admin)
    with django_assert_max_num_queries(10):
        items = client.get("/api/v1/offers/manage?limit=20").json()["items"]
    assert len(items) == 20 and all(item["target_summary"] == ["Bought from Plotters"] for item in items)

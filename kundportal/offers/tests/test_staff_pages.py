"""The provider's offer pages under /offers/manage/: list, form (without JavaScript too), the htmx preview,
detail with acceptances, publish/end/duplicate/handled. Customers get 404 everywhere."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from kundportal.offers.models import Offer, OfferImage, OfferStatus
from kundportal.offers.tests.test_images import picture
from kundportal.offers.tests.test_staff_services import accept, make_offer

pytestmark = pytest.mark.django_db


def form_data(**changes):
    today = timezone.localdate()
    data = {
        "title": "Plotter paper",
        "body": "Twenty per cent off every roll.",
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=14)).isoformat(),
        "discount_percent": "20",
        "currency": "",
        "price": "",
        "products": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def upload(data: bytes, name: str = "offer.png"):
    stream = io.BytesIO(data)
    stream.name = name
    return stream


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- List -------------------------------------------------------------------------------------------------


def test_the_list_explains_itself_when_there_are_no_offers(login, provider_admin):
    response = login(provider_admin).get("/offers/manage/")
    assert response.status_code == 200
    assert "No offers yet." in text(response)
    assert 'href="/offers/manage/new/"' in text(response)


def test_the_list_shows_status_validity_target_reach_and_response_counts(
    login, provider_admin, customers, customer_admin, outsider
):
    acme, other = customers
    offer = make_offer(provider_admin, title="Plotters", target={"countries": ["SE", "DE"]})
    offer = Offer.objects.get(pk=offer.pk)
    from kundportal.offers import services

    services.publish_offer(actor=provider_admin, offer=offer)
    accept(offer, customer_admin, acme)
    response_row = accept(offer, outsider, other)
    response_row.accepted_at = None
    response_row.dismissed_at = timezone.now()
    response_row.save()
    page = text(login(provider_admin).get("/offers/manage/"))
    assert "Plotters" in page and "Live" in page
    assert "Customers in Germany or Sweden" in page or "Customers in Sweden or Germany" in page
    assert re.search(r'data-label="Reach">2<', page)
    assert re.search(r'data-label="Views">2<', page)
    assert re.search(r'data-label="Acceptances">1<', page)
    assert re.search(r'data-label="Dismissals">1<', page)
    drafts = text(login(provider_admin).get("/offers/manage/?status=draft"))
    assert "No offers with this status." in drafts


@pytest.mark.parametrize("count", [1, 20])
def test_the_list_takes_the_same_number_of_queries_for_1_or_20_offers(
    login, provider_admin, customers, customer_admin, count, django_assert_max_num_queries
):
    from kundportal.commerce.tests.factories import make_category, make_interest

    hardware = make_interest("hardware")
    plotters = make_category("Plotters", hardware)
    for n in range(count):
        offer = make_offer(
            provider_admin,
            title=f"Offer {n}",
            target={"declared_interests": [str(hardware.pk)], "purchased_categories": [str(plotters.pk)]},
        )
        accept(offer, customer_admin, customers[0])
    client = login(provider_admin)
    client.get("/offers/manage/")  # warm the session and the caches
    with django_assert_max_num_queries(6):
        response = client.get("/offers/manage/")
    assert text(response).count("Declared interest in Hardware") == count


# --- Form -------------------------------------------------------------------------------------------------


def test_it_creates_a_draft_with_a_picture_without_javascript(login, provider_admin, customers):
    response = login(provider_admin).post(
        "/offers/manage/new/",
        {**form_data(countries=["SE"]), "image": upload(picture("PNG", (50, 40))), "alt_text": "A plotter"},
    )
    offer = Offer.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/offers/manage/{offer.pk}/"
    assert (offer.status, offer.discount_percent, offer.target) == (
        OfferStatus.DRAFT,
        20,
        {"countries": ["SE"]},
    )
    image = OfferImage.objects.get(offer=offer)
    assert (image.width, image.height, image.alt_text) == (50, 40, "A plotter")
    shown = login(provider_admin).get(f"/offers/manage/{offer.pk}/image/")
    assert shown.status_code == 200 and shown.content == picture("PNG", (50, 40))
    assert shown["Content-Type"] == "image/png"


def test_it_shows_every_error_next_to_its_field_and_in_a_summary(login, provider_admin, customers):
    today = timezone.localdate()
    response = login(provider_admin).post(
        "/offers/manage/new/",
        form_data(
            title="",
            body="<script>x</script>",
            ends_on=(today - timedelta(days=1)).isoformat(),
            price="10",
            orders_min="5",
            orders_max="2",
        ),
    )
    assert response.status_code == 400
    page = text(response)
    assert 'role="alert"' in page and "Nothing was saved" in page
    for field in ("title", "body", "ends_on", "currency", "discount_percent"):
        assert f'href="#field-{field}"' in page, field
    assert "HTML tags" in page
    assert "This day has passed" in page
    assert not Offer.objects.exists()


def test_a_target_error_is_shown_at_its_criterion(login, provider_admin, customers):
    response = login(provider_admin).post("/offers/manage/new/", form_data(orders_min="5", orders_max="2"))
    assert response.status_code == 400
    assert 'href="#field-orders_max"' in text(response)
    assert "The maximum is below the minimum." in text(response)


def test_a_text_file_named_like_a_picture_is_refused_next_to_the_field(login, provider_admin):
    response = login(provider_admin).post(
        "/offers/manage/new/", {**form_data(), "image": upload(b"Hello, I am text.\n", "offer.png")}
    )
    assert response.status_code == 400
    assert "This file is not an image." in text(response)
    assert not Offer.objects.exists() and not OfferImage.objects.exists()


def test_an_oversized_picture_is_refused_without_keeping_it(login, provider_admin, settings):
    from kundportal.offers.images import MAX_IMAGE_BYTES

    big = b"\x89PNG\r\n\x1a\n" + b"\x00" * MAX_IMAGE_BYTES
    response = login(provider_admin).post("/offers/manage/new/", {**form_data(), "image": upload(big)})
    assert response.status_code == 400
    assert "larger than 5 MB" in text(response)
    assert not Offer.objects.exists()


def test_without_javascript_the_preview_button_shows_the_reach_and_saves_nothing(
    login, provider_admin, customers
):
    response = login(provider_admin).post(
        "/offers/manage/new/", {**form_data(countries=["NO", "SE"]), "action": "preview"}
    )
    assert response.status_code == 200
    page = text(response)
    assert re.search(r'<span class="stat">1</span> of 2', page)
    assert not Offer.objects.exists()


def test_the_htmx_preview_warns_about_a_target_that_matches_nobody_or_everyone(
    login, provider_admin, customers
):
    client = login(provider_admin)
    nobody = text(
        client.post("/offers/manage/preview/", {"countries": ["NO"]}, headers={"HX-Request": "true"})
    )
    assert "matches no customer" in nobody and '<span class="stat">0</span> of 2' in nobody
    everyone = text(client.post("/offers/manage/preview/", {"kinds": ["company"]}))
    assert "matches every customer" in everyone
    empty = text(client.post("/offers/manage/preview/", {}))
    assert "No criteria are chosen: the offer is for every customer." in empty
    assert "matches every customer" not in empty
    bad = text(client.post("/offers/manage/preview/", {"orders_min": "9", "orders_max": "1"}))
    assert "Correct these criteria" in bad and "At most this many orders" in bad


def test_the_edit_form_is_filled_in_and_saves_changes(login, provider_admin, customers):
    offer = make_offer(provider_admin, target={"countries": ["SE"]}, discount_percent=10)
    client = login(provider_admin)
    page = text(client.get(f"/offers/manage/{offer.pk}/edit/"))
    assert 'value="Plotter paper, 20 % off"' in page
    assert '<option value="SE" selected>' in page
    assert f'name="offer" value="{offer.pk}"' in page  # the preview counts in the offer's scope
    response = client.post(f"/offers/manage/{offer.pk}/edit/", form_data(title="Paper", kinds=["company"]))
    assert response.status_code == 302
    offer.refresh_from_db()
    assert (offer.title, offer.target) == ("Paper", {"kinds": ["company"]})


def test_the_picture_can_be_replaced_and_removed_from_the_form(
    login, provider_admin, django_capture_on_commit_callbacks
):
    client = login(provider_admin)
    client.post("/offers/manage/new/", {**form_data(), "image": upload(picture("PNG"))})
    offer = Offer.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/offers/manage/{offer.pk}/edit/", {**form_data(), "image": upload(picture("JPEG"), "b.jpg")}
        )
    assert OfferImage.objects.get().content_type == "image/jpeg"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/offers/manage/{offer.pk}/edit/", {**form_data(), "remove_image": "on"})
    assert not OfferImage.objects.exists()


# --- Detail, publish, end ---------------------------------------------------------------------------------


def test_the_detail_warns_before_publishing_a_target_that_matches_nobody(login, provider_admin, customers):
    offer = make_offer(provider_admin, target={"countries": ["NO"]})
    client = login(provider_admin)
    page = text(client.get(f"/offers/manage/{offer.pk}/"))
    assert "matches no customer" in page and 'aria-describedby="publish-blocked"' in page
    response = client.post(f"/offers/manage/{offer.pk}/publish/", follow=True)
    assert "matches no customer" in text(response)
    assert Offer.objects.get().status == OfferStatus.DRAFT


def test_publishing_an_expired_offer_is_refused_with_its_end_date(login, provider_admin, customers):
    offer = make_offer(provider_admin)
    ended = timezone.localdate() - timedelta(days=3)
    Offer.objects.filter(pk=offer.pk).update(starts_on=ended - timedelta(days=5), ends_on=ended)
    client = login(provider_admin)
    assert "period ended on" in text(client.get(f"/offers/manage/{offer.pk}/"))
    response = client.post(f"/offers/manage/{offer.pk}/publish/", follow=True)
    assert "period ended on" in text(response)
    assert Offer.objects.get().status == OfferStatus.DRAFT


def test_publish_then_end_from_the_detail_page(login, provider_admin, customers):
    offer = make_offer(provider_admin)
    client = login(provider_admin)
    page = text(client.post(f"/offers/manage/{offer.pk}/publish/", follow=True))
    assert "is published. It matches 2 customers today." in page
    assert "End offer now" in page and "csrfmiddlewaretoken" in page
    page = text(client.post(f"/offers/manage/{offer.pk}/end/", follow=True))
    assert "has ended" in page
    assert Offer.objects.get().status == OfferStatus.ENDED
    assert client.get(f"/offers/manage/{offer.pk}/edit/").status_code == 302  # ended: back to the detail


def test_state_changes_are_posts(login, provider_admin):
    offer = make_offer(provider_admin)
    client = login(provider_admin)
    for action in ("publish", "end", "duplicate"):
        assert client.get(f"/offers/manage/{offer.pk}/{action}/").status_code == 405


def test_duplicate_opens_the_copy_in_the_form(login, provider_admin):
    offer = make_offer(provider_admin)
    response = login(provider_admin).post(f"/offers/manage/{offer.pk}/duplicate/")
    copy = Offer.objects.exclude(pk=offer.pk).get()
    assert response["Location"] == f"/offers/manage/{copy.pk}/edit/"


def test_acceptances_are_listed_and_marked_handled(
    login, account_manager, provider_admin, customers, customer_admin, outsider
):
    acme, other = customers
    offer = make_offer(provider_admin)
    from kundportal.offers import services

    services.publish_offer(actor=provider_admin, offer=offer)
    mine = accept(offer, customer_admin, acme, message="Please call me on Monday")
    theirs = accept(offer, outsider, other, message="Not for Mads")
    client = login(account_manager)
    page = text(client.get(f"/offers/manage/{offer.pk}/"))
    assert "Please call me on Monday" in page and "Acme AB" in page and "Carl Customer" in page
    assert "Not for Mads" not in page  # another manager's customer
    assert "Acceptances from your customers" in page
    assert client.post(f"/offers/manage/{offer.pk}/acceptances/{theirs.pk}/handled/").status_code == 404
    response = client.post(f"/offers/manage/{offer.pk}/acceptances/{mine.pk}/handled/", follow=True)
    assert "marked as handled" in text(response)
    mine.refresh_from_db()
    assert mine.handled_by == account_manager


def test_the_empty_acceptance_list_says_what_will_appear(login, provider_admin):
    offer = make_offer(provider_admin)
    assert "No acceptances yet." in text(login(provider_admin).get(f"/offers/manage/{offer.pk}/"))


# --- Who may see what -------------------------------------------------------------------------------------


def staff_routes(offer, response_id):
    base = f"/offers/manage/{offer.pk}"
    return [
        ("get", "/offers/manage/"),
        ("get", "/offers/manage/new/"),
        ("post", "/offers/manage/new/"),
        ("post", "/offers/manage/preview/"),
        ("get", f"{base}/"),
        ("get", f"{base}/edit/"),
        ("post", f"{base}/edit/"),
        ("get", f"{base}/image/"),
        ("post", f"{base}/publish/"),
        ("post", f"{base}/end/"),
        ("post", f"{base}/duplicate/"),
        ("post", f"{base}/acceptances/{response_id}/handled/"),
    ]


@pytest.mark.parametrize("who", ["customer_admin", "customer_viewer", "outsider"])
def test_customers_get_404_on_every_staff_page(
    request, login, provider_admin, customers, customer_admin, who
):
    offer = make_offer(provider_admin)
    response_row = accept(offer, customer_admin, customers[0])
    client = login(request.getfixturevalue(who))
    for method, path in staff_routes(offer, response_row.pk):
        assert getattr(client, method)(path).status_code == 404, (method, path)
    assert Offer.objects.count() == 1 and Offer.objects.get().status == OfferStatus.DRAFT


def test_an_account_manager_cannot_see_or_change_another_managers_offer(
    login, account_manager, provider_admin, customers
):
    from kundportal.accounts.models import User
    from kundportal.offers.tests.test_staff_services import make_offer as offer_of

    nils = User.objects.create_user("nils@provider.example", "x", provider_role="manager")
    theirs = offer_of(nils, title="Nils' secret offer")
    wide = offer_of(provider_admin, title="For everyone")
    client = login(account_manager)
    listing = text(client.get("/offers/manage/"))
    assert "For everyone" in listing and "Nils' secret offer" not in listing
    for method, path in staff_routes(theirs, theirs.pk)[4:]:
        assert getattr(client, method)(path).status_code == 404, (method, path)
    # The provider-wide offer: read, but no changes (403), and no change buttons.
    page = text(client.get(f"/offers/manage/{wide.pk}/"))
    assert "Publish" not in page and f"/offers/manage/{wide.pk}/edit/" not in page
    assert client.get(f"/offers/manage/{wide.pk}/edit/").status_code == 403
    assert client.post(f"/offers/manage/{wide.pk}/publish/").status_code == 403
    assert Offer.objects.get(pk=wide.pk).status == OfferStatus.DRAFT


def test_forged_ids_are_not_found(login, provider_admin):
    client = login(provider_admin)
    missing = "0b6f3c1e-8d5e-4a7b-9c1d-2e3f4a5b6c7d"
    assert client.get(f"/offers/manage/{missing}/").status_code == 404
    assert client.post(f"/offers/manage/{missing}/publish/").status_code == 404
    assert client.post("/offers/manage/preview/", {"offer": "not-a-uuid"}).status_code == 404
    offer = make_offer(provider_admin)
    assert client.post(f"/offers/manage/{offer.pk}/acceptances/{missing}/handled/").status_code == 404
    assert client.get(f"/offers/manage/{offer.pk}/image/").status_code == 404

"""The customers' offers pages and the offers card on the overview: listing, consent, accepting, dismissing,
the picture, who may do what, and that pages stay fast and quiet as offers grow."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kundportal.audit.models import Action, AuditEvent
from kundportal.commerce.tests.factories import make_interest, make_product
from kundportal.customers.models import CustomerInterest
from kundportal.messaging.delivery import send_due
from kundportal.messaging.models import Notification
from kundportal.offers.models import OfferResponse
from kundportal.offers.targeting import Target
from kundportal.offers.tests.customer_offers import consent, make_offer
from kundportal.organisations.models import Membership

pytestmark = pytest.mark.django_db


def page(client: Any, path: str = "/offers/") -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.fixture
def drawing(organisation: Any) -> Any:
    interest = make_interest("drawing", "Drawing software")
    CustomerInterest.objects.create(organisation=organisation, category=interest, declared=True)
    return interest


@pytest.fixture
def targeted(drawing: Any) -> Any:
    """An offer picked on personal data: Acme chose the interest."""
    return make_offer("Tablet for artists", target=Target(declared_interests=(drawing.pk,)))


@pytest.fixture
def for_all() -> Any:
    return make_offer("Free delivery", discount_percent=20)


def png(width: int = 4, height: int = 3) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "#1f5fae").save(buffer, format="PNG")
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------------------
# The list


def test_it_lists_the_offers_with_price_products_and_why(login, customer_member, for_all):
    priced = make_offer("Plotter", price=Decimal("1234.50"), currency="SEK")
    priced.products.add(make_product("PLOT-1", "Plotter XL"))
    html = page(login(customer_member))
    assert "Free delivery" in html and "20% off" in html
    assert "Plotter XL" in html and "SEK 1,234.50" in html
    assert "Why am I seeing this?" in html and "This offer is for every customer." in html
    assert html.count('action="/offers/') >= 4  # accept and dismiss, for each
    assert "Personalised offers: off" in html


def test_prices_are_written_as_the_reader_writes_them(login, customer_member):
    make_offer("Plotter", price=Decimal("1234.50"), currency="EUR")
    client = login(customer_member)
    client.cookies["kp_language"] = "de"
    assert "1.234,50" in page(client)


def test_an_empty_page_says_what_will_appear(login, customer_member):
    html = page(login(customer_member))
    assert "No offers for every customer at the moment" in html
    consent(customer_member)
    assert "No offers for you at the moment" in page(login(customer_member))


def test_staff_are_sent_to_their_own_offers_pages(login, account_manager):
    response = login(account_manager).get("/offers/")
    assert response.status_code == 302 and response.url == "/offers/manage/"


def test_someone_in_several_organisations_chooses_between_them(
    login, customer_admin, organisation, other_organisation
):
    Membership.objects.create(organisation=other_organisation, user=customer_admin, role="viewer")
    make_offer("Only for Other", target=Target(kinds=("private",)))
    other_organisation.kind = "private"
    other_organisation.save()
    client = login(customer_admin)
    html = page(client)
    assert "Acme AB" in html and f"/offers/for/{other_organisation.pk}/" in html
    assert "Only for Other" not in html
    html = page(client, f"/offers/for/{other_organisation.pk}/")
    assert "Only for Other" in html
    assert "Only its admins and members can accept them" in html  # a viewer there


# ---------------------------------------------------------------------------------------------------------
# Consent


def test_a_personal_offer_shows_only_while_the_user_consents(login, customer_member, targeted, for_all):
    client = login(customer_member)
    html = page(client)
    assert "Free delivery" in html and "Tablet for artists" not in html
    assert "Allow personalised offers" in html
    assert client.get(f"/offers/{targeted.pk}/").status_code == 404

    response = client.post(
        "/privacy/consents/personalised_offers/", {"granted": "1", "next": "/offers/"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/offers/"
    html = response.content.decode()
    assert "Tablet for artists" in html and "Personalised offers: on" in html
    assert "You chose the interest Drawing software." in html
    assert client.get(f"/offers/{targeted.pk}/").status_code == 200

    client.post("/privacy/consents/personalised_offers/", {"granted": "0", "next": "/offers/"})
    html = page(client)
    assert "Tablet for artists" not in html and "Free delivery" in html
    assert client.get(f"/offers/{targeted.pk}/").status_code == 404
    assert "Tablet for artists" not in page(client, "/")


def test_consent_is_each_users_own(login, customer_member, customer_admin, targeted):
    consent(customer_admin)
    assert "Tablet for artists" in page(login(customer_admin))
    assert "Tablet for artists" not in page(login(customer_member))


def test_consent_to_an_earlier_wording_does_not_count(login, customer_member, targeted, monkeypatch):
    from kundportal.privacy import purposes

    consent(customer_member)
    newer = purposes.Purpose(
        key="personalised_offers", version=2, title=purposes.PERSONALISED_OFFERS.title, wording="New"
    )
    monkeypatch.setattr("kundportal.offers.access.PERSONALISED_OFFERS", newer)
    assert "Tablet for artists" not in page(login(customer_member))


# ---------------------------------------------------------------------------------------------------------
# Dismissing


def test_a_dismissed_offer_is_never_shown_again(login, customer_member, customer_admin, for_all):
    client = login(customer_member)
    assert "Free delivery" in page(client, "/")
    response = client.post(f"/offers/{for_all.pk}/dismiss/", {"next": "/"}, follow=True)
    assert response.redirect_chain == [("/", 302)]
    html = response.content.decode()
    assert "“Free delivery” is dismissed: it will not be shown to you again." in html
    assert f"/offers/{for_all.pk}/" not in html
    assert "Free delivery" not in page(client)
    assert "Free delivery" not in page(client, "/")
    assert client.get(f"/offers/{for_all.pk}/").status_code == 404
    assert client.post(f"/offers/{for_all.pk}/accept/").status_code == 404
    # Dismissing again (a double click) changes nothing and is no error.
    dismissed_at = OfferResponse.objects.get(user=customer_member).dismissed_at
    assert client.post(f"/offers/{for_all.pk}/dismiss/").status_code == 302
    assert OfferResponse.objects.get(user=customer_member).dismissed_at == dismissed_at
    # Only for the person who dismissed it.
    assert "Free delivery" in page(login(customer_admin))


def test_a_viewer_may_dismiss_for_themself(login, customer_viewer, for_all):
    client = login(customer_viewer)
    assert client.post(f"/offers/{for_all.pk}/dismiss/", follow=True).status_code == 200
    assert "Free delivery" not in page(client)


def test_the_dismiss_button_returns_only_to_this_site(login, customer_member, for_all):
    response = login(customer_member).post(
        f"/offers/{for_all.pk}/dismiss/", {"next": "https://evil.example/"}
    )
    assert response.url == "/offers/"


# ---------------------------------------------------------------------------------------------------------
# Accepting


def test_accepting_asks_the_account_manager_once(
    login, customer_member, account_manager, for_all, mailoutbox, django_capture_on_commit_callbacks
):
    client = login(customer_member)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/offers/{for_all.pk}/accept/", {"message": "Please call me on Monday."}, follow=True
        )
    assert "Your account manager was told" in response.content.decode()
    response_row = OfferResponse.objects.get(offer=for_all, user=customer_member)
    assert response_row.accepted_at is not None and response_row.message == "Please call me on Monday."
    assert response_row.organisation.name == "Acme AB"
    # The account manager is notified; the email comes through the notification outbox, after batching.
    assert Notification.objects.filter(recipient=account_manager, category="offer_accepted").count() == 1
    send_due(now=timezone.now() + timedelta(hours=1))
    assert [m.to for m in mailoutbox] == [[account_manager.email]]
    assert "Free delivery" in mailoutbox[0].subject and "Acme AB" in mailoutbox[0].subject
    assert f"/offers/manage/{for_all.pk}/" in mailoutbox[0].body  # the staff page with the acceptances
    assert "Please call me on Monday." not in mailoutbox[0].body  # read on the offer's page, not in email
    assert AuditEvent.objects.filter(action=Action.OFFER_ACCEPTED).count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/offers/{for_all.pk}/accept/", {"message": "Again"}, follow=True)
    assert "You accepted this offer already" in response.content.decode()
    send_due(now=timezone.now() + timedelta(hours=2))
    assert len(mailoutbox) == 1
    assert AuditEvent.objects.filter(action=Action.OFFER_ACCEPTED).count() == 1
    assert (
        OfferResponse.objects.get(offer=for_all, user=customer_member).message == "Please call me on Monday."
    )
    html = page(client)
    assert "You accepted this offer on" in html and "Free delivery" in html


def test_a_customer_nobody_looks_after_reaches_the_provider_admins(
    login, outsider, provider_admin, for_all, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        login(outsider).post(f"/offers/{for_all.pk}/accept/")
    send_due(now=timezone.now() + timedelta(hours=1))
    assert [m.to for m in mailoutbox] == [[provider_admin.email]]


def test_a_message_with_a_card_number_is_refused(login, customer_member, for_all, mailoutbox):
    client = login(customer_member)
    response = client.post(
        f"/offers/{for_all.pk}/accept/", {"message": "Card 4111 1111 1111 1111"}, follow=True
    )
    assert response.status_code == 200
    assert not OfferResponse.objects.filter(accepted_at__isnull=False).exists()


def test_a_viewer_sees_offers_but_may_not_accept(login, customer_viewer, for_all):
    client = login(customer_viewer)
    html = page(client)
    assert "Free delivery" in html and "Accept offer" not in html
    assert "Only its admins and members can accept them" in html
    assert client.post(f"/offers/{for_all.pk}/accept/").status_code == 403
    assert not OfferResponse.objects.filter(accepted_at__isnull=False).exists()


def test_staff_may_look_at_an_offer_but_not_respond(login, account_manager, for_all):
    client = login(account_manager)
    html = page(client, f"/offers/{for_all.pk}/")
    assert "This is how customers see this offer" in html and "Accept offer" not in html
    assert client.post(f"/offers/{for_all.pk}/accept/").status_code == 403
    assert client.post(f"/offers/{for_all.pk}/dismiss/").status_code == 403
    assert not OfferResponse.objects.exists()


# ---------------------------------------------------------------------------------------------------------
# Outsiders, drafts, expired offers


OFFER_ROUTES = [
    ("get", "/offers/{pk}/"),
    ("get", "/offers/{pk}/image/"),
    ("post", "/offers/{pk}/accept/"),
    ("post", "/offers/{pk}/dismiss/"),
]


def test_an_outsider_gets_404_on_every_route_of_another_customers_offer(
    login, outsider, account_manager, organisation
):
    # Scoped to Mads's customers (Acme): the outsider forges its id.
    scoped = make_offer("Acme special", manager=account_manager)
    client = login(outsider)
    for method, route in OFFER_ROUTES:
        assert getattr(client, method)(route.format(pk=scoped.pk)).status_code == 404, route
    assert client.get(f"/offers/for/{organisation.pk}/").status_code == 404
    assert "Acme special" not in page(client)
    assert not OfferResponse.objects.exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "draft"},
        {"status": "ended"},
        {
            "starts_on": timezone.localdate() - timedelta(days=9),
            "ends_on": timezone.localdate() - timedelta(1),
        },
    ],
    ids=["draft", "ended", "expired"],
)
def test_offers_that_are_not_live_are_not_found(login, customer_member, fields):
    offer = make_offer("Not live", **fields)
    client = login(customer_member)
    for method, route in OFFER_ROUTES:
        assert getattr(client, method)(route.format(pk=offer.pk)).status_code == 404, route
    assert not OfferResponse.objects.exists()


# ---------------------------------------------------------------------------------------------------------
# The offer's page and picture


def test_the_offer_page_explains_why(login, customer_member, targeted):
    consent(customer_member)
    html = page(login(customer_member), f"/offers/{targeted.pk}/")
    assert "<h1" in html and "Tablet for artists" in html
    assert "Why am I seeing this?" in html and "You chose the interest Drawing software." in html


def test_the_picture_is_served_only_to_those_who_see_the_offer(
    login, customer_member, outsider, provider_admin, account_manager
):
    from kundportal.offers.images import set_offer_image

    scoped = make_offer("Acme special", manager=account_manager)
    data = png()
    set_offer_image(actor=provider_admin, offer=scoped, data=data, alt_text="A blue square")
    response = login(customer_member).get(f"/offers/{scoped.pk}/image/")
    assert response.status_code == 200 and response.content == data
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"].startswith("private")
    html = page(login(customer_member))
    assert f'src="/offers/{scoped.pk}/image/"' in html and 'alt="A blue square"' in html
    assert login(outsider).get(f"/offers/{scoped.pk}/image/").status_code == 404


def test_an_offer_without_picture_has_no_picture_route(login, customer_member, for_all):
    assert login(customer_member).get(f"/offers/{for_all.pk}/image/").status_code == 404


# ---------------------------------------------------------------------------------------------------------
# Seen, once


def test_the_first_view_is_recorded_and_later_views_write_nothing(login, customer_member, for_all):
    client = login(customer_member)
    page(client)
    seen = OfferResponse.objects.get(offer=for_all, user=customer_member).seen_at
    assert seen is not None
    with CaptureQueriesContext(connection) as queries:
        page(client)
        page(client, "/")
        page(client, f"/offers/{for_all.pk}/")
    writes = [
        q["sql"] for q in queries.captured_queries if "offers_offerresponse" in q["sql"].split(" WHERE")[0]
    ]
    assert not [sql for sql in writes if sql.startswith(("INSERT", "UPDATE"))]
    assert OfferResponse.objects.get(offer=for_all, user=customer_member).seen_at == seen


def test_an_offer_shown_on_the_overview_counts_as_seen(login, customer_member, for_all):
    page(login(customer_member), "/")
    assert OfferResponse.objects.get(offer=for_all, user=customer_member).seen_at is not None


# ---------------------------------------------------------------------------------------------------------
# The overview


def test_the_overview_shows_at_most_three_offers_and_links_to_all(login, customer_member):
    for n in range(5):
        make_offer(f"Offer number {n}")
    html = page(login(customer_member), "/")
    assert html.count('class="offer-teaser"') == 3
    assert 'href="/offers/"' in html and "Offers for you" in html


def test_the_overview_says_nothing_about_offers_when_there_are_none(login, customer_member, provider_admin):
    assert "Offers for you" not in page(login(customer_member), "/")
    make_offer("For all")
    assert "Offers for you" not in page(login(provider_admin), "/")


# ---------------------------------------------------------------------------------------------------------
# Fast as offers grow


def _offers(count: int, drawing: Any) -> None:
    for n in range(count):
        offer = make_offer(
            f"Offer {n} of {count}",
            target=Target() if n % 2 else Target(declared_interests=(drawing.pk,)),
            price=Decimal("10.00"),
            currency="SEK",
        )
        offer.products.add(make_product(f"SKU-{count}-{n}"))


@pytest.mark.parametrize("path", ["/offers/", "/"])
def test_pages_keep_their_query_count_as_offers_grow(
    login, customer_member, drawing, path, django_assert_max_num_queries
):
    consent(customer_member)
    client = login(customer_member)
    _offers(1, drawing)
    client.get(path)  # the first view records what was seen
    with django_assert_max_num_queries(40) as few:
        page(client, path)
    counted = len(few.captured_queries)  # now: the next request starts a new query log
    _offers(20, drawing)
    client.get(path)
    with django_assert_max_num_queries(counted):
        html = page(client, path)
    assert "Offer 19 of 20" in html or path == "/"
    assert html.count('class="offer-teaser"') == (3 if path == "/" else 0)


def test_the_overview_matches_all_its_offers_in_one_query(login, customer_member, drawing):
    consent(customer_member)
    client = login(customer_member)
    client.get("/")
    with CaptureQueriesContext(connection) as without:
        page(client, "/")
    _offers(20, drawing)
    client.get("/")
    with CaptureQueriesContext(connection) as with_offers:
        page(client, "/")
    # The candidates are read either way; with some, the consent (one is personal) and one match of all.
    assert len(with_offers.captured_queries) - len(without.captured_queries) == 2

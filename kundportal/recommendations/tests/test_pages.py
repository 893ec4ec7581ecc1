"""The provider's recommendations page with its recompute, and "You might also need" on the purchase history."""

from __future__ import annotations

from kundportal.recommendations import engine, progress
from kundportal.recommendations.models import Recommendation


def test_a_provider_admin_sees_the_page_and_recomputes(login, provider_admin, shop):
    client = login(provider_admin)

    page = client.get("/recommendations/")
    assert page.status_code == 200
    assert "Recompute now" in page.text and "Not yet" in page.text

    response = client.post("/recommendations/recompute/", follow=True)

    assert response.redirect_chain == [("/recommendations/", 302)]
    assert "The recommendations are being recomputed." in response.text
    assert Recommendation.objects.values("organisation").distinct().count() == 9
    assert "Bought together most often" in response.text
    assert "Drawing board A3" in response.text


def test_a_running_recompute_shows_its_progress_and_is_not_started_twice(login, provider_admin, shop):
    client = login(provider_admin)
    progress.Reporter()("lists", 500, 10_000)

    page = client.get("/recommendations/")
    assert "data-import-progress" in page.text and "Recompute now" not in page.text
    status = client.get("/recommendations/recompute/status/").json()
    assert status == {"running": True, "phase": "lists", "done": 500, "total": 10_000, "step": 3, "steps": 3}

    response = client.post("/recommendations/recompute/", follow=True)
    assert "A recompute is running already." in response.text
    assert not Recommendation.objects.exists()


def test_the_page_is_for_provider_admins_only(login, account_manager, customer_admin, shop):
    for user in (account_manager, customer_admin):
        client = login(user)
        assert client.get("/recommendations/").status_code == 404
        assert client.post("/recommendations/recompute/").status_code == 404
        assert client.get("/recommendations/recompute/status/").status_code == 404
    assert not Recommendation.objects.exists()


def test_the_purchase_history_suggests_a_few_products_to_the_customer(
    login, customer_admin, organisation, shop, consent
):
    engine.recompute_all()
    consent(customer_admin)
    client = login(customer_admin)

    for path in ("/orders/", f"/organisations/{organisation.pk}/orders/"):
        page = client.get(path)
        assert "You might also need" in page.text
        assert "Often bought with CAD licence you bought" in page.text
        assert "Our bestsellers" not in page.text


def test_without_consent_the_purchase_history_shows_bestsellers_and_says_so(login, customer_viewer, shop):
    engine.recompute_all()

    page = login(customer_viewer).get("/orders/")

    assert "You might also need" in page.text
    assert "Often bought with" not in page.text
    assert "Our bestsellers, the same for every customer." in page.text


def test_staff_looking_at_a_customer_s_history_see_no_suggestions(login, account_manager, organisation, shop):
    engine.recompute_all()
    page = login(account_manager).get(f"/organisations/{organisation.pk}/orders/")
    assert page.status_code == 200
    assert "You might also need" not in page.text

"""Catalogue and orders of Acme AB for the commerce tests: two SEK products and a EUR one, and orders placed
by Mia (member) and Carl (admin). The roles are the root conftest's: alice (provider admin), mads (Acme's
account manager), carl, mia, vera (Acme's admin, member, viewer), otto (the outsider)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kundportal.commerce.models import OrderStatus
from kundportal.commerce.tests.factories import make_category, make_interest, make_order, make_product

JSON = {"content_type": "application/json"}


@pytest.fixture(autouse=True)
def _own_keyring(settings, tmp_path):
    """Invoices are stored encrypted: each test gets its own master key file."""
    from kundportal.core.crypto.keys import reset_keyring_cache

    settings.MASTER_KEY_FILE = tmp_path / "master.keys"
    reset_keyring_cache()
    yield
    reset_keyring_cache()


@pytest.fixture
def drawing_interest(db):
    return make_interest("drawing-software", "Drawing software", sv="Ritprogram", de="Zeichenprogramme")


@pytest.fixture
def software(drawing_interest):
    return make_category("Software", drawing_interest)


@pytest.fixture
def cad(software):
    return make_product("CAD-1", "CAD Studio licence", price="1200.00", category=software)


@pytest.fixture
def paper(db):
    return make_product("PAP-A3", "Plotter paper A3", price="99.50")


@pytest.fixture
def euro_service(db):
    return make_product("SRV-EU", "Support hour", price="80.00", currency="EUR")


@pytest.fixture
def member_order(organisation, customer_member, cad, paper):
    """Mia's order: 1 licence and 4 packs of paper, confirmed, ten days ago."""
    return make_order(
        organisation,
        (cad, 1),
        (paper, 4),
        placed_by=customer_member,
        status=OrderStatus.CONFIRMED,
        placed_at=timezone.now() - timedelta(days=10),
    )


@pytest.fixture
def admin_order(organisation, customer_admin, paper):
    """Carl's order of paper, delivered, forty days ago."""
    return make_order(
        organisation,
        (paper, 10),
        placed_by=customer_admin,
        status=OrderStatus.DELIVERED,
        placed_at=timezone.now() - timedelta(days=40),
    )


@pytest.fixture
def restricted(organisation):
    """Acme's admin has turned "members see all orders and invoices" off."""
    from kundportal.customers.models import CustomerProfile

    profile, _created = CustomerProfile.objects.get_or_create(organisation=organisation)
    profile.members_see_all_orders = False
    profile.save()
    return profile

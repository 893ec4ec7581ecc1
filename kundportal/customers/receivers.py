"""Signal receivers of the customers app, connected in CustomersConfig.ready.

Orders belong to commerce, interests to customers: rather than commerce calling into customers from every
place an order is created or moves on (pages, API, import), one receiver here notices each saved Order and,
once its transaction has committed (lines included, nothing for a rolled-back order), queues the
recomputation of that organisation's inferred interests. Bulk writes (bulk_create, update) send no signal:
whoever writes orders that way recomputes afterwards (customers.interests.recompute_interests).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction


def order_saved(sender: Any, instance: Any, created: bool, update_fields: Any = None, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return  # loading fixtures
    if not created and update_fields is not None and "status" not in update_fields:
        return  # a total, an invoice link: nothing that changes what was bought
    from kundportal.customers.tasks import recompute_organisation_interests

    enqueue = partial(recompute_organisation_interests.enqueue, str(instance.organisation_id))
    transaction.on_commit(enqueue, using=kwargs.get("using"))

"""Signal receivers of the recommendations app, connected in RecommendationsConfig.ready.

Orders belong to commerce, as they do for the customers app's interests (customers.receivers): one receiver
here notices each saved Order and, once its transaction has committed (lines included, nothing for a
rolled-back order), queues the update of that organisation's list. At most one update waits per organisation
(recommendations.tasks.enqueue_organisation): the saves of one transaction (creating an order saves it twice)
or of an afternoon's orders make one. Bulk writes (bulk_create, update) send no signal: whoever writes orders
that way queues recommendations.tasks.recompute_organisations afterwards, and the nightly recompute catches up
anyway.
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
    from kundportal.recommendations.tasks import enqueue_organisation

    # Robust: the order is committed by then; failing to queue its update must not fail the request (the
    # nightly recompute catches up).
    transaction.on_commit(
        partial(enqueue_organisation, str(instance.organisation_id)), using=kwargs.get("using"), robust=True
    )

"""Demo conversations for `kundportal demo`: one customer question with the account manager's answer and an
internal note, so a fresh portal shows what threads, unread counts and notes look like."""

from __future__ import annotations

from kundportal.accounts.models import User
from kundportal.messaging import threads
from kundportal.messaging.models import Thread
from kundportal.organisations.models import Organisation


def create_demo_conversations(*, manager: User, organisation: Organisation, people: list[User]) -> None:
    if Thread.objects.filter(organisation=organisation).exists():
        return  # the demo ran before: never a second copy
    customer = people[0]
    thread = threads.start_thread(
        actor=customer,
        organisation=organisation,
        subject="Delivery of the facade windows",
        body="Hello! Can the windows be delivered **before week 12**? The scaffolding comes down then.",
    )
    threads.post_message(
        actor=manager,
        thread=thread,
        body="Yes, we can deliver in week 11. I will send the updated delivery note here.\n\n"
        "- 24 windows\n- 2 balcony doors",
    )
    threads.post_message(
        actor=manager,
        thread=thread,
        body="Check with the warehouse that the balcony doors are in stock before confirming the date.",
        internal=True,
    )

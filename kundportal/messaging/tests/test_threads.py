"""The conversation services: starting, replying, notes, unread counts, notifications, audit, close, search."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kundportal.audit.models import Action, AuditEvent
from kundportal.messaging import threads
from kundportal.messaging.access import participants, visible_threads
from kundportal.messaging.models import MESSAGE_MAX, Message, Notification, Thread, ThreadInbox
from kundportal.messaging.tests.thread_fixtures import *  # noqa: F403
from kundportal.messaging.tests.thread_fixtures import MARKER

pytestmark = pytest.mark.django_db


def unread(user, thread):
    row = ThreadInbox.objects.filter(user=user, thread=thread).first()
    return row.unread if row else 0


def test_it_starts_a_thread_with_its_first_message(thread, customer_member):
    message = thread.messages.get()
    assert message.author == customer_member
    assert message.body_html == "<p>When will it <em>arrive</em>?</p>"
    assert thread.last_message_at == thread.last_activity_at
    assert AuditEvent.objects.filter(action=Action.THREAD_STARTED, target_id=str(thread.pk)).exists()


def test_it_counts_unread_for_everyone_but_the_author(
    thread, customer_member, customer_admin, customer_viewer, account_manager
):
    assert unread(customer_member, thread) == 0
    assert ThreadInbox.objects.get(user=customer_member, thread=thread).last_read_at is not None
    assert [unread(u, thread) for u in (customer_admin, customer_viewer, account_manager)] == [1, 1, 1]
    threads.post_message(actor=account_manager, thread=thread, body="Next week.")
    assert [unread(u, thread) for u in (customer_admin, customer_member, account_manager)] == [2, 1, 0]


def test_it_notifies_participants_but_not_the_author(
    thread, customer_member, account_manager, customer_viewer
):
    recipients = set(
        Notification.objects.filter(category="message").values_list("recipient__email", flat=True)
    )
    assert customer_member.email not in recipients
    assert {account_manager.email, customer_viewer.email} <= recipients
    note = Notification.objects.filter(recipient=account_manager).get()
    assert note.params == {
        "thread": str(thread.pk),
        "subject": "Delivery date",
        "author": customer_member.display_name,
        "internal": False,
    }
    assert note.url == f"/messages/{thread.pk}/"


def test_internal_notes_count_and_notify_staff_only(thread, account_manager, provider_admin, customer_admin):
    Notification.objects.all().delete()
    threads.post_message(actor=provider_admin, thread=thread, body="Careful", internal=True)
    assert unread(customer_admin, thread) == 1  # unchanged since the first message
    assert unread(account_manager, thread) == 2
    assert list(Notification.objects.values_list("recipient", flat=True)) == [account_manager.pk]
    assert Notification.objects.get().params["internal"] is True
    thread.refresh_from_db()
    assert thread.last_activity_at > thread.last_message_at
    event = AuditEvent.objects.get(action=Action.NOTE_ADDED)
    assert "Careful" not in str(event.data) and "Careful" not in event.target_label


def test_customers_may_not_post_internal_notes(thread, customer_admin):
    with pytest.raises(PermissionDenied):
        threads.post_message(actor=customer_admin, thread=thread, body="sneaky", internal=True)
    assert not Message.objects.filter(internal=True).exists()


def test_viewers_may_not_write(thread, customer_viewer, organisation):
    with pytest.raises(PermissionDenied):
        threads.post_message(actor=customer_viewer, thread=thread, body="hi")
    with pytest.raises(PermissionDenied):
        threads.start_thread(actor=customer_viewer, organisation=organisation, subject="s", body="b")
    with pytest.raises(PermissionDenied):
        threads.close_thread(actor=customer_viewer, thread=thread)


@pytest.mark.parametrize(
    ("subject", "body", "field"),
    [
        ("", "text", "subject"),
        ("   ", "text", "subject"),
        ("<b>x</b>", "text", "subject"),
        ("Hi", "", "body"),
        ("Hi", "x" * (MESSAGE_MAX + 1), "body"),
        ("Hi", "a\x00b", "body"),
        ("Hi", "card 4111 1111 1111 1111", "body"),
    ],
)
def test_it_refuses_bad_input_and_keeps_nothing(customer_member, organisation, subject, body, field):
    with pytest.raises(ValidationError) as error:
        threads.start_thread(actor=customer_member, organisation=organisation, subject=subject, body=body)
    assert field in error.value.message_dict
    assert not Thread.objects.exists()


def test_it_refuses_100_kb_with_a_clear_error(thread, customer_member):
    with pytest.raises(ValidationError) as error:
        threads.post_message(actor=customer_member, thread=thread, body="a" * 100_000)
    assert "at most 20000 characters" in error.value.message_dict["body"][0]
    assert thread.messages.count() == 1


def test_a_thread_is_about_one_thing_of_its_own_organisation(
    customer_member, organisation, drawing, other_organisation, outsider
):
    from kundportal.documents.models import Folder

    with pytest.raises(ValidationError):
        threads.start_thread(
            actor=outsider, organisation=other_organisation, subject="s", body="b", document=drawing
        )
    other = threads.start_thread(
        actor=customer_member, organisation=organisation, subject="s", body="b", document=drawing
    )
    assert other.document == drawing
    assert Folder.objects.count() == 1


def test_a_reply_reopens_a_closed_thread_and_a_note_does_not(thread, customer_member, account_manager):
    threads.close_thread(actor=account_manager, thread=thread)
    threads.post_message(actor=account_manager, thread=thread, body="note", internal=True)
    thread.refresh_from_db()
    assert thread.is_closed
    threads.post_message(actor=customer_member, thread=thread, body="One more thing")
    thread.refresh_from_db()
    assert not thread.is_closed
    assert AuditEvent.objects.filter(action=Action.THREAD_REOPENED).count() == 1


def test_close_and_reopen_are_recorded(thread, customer_admin):
    threads.close_thread(actor=customer_admin, thread=thread)
    threads.close_thread(actor=customer_admin, thread=thread)
    assert thread.closed_by == customer_admin
    threads.reopen_thread(actor=customer_admin, thread=thread)
    assert thread.closed_at is None
    actions = list(AuditEvent.objects.filter(target_id=str(thread.pk)).values_list("action", flat=True))
    assert actions.count(Action.THREAD_CLOSED) == 1 and actions.count(Action.THREAD_REOPENED) == 1


def test_mark_read_clears_the_count(thread, customer_admin):
    threads.mark_read(user=customer_admin, thread=thread)
    assert unread(customer_admin, thread) == 0


def test_search_finds_subjects_and_bodies_but_never_notes_for_customers(
    noted_thread, customer_admin, account_manager
):
    assert list(threads.search_threads(customer_admin, "delivery")) == [noted_thread]
    assert list(threads.search_threads(customer_admin, "arrive")) == [noted_thread]
    assert list(threads.search_threads(customer_admin, MARKER)) == []
    assert list(threads.search_threads(account_manager, MARKER)) == [noted_thread]


def test_members_limited_to_their_own_orders_see_only_those_threads(
    organisation, customer_admin, customer_member, customer_viewer, account_manager
):
    from kundportal.commerce.tests.factories import make_order, make_product
    from kundportal.customers.models import CustomerProfile

    order = make_order(organisation, (make_product("SKU-1"), 1), placed_by=customer_admin)
    CustomerProfile.objects.update_or_create(
        organisation=organisation, defaults={"members_see_all_orders": False}
    )
    thread = threads.start_thread(
        actor=account_manager, organisation=organisation, subject="Your order", body="b", order=order
    )
    assert not visible_threads(customer_member).filter(pk=thread.pk).exists()
    assert visible_threads(customer_admin).filter(pk=thread.pk).exists()
    people = {user.email for user in participants(thread)}
    assert people == {customer_admin.email, account_manager.email}
    assert unread(customer_member, thread) == 0


def test_threads_about_internal_documents_are_staff_only(organisation, account_manager, customer_admin):
    from kundportal.documents.models import Folder, FolderAccess

    internal = Folder.objects.create(organisation=organisation, name="Internal", access=FolderAccess.INTERNAL)
    document = stored(account_manager, internal, "margin.xlsx").document  # noqa: F405
    thread = threads.start_thread(
        actor=account_manager, organisation=organisation, subject="Margin", body="b", document=document
    )
    assert not visible_threads(customer_admin).filter(pk=thread.pk).exists()
    assert {user.email for user in participants(thread)} == {account_manager.email}


def test_outsiders_see_nothing(thread, outsider, other_thread):
    assert list(visible_threads(outsider)) == [other_thread]

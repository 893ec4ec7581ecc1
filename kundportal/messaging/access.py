"""Who sees which conversations and messages, built on the tenancy policy (organisations.access).

A thread is visible to the people of its organisation (and its provider staff) who may see what it is about:
a thread about a document follows the document (an upload-only folder's document only for who uploaded to
it, an internal folder's never for customers), a thread about an order follows the order (members may be
limited to their own orders), a thread about an offer or about nothing is for everyone in the organisation.

Internal notes (`Message.internal`) exist only for provider staff: every query for customers filters them
out in the query itself, never in a template.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from kundportal.accounts.models import User
from kundportal.commerce.models import Order
from kundportal.customers.models import CustomerProfile
from kundportal.documents.access import visible_documents
from kundportal.documents.models import Document, DocumentVersion, FolderAccess
from kundportal.messaging.models import Message, Thread
from kundportal.organisations.access import (
    OrganisationAccess,
    is_provider_staff,
    organisation_access,
    parse_uuid,
)
from kundportal.organisations.models import CustomerRole, Membership, Organisation


def visible_threads(user: Any) -> QuerySet[Thread]:
    threads = Thread.objects.filter(organisation__in=Organisation.objects.visible_to(user))
    if is_provider_staff(user):
        return threads  # staff see every document and order of the organisations they see
    documents = visible_documents(user, include_trash=True)
    orders = Order.objects.visible_to(user)
    return threads.filter(Q(document__isnull=True) | Q(document__in=documents)).filter(
        Q(order__isnull=True) | Q(order__in=orders)
    )


def visible_messages(user: Any, thread: Thread) -> QuerySet[Message]:
    messages = Message.objects.filter(thread=thread)
    if not is_provider_staff(user):
        messages = messages.filter(internal=False)
    return messages


@dataclass(frozen=True)
class ThreadAccess:
    thread: Thread
    organisation: OrganisationAccess

    @property
    def staff(self) -> bool:
        return self.organisation.staff

    @property
    def can_write(self) -> bool:
        """Reply, attach, close and reopen: staff, customer admins and members; viewers read."""
        return self.organisation.can_write


def get_thread_for_user(user: Any, thread_id: UUID | str, *, write: bool = False) -> ThreadAccess:
    """The thread if `user` sees it (404 otherwise); with `write`, 403 for those who only read."""
    thread = (
        visible_threads(user)
        .select_related("organisation", "document", "version", "order", "offer", "created_by", "closed_by")
        .filter(pk=parse_uuid(thread_id))
        .first()
    )
    if thread is None:
        raise Http404
    access = ThreadAccess(thread=thread, organisation=organisation_access(user, thread.organisation))
    if write and not access.can_write:
        raise PermissionDenied
    return access


def _members_who_see(thread: Thread) -> QuerySet[User]:
    """The organisation's active people who see the thread: the same rules as visible_threads, for everyone
    at once (one query, whatever the size of the organisation)."""
    memberships = Membership.objects.filter(organisation_id=thread.organisation_id)
    if thread.document_id is not None:
        folder_access = (
            Document.objects.filter(pk=thread.document_id).values_list("folder__access", flat=True).first()
        )
        if folder_access == FolderAccess.INTERNAL:
            return User.objects.none()
        if folder_access == FolderAccess.UPLOAD_ONLY:
            uploaded = DocumentVersion.objects.filter(
                document_id=thread.document_id, uploaded_by=OuterRef("user")
            )
            memberships = memberships.filter(Exists(uploaded))
    if thread.order_id is not None:
        restricted = CustomerProfile.objects.filter(
            organisation_id=thread.organisation_id, members_see_all_orders=False
        )
        placed_by = Order.objects.filter(pk=thread.order_id).values("placed_by")
        memberships = memberships.filter(
            ~Exists(restricted) | Q(role=CustomerRole.ADMIN) | Q(user__in=placed_by)
        )
    return User.objects.filter(is_active=True, pk__in=memberships.values("user"))


def participants(thread: Thread) -> list[User]:
    """Who takes part: the organisation's active members who may see the thread, its account managers, and
    any other provider staff who have written in it."""
    staff_posted = Message.objects.filter(thread=thread, author__provider_role__gt="").values("author")
    people = User.objects.filter(
        Q(pk__in=_members_who_see(thread).values("pk"))
        | Q(staff_assignments__organisation_id=thread.organisation_id, provider_role__gt="")
        | Q(pk__in=staff_posted)
    ).filter(is_active=True)
    return list(people.distinct())


def staff_participants(thread: Thread) -> list[User]:
    return [user for user in participants(thread) if user.provider_role]

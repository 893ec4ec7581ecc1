"""How each person wants each kind of notification emailed: immediately (in a few minutes' batch), in a daily
digest, or not at all. Notifications are always listed in the portal; preferences decide only the email."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kundportal.accounts.models import User
from kundportal.messaging.models import Category, Delivery, NotificationPreference

# Without a row, everything is emailed in the few minutes' batch: people who want less say so.
DEFAULTS: dict[str, str] = {
    Category.MESSAGE: Delivery.IMMEDIATELY,
    Category.OFFER_ACCEPTED: Delivery.IMMEDIATELY,
    Category.INVITATION_ACCEPTED: Delivery.IMMEDIATELY,
    Category.JOB_FINISHED: Delivery.IMMEDIATELY,
    Category.DOCUMENT: Delivery.IMMEDIATELY,
}


def preferences_for(user: Any) -> dict[str, str]:
    """Every category with the user's choice (or the default), in one query."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("category", "delivery"))
    return {category: chosen.get(category, DEFAULTS[category]) for category in Category.values}


def deliveries_for(users: Iterable[User], category: str) -> dict[Any, str]:
    """The choice of each of `users` for one category, in one query (notify() asks for all recipients)."""
    ids = [user.pk for user in users]
    chosen = dict(
        NotificationPreference.objects.filter(user_id__in=ids, category=category).values_list(
            "user_id", "delivery"
        )
    )
    return {pk: chosen.get(pk, DEFAULTS[category]) for pk in ids}


def clean_preferences(choices: Mapping[str, str]) -> dict[str, str]:
    """Only known categories and deliveries; anything else is a ValidationError naming the field."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, str] = {}
    for category, delivery in choices.items():
        if category not in Category.values:
            errors[str(category)[:40]] = [_("This is not a kind of notification.")]
        elif delivery not in Delivery.values:
            errors[category] = [_("Choose immediately, daily digest or off.")]
        else:
            cleaned[category] = delivery
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def update_preferences(*, actor: User, choices: Mapping[str, str]) -> dict[str, str]:
    """Store the user's choices for the categories named in `choices` (others stay as they are); a choice
    equal to the default stores a row all the same, so a later change of defaults keeps what people chose."""
    cleaned = clean_preferences(choices)
    if cleaned:
        NotificationPreference.objects.bulk_create(
            [
                NotificationPreference(user=actor, category=category, delivery=delivery)
                for category, delivery in cleaned.items()
            ],
            update_conflicts=True,
            unique_fields=["user", "category"],
            update_fields=["delivery"],
        )
    return preferences_for(actor)

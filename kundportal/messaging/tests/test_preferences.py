"""Email preferences per category (messaging.preferences)."""

import pytest
from django.core.exceptions import ValidationError

from kundportal.messaging.models import Category, NotificationPreference
from kundportal.messaging.preferences import DEFAULTS, deliveries_for, preferences_for, update_preferences


def test_defaults_without_rows(customer_member):
    assert preferences_for(customer_member) == {category: "immediately" for category in Category.values}
    assert set(DEFAULTS) == set(Category.values)


def test_updating_keeps_the_others(customer_member, account_manager):
    update_preferences(actor=customer_member, choices={"message": "daily"})
    update_preferences(actor=customer_member, choices={"document": "off", "message": "off"})
    assert preferences_for(customer_member)["message"] == "off"
    assert preferences_for(customer_member)["offer_accepted"] == "immediately"
    assert deliveries_for([customer_member, account_manager], "document") == {
        customer_member.pk: "off",
        account_manager.pk: "immediately",
    }


@pytest.mark.parametrize(
    "choices", [{"message": "weekly"}, {"spam": "off"}, {"message": "daily", "nope": "off"}]
)
def test_bad_choices_change_nothing(customer_member, choices):
    with pytest.raises(ValidationError):
        update_preferences(actor=customer_member, choices=choices)
    assert not NotificationPreference.objects.exists()

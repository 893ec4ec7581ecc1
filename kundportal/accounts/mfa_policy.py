"""When a second factor is required: for all staff if the provider admin says so, and for the members of
organisations that require it."""

from __future__ import annotations

from typing import Any

from kundportal.core.models import PortalSettings


def mfa_required_for(user: Any) -> bool:
    if user.provider_role:
        return PortalSettings.load().require_staff_mfa
    from kundportal.organisations.models import Organisation

    return Organisation.objects.filter(memberships__user=user, require_mfa=True).exists()

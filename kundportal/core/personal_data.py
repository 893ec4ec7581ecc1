"""The core app stores only the provider's portal-wide settings: nothing about any person."""

from kundportal.core.models import PortalSettings
from kundportal.privacy.registry import not_personal

not_personal(PortalSettings, "portal-wide switches of the provider (e.g. whether birth dates are asked for)")

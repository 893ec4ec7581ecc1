from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _own_keyring(settings, tmp_path):
    """Each test gets its own master key file, so tests never share or leak keys (offer pictures)."""
    from kundportal.core.crypto.keys import reset_keyring_cache

    settings.MASTER_KEY_FILE = tmp_path / "master.keys"
    reset_keyring_cache()
    yield
    reset_keyring_cache()


@pytest.fixture
def customers(organisation, other_organisation):
    """Acme AB in Sweden (mads looks after it) and Other GmbH in Germany."""
    from kundportal.offers.tests.test_staff_services import bill_to

    bill_to(organisation, "SE")
    bill_to(other_organisation, "DE")
    return organisation, other_organisation

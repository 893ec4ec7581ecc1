"""Tests that need an outside service (Chromium, SeaweedFS, ...) and do not find it."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def service_missing(reason: str) -> NoReturn:
    """Skip on a developer's machine; fail in CI (CI=true), where a missing service must not pass unnoticed."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)

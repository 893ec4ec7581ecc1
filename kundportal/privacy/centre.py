"""The privacy centre's picture of one user: each purpose with where the user stands on it, and the history of
every decision. Read by the privacy page and the API alike; issue 7 adds more sections beside the consents."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.translation import gettext as _

from kundportal.privacy.models import Consent
from kundportal.privacy.purposes import Purpose, all_purposes
from kundportal.privacy.services import consent_history, latest_consent

if TYPE_CHECKING:
    from kundportal.accounts.models import User


@dataclass(frozen=True)
class ConsentState:
    purpose: Purpose
    latest: Consent | None  # the user's latest decision about it, if any

    @property
    def granted(self) -> bool:
        """Granted to the current wording: a consent to an earlier wording no longer counts."""
        return bool(self.latest and self.latest.granted and self.latest.version == self.purpose.version)

    @property
    def outdated(self) -> bool:
        """Granted once, to a wording that has changed since: the user is asked again."""
        return bool(self.latest and self.latest.granted and self.latest.version != self.purpose.version)


@dataclass(frozen=True)
class HistoryEntry:
    consent: Consent
    purposes: dict[str, Purpose]  # every purpose, inactive configured ones too, to name old decisions

    @property
    def title(self) -> str:
        purpose = self.purposes.get(self.consent.purpose)
        return str(purpose.title) if purpose else self.consent.purpose

    @property
    def language(self) -> str:
        """The language the wording was shown in, named in the reader's language."""
        names = {code: str(name) for code, name in settings.LANGUAGES}
        return names.get(self.consent.language[:2], self.consent.language) or _("unknown")


@dataclass(frozen=True)
class ConsentOverview:
    states: list[ConsentState]
    history: list[HistoryEntry]


HISTORY_LIMIT = 200


def consent_overview(user: User) -> ConsentOverview:
    """Every purpose (built in and configured) with the user's current state, and their decisions newest
    first: three queries (the latest decision per purpose is the first of its kind in the history)."""
    known = all_purposes(include_inactive=True)
    active = all_purposes()
    history = list(consent_history(user).select_related("recorded_by")[:HISTORY_LIMIT])
    latest: dict[str, Consent] = {}
    for consent in history:
        latest.setdefault(consent.purpose, consent)
    if len(history) == HISTORY_LIMIT:
        # A long history may hide an older purpose's latest decision below the limit.
        for key, purpose in active.items():
            if key not in latest and (found := latest_consent(user, purpose)) is not None:
                latest[key] = found
    return ConsentOverview(
        states=[ConsentState(purpose=purpose, latest=latest.get(key)) for key, purpose in active.items()],
        history=[HistoryEntry(consent, known) for consent in history],
    )

"""The plug-in rule: every app that stores personal data says here how to export it and how to erase it.

Each app keeps a module `personal_data.py` that calls `register(Source(...))` for what it stores and
`not_personal(model, reason)` for models that hold nothing personal; the privacy app imports those modules at
start-up (PrivacyConfig.ready). A test walks every model of the project: a model with a foreign key to the user
or the organisation, or with fields named like personal data, must be covered by a source or listed as not
personal, so a new app that forgets fails the test.

A source exports into an `ExportWriter` (JSON records per section and files, streamed into the ZIP) and erases
for a `Subject`, telling an `ErasureReport` what it did. Both run inside the privacy app's jobs, never on their
own: the export job owns the ZIP, the erasure service owns the transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from django.db import models
from django.utils.functional import Promise

if TYPE_CHECKING:
    from kundportal.accounts.models import User
    from kundportal.organisations.models import Organisation


@dataclass(frozen=True)
class Subject:
    """Whose data: one person, or a whole customer organisation (a customer admin erasing the organisation)."""

    user: User | None = None
    organisation: Organisation | None = None


class ExportWriter(Protocol):
    def records(self, section: str, rows: Iterable[dict[str, Any]]) -> None:
        """JSON-safe rows under `section` (e.g. "documents.versions"); may be called again for one section."""

    def file(self, path: str, chunks: Callable[[], Iterator[bytes]], *, size: int | None = None) -> None:
        """A file in the ZIP under files/<path>, its bytes produced lazily (decrypted while streaming)."""


@dataclass
class ErasureReport:
    """What an erasure did, per source: counts only, never the erased values (it is kept as the record)."""

    erased: dict[str, int] = field(default_factory=dict)
    anonymised: dict[str, int] = field(default_factory=dict)
    kept: dict[str, str] = field(default_factory=dict)  # what stays and why (e.g. invoices, by law)
    blobs: list[str] = field(default_factory=list)  # storage objects to delete once the transaction commits

    def count(self, what: str, n: int, *, anonymised: bool = False) -> None:
        target = self.anonymised if anonymised else self.erased
        target[what] = target.get(what, 0) + n


@dataclass(frozen=True)
class Source:
    """One app's personal data: the models it covers, what they hold (for the records of processing) and how
    to export and erase them for a subject."""

    key: str  # "documents"
    models: tuple[str, ...]  # model labels, "documents.documentversion"
    export: Callable[[Subject, ExportWriter], None]
    erase: Callable[[Subject, ErasureReport], None]
    categories: Promise  # what kinds of personal data, for the records of processing
    purpose: Promise
    retention: Promise
    recipients: Promise | None = None
    order: int = 100  # erasure order: lower first (things that point at others before what they point at)


def erase_in_two_parts(
    *,
    organisation: Callable[[Organisation, ErasureReport], None],
    person: Callable[[User, ErasureReport], None],
) -> Callable[[Subject, ErasureReport], None]:
    """A source's eraser made of its two halves: a subject's organisation first (when a whole organisation is
    erased), then the person (when a person is, or with the organisation, its people)."""

    def erase(subject: Subject, report: ErasureReport) -> None:
        if subject.organisation is not None:
            organisation(subject.organisation, report)
        if subject.user is not None:
            person(subject.user, report)

    return erase


SOURCES: dict[str, Source] = {}
NOT_PERSONAL: dict[str, str] = {}


def _label(model: type[models.Model] | str) -> str:
    return model if isinstance(model, str) else model._meta.label_lower


def register(source: Source) -> Source:
    if source.key in SOURCES and SOURCES[source.key] != source:
        raise ValueError(f"personal data source {source.key!r} registered twice")
    SOURCES[source.key] = source
    return source


def not_personal(model: type[models.Model] | str, reason: str) -> None:
    """A model that holds no personal data, and why (shown in the failing test's message if that changes)."""
    NOT_PERSONAL[_label(model)] = reason


def sources() -> list[Source]:
    return sorted(SOURCES.values(), key=lambda source: (source.order, source.key))


def covered_models() -> set[str]:
    return {label for source in SOURCES.values() for label in source.models}

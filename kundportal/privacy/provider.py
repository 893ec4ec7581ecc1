"""What the provider configures for privacy: the privacy notice (three languages, every save a new version),
the consent purposes of their own, and the generated records of processing (GDPR Art. 30)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from kundportal.audit.models import Action
from kundportal.audit.services import record_event
from kundportal.messaging.markup import render_markdown
from kundportal.organisations.access import require_provider_admin
from kundportal.privacy import registry
from kundportal.privacy.models import ConfiguredPurpose, Consent, PrivacyNotice
from kundportal.privacy.purposes import PURPOSES, Purpose, all_purposes, localised

if TYPE_CHECKING:
    from kundportal.accounts.models import User

LANGUAGES = ("en", "sv", "de")


# ---------------------------------------------------------------------------------------------------------
# The privacy notice


def latest_notice() -> PrivacyNotice | None:
    return PrivacyNotice.objects.order_by("-created_at").first()


def default_notice_text() -> str:
    """Shown until the provider writes their own: what the portal does, in the reader's language."""
    return _(
        "This portal is run by the provider named at the top of the page, who is responsible for the "
        "personal data processed in it.\n\n"
        "We process your name, email address, your organisation's customer data, the documents and messages "
        "you exchange with us and your orders, to provide the portal and our services to you, and to keep "
        "the records the law requires (orders and invoices).\n\n"
        "Offers chosen for you and news by email need your consent, which you can withdraw at any time on "
        "the privacy page.\n\n"
        "On the privacy page you can also download all data the portal holds about you, see who among our "
        "staff accessed it, and delete your account. For anything else, write to us through the portal's "
        "messages."
    )


def render_notice(text: str) -> SafeString:
    """The notice's Markdown as cleaned HTML: the same renderer (and nh3 allow-list) as messages."""
    return mark_safe(render_markdown(text))  # noqa: S308 - render_markdown cleans its HTML (nh3)


@dataclass(frozen=True)
class NoticeView:
    html: SafeString
    notice: PrivacyNotice | None


def notice_for_reader() -> NoticeView:
    notice = latest_notice()
    text = localised(notice, "text") if notice is not None else default_notice_text()
    return NoticeView(html=render_notice(text), notice=notice)


def save_notice(*, actor: User, texts: dict[str, str], request: HttpRequest | None = None) -> PrivacyNotice:
    """A new version of the notice (the earlier ones stay)."""
    require_provider_admin(actor)
    with transaction.atomic():
        notice = PrivacyNotice.objects.create(
            text_en=texts["text_en"], text_sv=texts["text_sv"], text_de=texts["text_de"], edited_by=actor
        )
        record_event(Action.PRIVACY_NOTICE_CHANGED, actor=actor, target=notice, request=request)
    return notice


# ---------------------------------------------------------------------------------------------------------
# Configured purposes

TEXT_FIELDS = tuple(f"{field}_{language}" for field in ("title", "wording") for language in LANGUAGES)


def _wording_changed(purpose: ConfiguredPurpose, data: dict[str, Any]) -> bool:
    return any(
        getattr(purpose, f"wording_{language}") != data[f"wording_{language}"] for language in LANGUAGES
    )


def save_purpose(
    *,
    actor: User,
    data: dict[str, Any],
    purpose: ConfiguredPurpose | None = None,
    request: HttpRequest | None = None,
) -> ConfiguredPurpose:
    """Add a purpose, or change one: a changed wording (in any language) is a new version, which asks
    everyone again (a consent counts only for the wording it was given to)."""
    require_provider_admin(actor)
    with transaction.atomic():
        if purpose is None:
            key = data["key"]
            if key in PURPOSES or ConfiguredPurpose.objects.filter(key=key).exists():
                raise ValidationError({"key": _("This key is taken. Choose another one.")})
            purpose = ConfiguredPurpose(key=key)
            change = "added"
        else:
            purpose = ConfiguredPurpose.objects.select_for_update().get(pk=purpose.pk)
            change = "changed"
            if _wording_changed(purpose, data):
                purpose.version += 1
                change = "new_version"
        for name in TEXT_FIELDS:
            setattr(purpose, name, data[name])
        purpose.active = bool(data.get("active"))
        try:
            with transaction.atomic():
                purpose.save()
        except IntegrityError:
            raise ValidationError({"key": _("This key is taken. Choose another one.")}) from None
        record_event(
            Action.PURPOSE_CHANGED,
            actor=actor,
            target=purpose,
            request=request,
            change=change,
            version=purpose.version,
            active=purpose.active,
        )
    return purpose


def delete_purpose(*, actor: User, purpose: ConfiguredPurpose, request: HttpRequest | None = None) -> None:
    """Only a purpose nobody decided about: consents are evidence and name their purpose."""
    require_provider_admin(actor)
    with transaction.atomic():
        if Consent.objects.filter(purpose=purpose.key).exists():
            raise ValidationError(
                _("People have decided about this purpose: their decisions are kept. Turn it off instead.")
            )
        record_event(Action.PURPOSE_CHANGED, actor=actor, target=purpose, request=request, change="deleted")
        purpose.delete()


# ---------------------------------------------------------------------------------------------------------
# Records of processing


@dataclass(frozen=True)
class ProcessingRecord:
    key: str
    purpose: str
    categories: str
    recipients: str
    retention: str
    models: tuple[str, ...]


def records_of_processing() -> list[ProcessingRecord]:
    """One record per registered source of personal data (privacy.registry), in the reader's language."""
    return [
        ProcessingRecord(
            key=source.key,
            purpose=str(source.purpose),
            categories=str(source.categories),
            recipients=str(source.recipients) if source.recipients else _("Nobody outside the provider"),
            retention=str(source.retention),
            models=source.models,
        )
        for source in sorted(registry.SOURCES.values(), key=lambda source: source.key)
    ]


def consent_purposes() -> list[Purpose]:
    return list(all_purposes().values())

"""The account itself: the user row, API tokens, and what allauth keeps per account (email addresses, second
factors, sessions).

Exported: the account's fields (no password hash), API tokens (name, hint and dates, never the hash), email
addresses, second factors (type and dates, never secrets), sessions (IP address, browser, dates).

Erased last (every other source reads the account first): sessions ended, second factors, email addresses and
tokens deleted, Django admin log entries about the account deleted, then the user row itself is deleted, not
blanked. Nothing points at it in a way that needs it: records kept by law point at it with SET_NULL, and the
audit log keeps the bare id (no constraint, part of the entry's hash) with its personal fields redacted, so no
email or name stays anywhere. Provider staff accounts are not erased here (privacy.erasure refuses them).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kundportal.privacy.registry import ErasureReport, ExportWriter, Source, Subject, register
from kundportal.privacy.subjects import rows


def export(subject: Subject, writer: ExportWriter) -> None:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.usersessions.models import UserSession

    from kundportal.accounts.models import ApiToken, User

    user = subject.user
    if user is None:
        return
    account = User.objects.filter(pk=user.pk)
    writer.records(
        "accounts.user",
        rows(account, "id", "email", "full_name", "language", "provider_role", "is_active", "date_joined"),
    )
    writer.records(
        "accounts.api_tokens",
        rows(
            ApiToken.objects.filter(user=user),
            "name",
            "hint",
            "created_at",
            "last_used_at",
            "expires_at",
            "revoked_at",
        ),
    )
    writer.records(
        "accounts.email_addresses",
        rows(EmailAddress.objects.filter(user=user), "email", "verified", "primary"),
    )
    writer.records(
        "accounts.second_factors",
        rows(Authenticator.objects.filter(user=user), "type", "created_at", "last_used_at"),
    )
    writer.records(
        "accounts.sessions",
        rows(UserSession.objects.filter(user=user), "ip", "user_agent", "created_at", "last_seen_at"),
    )


def erase(subject: Subject, report: ErasureReport) -> None:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.usersessions.models import UserSession
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    from kundportal.accounts.models import ApiToken, User

    user = subject.user
    if user is None:
        return
    sessions = list(UserSession.objects.filter(user=user))
    for session in sessions:
        session.end()  # the session store's own row (and cache) too
    report.count("accounts.sessions", len(sessions))
    report.count("accounts.second_factors", Authenticator.objects.filter(user=user).delete()[0])
    report.count("accounts.email_addresses", EmailAddress.objects.filter(user=user).delete()[0])
    report.count("accounts.api_tokens", ApiToken.objects.filter(user=user).delete()[0])
    about = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)
    )
    report.count("accounts.admin_log", about.delete()[0])
    User.objects.filter(pk=user.pk).delete()
    report.count("accounts.user", 1)


register(
    Source(
        key="accounts",
        models=("accounts.user", "accounts.apitoken"),
        export=export,
        erase=erase,
        categories=_(
            "Name, email address, language, role, API token names, sessions (IP address and browser), second "
            "factors (type only)"
        ),
        purpose=_("Logging in and using the portal securely"),
        retention=_("While the account exists; sessions end after their lifetime"),
        recipients=_("Provider staff (administration); the email provider for account emails"),
        order=1000,
    )
)

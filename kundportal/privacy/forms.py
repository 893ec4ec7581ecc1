"""The forms of the privacy pages: consent, erasure (with the password asked again), and the provider's
pages (notice, purposes, acting on someone's behalf)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from kundportal.accounts.models import User


class ConsentForm(forms.Form):
    granted = forms.TypedChoiceField(
        label=_("Your decision"),
        choices=[("1", _("Allow")), ("0", _("Withdraw"))],
        coerce=lambda value: value == "1",
    )


class ReauthenticateForm(forms.Form):
    """Asks for the password again before an irreversible step. Failures are throttled per person (the
    allauth "reauthenticate" rate, settings.ACCOUNT_RATE_LIMITS), so the form cannot be used to guess it."""

    password = forms.CharField(
        label=_("Your password"),
        help_text=_("To be sure it is you, enter your password again."),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, user: User, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.request = request

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not check_reauthentication(self.request, self.user, password):
            raise forms.ValidationError(_("The password is not correct."), code="wrong_password")
        return password


class Throttled(forms.ValidationError):
    pass


def check_reauthentication(request: HttpRequest, user: User, password: str) -> bool:
    """True if `password` is the user's; a wrong one counts against the rate, and once it is used up even
    the right one is refused for a while (Throttled, a ValidationError with its own message)."""
    from allauth.core import ratelimit

    if not ratelimit.consume(request, action="reauthenticate", user=user, dry_run=True):
        raise Throttled(_("Too many attempts. Wait a minute and try again."), code="throttled")
    if user.check_password(password):
        return True
    ratelimit.consume(request, action="reauthenticate", user=user)
    return False


class EraseAccountForm(ReauthenticateForm):
    do_not_contact = forms.BooleanField(
        label=_("Do not contact me again"),
        required=False,
        help_text=_(
            "We keep a one-way fingerprint of your email address (not the address itself), so that nobody "
            "can invite you or import you again."
        ),
    )


class ConfirmByTypingForm(forms.Form):
    """A provider admin erasing on someone's behalf confirms by typing the email address or name."""

    confirm = forms.CharField(label=_("Type it to confirm"), max_length=254)
    do_not_contact = forms.BooleanField(label=_("Put on the do-not-contact list"), required=False)

    def __init__(self, *args: Any, expected: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.expected = expected

    def clean_confirm(self) -> str:
        typed = self.cleaned_data["confirm"].strip()
        if typed.casefold() != self.expected.strip().casefold():
            raise forms.ValidationError(_("This is not what the confirmation asks for."), code="mismatch")
        return typed


class FindForm(forms.Form):
    person = forms.CharField(label=_("Person (email address)"), max_length=254, required=False)
    organisation = forms.CharField(label=_("Organisation (name)"), max_length=200, required=False)


def _plain(value: str, *, max_length: int, required: bool = True) -> str:
    from kundportal.customers.validators import clean_text

    return clean_text(value, max_length=max_length, required=required, multiline=True)


NOTICE_MAX = 50_000


class PrivacyNoticeForm(forms.Form):
    text_en = forms.CharField(label=_("Notice in English"), widget=forms.Textarea(attrs={"rows": 16}))
    text_sv = forms.CharField(label=_("Notice in Swedish"), widget=forms.Textarea(attrs={"rows": 16}))
    text_de = forms.CharField(label=_("Notice in German"), widget=forms.Textarea(attrs={"rows": 16}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("text_en", "text_sv", "text_de"):
            if name in data:
                try:
                    data[name] = _notice_text(data[name])
                except forms.ValidationError as error:
                    self.add_error(name, error)
        return data


def _notice_text(value: str) -> str:
    """Markdown, so no HTML tags: the same checks as every other text (no control characters, no card
    numbers), allowing long text."""
    return _plain(value, max_length=NOTICE_MAX)


class ConfiguredPurposeForm(forms.Form):
    key = forms.SlugField(
        label=_("Key"),
        max_length=60,
        help_text=_("A short name for the API and the records, e.g. “events-invitations”. It cannot change."),
    )
    title_en = forms.CharField(label=_("Title in English"), max_length=200)
    title_sv = forms.CharField(label=_("Title in Swedish"), max_length=200)
    title_de = forms.CharField(label=_("Title in German"), max_length=200)
    wording_en = forms.CharField(label=_("Wording in English"), widget=forms.Textarea(attrs={"rows": 4}))
    wording_sv = forms.CharField(label=_("Wording in Swedish"), widget=forms.Textarea(attrs={"rows": 4}))
    wording_de = forms.CharField(label=_("Wording in German"), widget=forms.Textarea(attrs={"rows": 4}))
    active = forms.BooleanField(label=_("Customers are asked for this consent"), required=False, initial=True)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["key"].disabled = True
            self.fields["key"].required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        limits = {"title": 200, "wording": 4000}
        for name in list(data):
            field = name.rsplit("_", 1)[0]
            if field in limits and isinstance(data[name], str):
                try:
                    data[name] = _plain(data[name], max_length=limits[field])
                except forms.ValidationError as error:
                    self.add_error(name, error)
        return data

"""Conversation forms: they parse what a browser sends. The rules are in messaging.threads, so the pages and
the API refuse the same things with the same words."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kundportal.messaging.models import SUBJECT_MAX
from kundportal.messaging.threads import SEARCH_MAX

MARKDOWN_HELP = _(
    "You can use *emphasis*, **bold**, lists, `code`, > quotes and links like [text](https://example.com)."
)


def report(form: forms.Form, error: ValidationError) -> None:
    """A service's ValidationError shown on the form: next to the field it names, else above the form."""
    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(None, error)


class ThreadFilterForm(forms.Form):
    STATUSES = [("open", _("Open")), ("closed", _("Closed")), ("all", _("All"))]

    q = forms.CharField(label=_("Search"), max_length=SEARCH_MAX, required=False, strip=True)
    status = forms.ChoiceField(label=_("Status"), choices=STATUSES, required=False)
    unread = forms.BooleanField(label=_("Only unread"), required=False)
    organisation = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def filters(self) -> dict[str, Any]:
        if not self.is_bound or not self.is_valid():
            return {"q": "", "status": "open", "unread": False, "organisation": None}
        data = self.cleaned_data
        return {
            "q": data["q"],
            "status": data["status"] or "open",
            "unread": data["unread"],
            "organisation": data["organisation"],
        }


def _body_field(label: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=MARKDOWN_HELP,
        # No max_length here: the service refuses a long message with its own words (how long, what to do).
        strip=False,
    )


class NewThreadForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=SUBJECT_MAX)
    body = _body_field(_("Message"))


class ReplyForm(forms.Form):
    body = _body_field(_("Your reply"))


class NoteForm(forms.Form):
    body = _body_field(_("Internal note"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="note", **kwargs)
        self.fields["body"].help_text = _("Only provider staff see internal notes. %(markdown)s") % {
            "markdown": MARKDOWN_HELP
        }

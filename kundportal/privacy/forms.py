"""The one form of the privacy pages: give or withdraw consent to a purpose (the purpose is in the URL)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ConsentForm(forms.Form):
    granted = forms.TypedChoiceField(
        label=_("Your decision"),
        choices=[("1", _("Allow")), ("0", _("Withdraw"))],
        coerce=lambda value: value == "1",
    )

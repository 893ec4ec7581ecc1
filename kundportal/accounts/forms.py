from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kundportal.core.models import PortalSettings


class ProfileForm(forms.Form):
    full_name = forms.CharField(
        label=_("Name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"), max_length=100, help_text=_("Say what will use it, e.g. “ERP import”.")
    )


class PortalSettingsForm(forms.ModelForm):
    class Meta:
        model = PortalSettings
        fields = ["require_staff_mfa", "collect_birth_date"]

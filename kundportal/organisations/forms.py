from __future__ import annotations

from django import forms
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.utils.translation import gettext_lazy as _

from kundportal.accounts.models import ProviderRole, User
from kundportal.documents.folders import default_template
from kundportal.documents.models import FolderTemplate
from kundportal.organisations.models import CustomerRole, Organisation


class OrganisationForm(forms.ModelForm):
    folder_template = forms.ModelChoiceField(
        label=_("Folders"),
        queryset=FolderTemplate.objects.all(),
        required=False,  # left out: the default template
        empty_label=None,
        help_text=_("The customer starts with the folders of this template. You can add folders later."),
    )

    class Meta:
        model = Organisation
        fields = ["name", "kind", "require_mfa"]
        widgets = {"kind": forms.RadioSelect}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["folder_template"].initial = default_template()


class OrganisationSettingsForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "require_mfa"]


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    full_name = forms.CharField(label=_("Name"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=CustomerRole.choices, initial=CustomerRole.MEMBER)


class StaffInviteForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    full_name = forms.CharField(label=_("Name"), max_length=150, required=False)
    provider_role = forms.ChoiceField(
        label=_("Role"),
        choices=[
            (ProviderRole.ACCOUNT_MANAGER, ProviderRole.ACCOUNT_MANAGER.label),
            (ProviderRole.ADMIN, ProviderRole.ADMIN.label),
        ],
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=CustomerRole.choices)


class AssignManagerForm(forms.Form):
    manager = forms.ModelChoiceField(label=_("Account manager"), queryset=User.objects.none())
    action = forms.ChoiceField(
        choices=[("assign", "assign"), ("unassign", "unassign")], widget=forms.HiddenInput
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["manager"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            provider_role=ProviderRole.ACCOUNT_MANAGER, is_active=True
        )


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(
        label=_("Your name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    password1 = forms.CharField(
        label=_("Choose a password"),
        strip=False,
        help_text=password_validators_help_text_html,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Repeat the password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data

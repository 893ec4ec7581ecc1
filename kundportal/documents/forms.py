"""Forms for folder templates and folder settings. They parse; the rules live in documents.folders."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kundportal.documents.access import visible_folder_templates
from kundportal.documents.folders import (
    MAX_NAME_LENGTH,
    MAX_TEMPLATE_FOLDERS,
    clean_attachments_folder,
    clean_template_entries,
)
from kundportal.documents.models import FolderAccess, FolderTemplate
from kundportal.organisations.models import Organisation


class FolderTemplateForm(forms.Form):
    name = forms.CharField(label=_("Template name"), max_length=MAX_NAME_LENGTH)
    is_default = forms.BooleanField(
        label=_("Use for new customers"),
        required=False,
        help_text=_("Exactly one template is used for new customers; ticking this moves that role here."),
    )


class TemplateEntryForm(forms.Form):
    name = forms.CharField(label=_("Folder name"), max_length=MAX_NAME_LENGTH)
    access = forms.ChoiceField(
        label=_("Customer access"), choices=FolderAccess.choices, initial=FolderAccess.READ_WRITE
    )
    message_attachments = forms.BooleanField(label=_("Files sent with messages go here"), required=False)


class BaseTemplateEntryFormSet(forms.BaseFormSet):
    """The template's folders, one row each; empty extra rows add nothing, ticked rows are removed, and the
    order numbers sort the rest (rows without a number go last)."""

    def entries(self) -> list[tuple[str, str]]:
        """(name, access) of the rows kept, in the order asked for; only after the rows themselves are valid."""
        rows = []
        for index, form in enumerate(self.forms):
            if index >= self.initial_form_count() and not form.has_changed():
                continue
            if self._should_delete_form(form):
                continue
            order = form.cleaned_data.get("ORDER")
            rows.append(
                (order is None, order or 0, index, form.cleaned_data["name"], form.cleaned_data["access"])
            )
        return [(name, access) for *_position, name, access in sorted(rows)]

    def attachments_folder(self) -> str:
        """The name of the row ticked to receive files sent with messages ("" for none)."""
        ticked = [
            form.cleaned_data["name"]
            for index, form in enumerate(self.forms)
            if not (index >= self.initial_form_count() and not form.has_changed())
            and not self._should_delete_form(form)
            and form.cleaned_data.get("message_attachments")
        ]
        return ticked[0] if ticked else ""

    def clean(self) -> None:
        if any(self.errors):
            return
        entries = self.entries()
        clean_template_entries(entries)  # the same rules the service applies, shown above the rows
        ticked = [form for form in self.forms if form.cleaned_data.get("message_attachments")]
        if len(ticked) > 1:
            raise ValidationError(_("Choose at most one folder for files sent with messages."))
        clean_attachments_folder(self.attachments_folder(), entries)


TemplateEntryFormSet = forms.formset_factory(
    TemplateEntryForm,
    formset=BaseTemplateEntryFormSet,
    extra=3,
    can_order=True,
    can_delete=True,
    max_num=MAX_TEMPLATE_FOLDERS,
    absolute_max=MAX_TEMPLATE_FOLDERS + 10,
    validate_max=True,
)


def entry_formset(data: Any = None, template: FolderTemplate | None = None) -> BaseTemplateEntryFormSet:
    initial = []
    if template is not None:
        initial = [
            {
                "name": entry.name,
                "access": entry.access,
                "message_attachments": entry.message_attachments,
                "ORDER": number,
            }
            for number, entry in enumerate(template.entries.all(), start=1)
        ]
    return TemplateEntryFormSet(data, initial=initial, prefix="entries")


class ApplyTemplateForm(forms.Form):
    template = forms.ModelChoiceField(
        label=_("Template"), queryset=FolderTemplate.objects.none(), empty_label=None
    )
    scope = forms.ChoiceField(
        label=_("Customers"),
        choices=[("chosen", _("The customers ticked below")), ("all", _("Every customer"))],
        initial="chosen",
        widget=forms.RadioSelect,
    )
    organisations = forms.ModelMultipleChoiceField(
        label=_("Choose customers"),
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    update_access = forms.BooleanField(
        label=_("Also change the access of folders that exist already under the same name"),
        required=False,
        help_text=_(
            "Left unticked, existing folders keep their access. Ticked, they take the template's access, "
            "so customers may gain or lose access to the files in them (a folder can become internal)."
        ),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = visible_folder_templates(user)  # type: ignore[attr-defined]
        self.fields["organisations"].queryset = Organisation.objects.visible_to(user)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("scope") == "chosen" and not data.get("organisations"):
            self.add_error("organisations", _("Tick at least one customer, or choose every customer."))
        return data

    def organisation_ids(self) -> list[Any] | None:
        """The chosen customers' ids, or None for every customer."""
        if self.cleaned_data["scope"] == "all":
            return None
        return [organisation.pk for organisation in self.cleaned_data["organisations"]]


class FolderForm(forms.Form):
    name = forms.CharField(label=_("Folder name"), max_length=MAX_NAME_LENGTH)
    access = forms.ChoiceField(
        label=_("Customer access"), choices=FolderAccess.choices, initial=FolderAccess.READ_WRITE
    )


def report(form: forms.BaseForm, error: ValidationError) -> None:
    """A service's ValidationError next to the form's fields (or above them, for the rest)."""
    if hasattr(error, "error_dict"):
        for key, messages in error.message_dict.items():
            form.add_error(key if key in form.fields else None, messages)
    else:
        form.add_error(None, error)

"""The plug-in rule (issue 7): every model of the project that can hold personal data is covered by a registered
source (an exporter and an eraser) or explicitly listed as not personal, with a reason."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models

from kundportal.organisations.models import Organisation
from kundportal.privacy import registry

# Words that, as a part of a field's name (split on "_"), suggest personal data.
PERSONAL_WORDS = {
    "email",
    "name",
    "phone",
    "address",
    "street",
    "city",
    "postcode",
    "postal",
    "iban",
    "birth",
    "ip",
    "note",
    "body",
    "message",
    "label",
    "holder",
    "subject",
    "wording",
    "comment",
    "text",
    "agent",
}
# Parts that contain one of the words without being about a person.
HARMLESS = {"blob_name", "name_key", "file_name"}


def _personal_fields(model: type[models.Model]) -> list[str]:
    found = []
    for field in model._meta.get_fields():
        if not getattr(field, "concrete", False) or field.name in HARMLESS:
            continue
        parts = set(re.split(r"[_\d]+", field.name.lower()))
        if parts & PERSONAL_WORDS or any(
            word in field.name.lower() for word in ("email", "iban", "phone", "birth")
        ):
            found.append(field.name)
    return found


def _people_links(model: type[models.Model]) -> list[str]:
    user_model = get_user_model()
    return [
        field.name
        for field in model._meta.get_fields()
        if field.is_relation
        and getattr(field, "concrete", False)
        and field.related_model in (user_model, Organisation)
    ]


def project_models() -> list[type[models.Model]]:
    return [model for model in apps.get_models() if model.__module__.startswith("kundportal.")]


def uncovered(models_to_check: list[type[models.Model]]) -> list[str]:
    """The models that break the rule, each with what makes it look personal and what to do."""
    covered = registry.covered_models()
    problems = []
    for model in models_to_check:
        label = model._meta.label_lower
        if label in covered or label in registry.NOT_PERSONAL:
            continue
        reasons = [f"links to {name}" for name in _people_links(model)]
        reasons += [f"field {name!r}" for name in _personal_fields(model)]
        if reasons:
            problems.append(
                f"{label} ({', '.join(reasons)}): add it to a Source's `models` in its app's personal_data.py "
                f"(with export and erase), or call not_personal({model.__name__}, reason)"
            )
    return problems


def test_it_covers_every_model_of_the_project() -> None:
    problems = uncovered(project_models())
    assert not problems, "Models that may hold personal data but are not covered:\n" + "\n".join(problems)


def test_it_fails_for_a_new_model_with_a_user_link() -> None:
    class Reminder(models.Model):  # noqa: DJ008
        owner = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")

        class Meta:
            app_label = "privacy"

    try:
        # Defining the model registers it, as a new app's would be: the project-wide walk now finds it.
        assert Reminder in project_models()
        problems = uncovered(project_models())
    finally:
        apps.all_models["privacy"].pop("reminder", None)
        apps.clear_cache()
    assert len(problems) == 1
    assert problems[0].startswith("privacy.reminder (links to owner)")
    assert "personal_data.py" in problems[0]


def test_it_fails_for_a_new_model_with_a_field_named_like_personal_data() -> None:
    class Visitor(models.Model):  # noqa: DJ008
        contact_email = models.EmailField()

        class Meta:
            app_label = "privacy"

    try:
        problems = uncovered([Visitor])
    finally:
        apps.all_models["privacy"].pop("visitor", None)
        apps.clear_cache()
    assert problems and "field 'contact_email'" in problems[0]


def test_registered_models_and_not_personal_ones_exist_and_do_not_overlap() -> None:
    known = {model._meta.label_lower for model in apps.get_models()}
    assert registry.covered_models() <= known
    assert set(registry.NOT_PERSONAL) <= known
    assert not registry.covered_models() & set(registry.NOT_PERSONAL)


@pytest.mark.parametrize("source", registry.sources(), ids=lambda source: source.key)
def test_every_source_describes_its_processing(source: registry.Source) -> None:
    for text in (source.categories, source.purpose, source.retention):
        assert str(text).strip()
    assert source.models

"""Interest pages: a customer's interests (chosen, inferred with the reason, turned off), and the provider
admins' interest categories. The rules are in customers.interests; these parse, call and render."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kundportal.customers import interests
from kundportal.customers.models import InterestCategory
from kundportal.customers.staff_forms import DeclaredInterestsForm, InterestCategoryForm
from kundportal.organisations.access import get_organisation_for_user, require_provider_admin
from kundportal.organisations.models import Organisation


def _errors(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
def interests_home(request: HttpRequest) -> HttpResponse:
    """The customers' "Interests" navigation item: their organisation's interests (or the list, for several)."""
    only = list(Organisation.objects.visible_to(request.user).values_list("pk", flat=True)[:2])
    if len(only) == 1:
        return redirect("customer_interests", organisation_id=only[0])
    return redirect("organisation_list")


def _suppressed(request: HttpRequest, current: list[interests.Interest]) -> set[UUID] | None:
    """The set of turned-off interests after a "turn off" or "turn on" button; None for anything else."""
    action = request.POST.get("action")
    try:
        category_id = UUID(request.POST.get("category", ""))
    except ValueError:
        raise ValidationError(_("Choose from the interest categories on the list.")) from None
    off = {interest.category.pk for interest in current if interest.suppressed}
    return off | {category_id} if action == "turn_off" else off - {category_id}


@login_required
def customer_interests(request: HttpRequest, organisation_id: str) -> HttpResponse:
    access = get_organisation_for_user(request.user, organisation_id)
    language = get_language() or "en"
    current = interests.customer_interests(access.organisation, language=language)
    choices = [(str(interest.category.pk), interest.name) for interest in current]
    form = DeclaredInterestsForm(request.POST or None, choices=choices)
    if request.method == "POST":
        if not access.can_write:
            raise PermissionDenied
        try:
            if request.POST.get("action") in ("turn_off", "turn_on"):
                suppressed = _suppressed(request, current)
                interests.change_interests(
                    actor=request.user, access=access, suppressed=suppressed, request=request
                )
                messages.success(request, _("Your interests were saved."))
            elif form.is_valid():
                interests.change_interests(
                    actor=request.user,
                    access=access,
                    declared=form.cleaned_data["declared"],
                    request=request,
                )
                messages.success(request, _("Your interests were saved."))
            else:
                _errors(request, ValidationError(form.errors["declared"]))
        except ValidationError as error:
            _errors(request, error)
        return redirect("customer_interests", organisation_id=access.organisation.pk)
    context = {
        "access": access,
        "organisation": access.organisation,
        "interests": current,
        "declared": [interest for interest in current if interest.declared],
        "inferred": [interest for interest in current if interest.inferred],
    }
    return render(request, "customers/interests.html", context)


@login_required
def interest_categories(request: HttpRequest) -> HttpResponse:
    require_provider_admin(request.user)
    categories = interests.with_customer_counts(InterestCategory.objects.order_by("-active", "name_en"))
    return render(request, "customers/staff/interest_categories.html", {"categories": categories})


def _edit_page(
    request: HttpRequest, form: InterestCategoryForm, category: InterestCategory | None = None
) -> HttpResponse:
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "category": category}
    return render(request, "customers/staff/interest_category_edit.html", context, status=status)


def _report(form: InterestCategoryForm, error: ValidationError) -> None:
    for field, messages_ in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages_)


@login_required
def interest_category_create(request: HttpRequest) -> HttpResponse:
    require_provider_admin(request.user)
    form = InterestCategoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            category = interests.create_interest_category(
                actor=request.user, request=request, **form.changes()
            )
        except ValidationError as error:
            _report(form, error)
        else:
            messages.success(
                request, _("The interest category “%(name)s” was created.") % {"name": category.name_en}
            )
            return redirect("interest_categories")
    return _edit_page(request, form)


@login_required
def interest_category_edit(request: HttpRequest, category_id: str) -> HttpResponse:
    require_provider_admin(request.user)
    category = interests.get_interest_category_for_user(request.user, category_id, manage=True)
    initial = {field: getattr(category, field) for field in (*interests.NAME_FIELDS, "slug", "active")}
    form = InterestCategoryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            interests.update_interest_category(
                actor=request.user, category=category, request=request, **form.changes()
            )
        except ValidationError as error:
            _report(form, error)
        else:
            messages.success(
                request, _("The interest category “%(name)s” was saved.") % {"name": category.name_en}
            )
            return redirect("interest_categories")
    return _edit_page(request, form, category)


@login_required
@require_POST
def interest_category_active(request: HttpRequest, category_id: str) -> HttpResponse:
    """The list's quick "Deactivate" / "Activate" button."""
    require_provider_admin(request.user)
    category = interests.get_interest_category_for_user(request.user, category_id, manage=True)
    active = request.POST.get("active") == "1"
    interests.update_interest_category(actor=request.user, category=category, active=active, request=request)
    if active:
        message = _("“%(name)s” is active again: customers can choose it.")
    else:
        message = _("“%(name)s” was deactivated: customers no longer see it. What they chose is kept.")
    messages.success(request, message % {"name": category.name_en})
    return redirect("interest_categories")

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kundportal.accounts.models import User
from kundportal.organisations import services
from kundportal.organisations.access import (
    get_invitation_for_user,
    get_membership_for_user,
    get_organisation_for_user,
    is_provider_admin,
    require_provider_staff,
)
from kundportal.organisations.forms import (
    AcceptInvitationForm,
    AssignManagerForm,
    InviteForm,
    OrganisationForm,
    OrganisationSettingsForm,
    RoleForm,
)
from kundportal.organisations.models import Invitation, InvitationNotUsable, Membership, Organisation

LOGIN_BACKEND = "django.contrib.auth.backends.ModelBackend"
MEMBERS_PER_PAGE = 50


@login_required
def organisation_list(request: HttpRequest) -> HttpResponse:
    organisations = (
        Organisation.objects.visible_to(request.user)
        .annotate(member_count=Count("memberships", distinct=True))
        .prefetch_related("account_managers")
        .order_by("name")  # Meta.ordering is dropped from aggregating queries
    )
    query = request.GET.get("q", "").strip()
    if query:
        organisations = organisations.filter(name__icontains=query)
    if not request.user.provider_role:
        # Most customers belong to one organisation: take them straight to it.
        only = list(organisations.values_list("pk", flat=True)[:2])
        if len(only) == 1:
            return redirect("organisation_detail", organisation_id=only[0])
    return render(request, "organisations/list.html", {"organisations": organisations, "query": query})


@login_required
def organisation_create(request: HttpRequest) -> HttpResponse:
    require_provider_staff(request.user)
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        organisation = services.create_organisation(actor=request.user, request=request, **form.cleaned_data)
        messages.success(
            request, _("%(name)s was created. Invite its first admin now.") % {"name": organisation}
        )
        return redirect("organisation_detail", organisation_id=organisation.pk)
    return render(request, "organisations/create.html", {"form": form})


@login_required
def organisation_detail(request: HttpRequest, organisation_id: str) -> HttpResponse:
    access = get_organisation_for_user(request.user, organisation_id)
    organisation = access.organisation
    memberships = (
        Membership.objects.filter(organisation=organisation).select_related("user").order_by("user__email")
    )
    query = request.GET.get("q", "").strip()
    if query:
        memberships = memberships.filter(
            Q(user__email__icontains=query) | Q(user__full_name__icontains=query)
        )
    page = Paginator(memberships, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "access": access,
        "organisation": organisation,
        "page": page,
        "query": query,
        "paging_query": urlencode({"q": query}),
        "invitations": organisation.invitations.pending().select_related("invited_by")
        if access.can_manage_members
        else [],
        "managers": organisation.account_managers.all(),
        "invite_form": InviteForm(),
        "settings_form": OrganisationSettingsForm(instance=organisation) if access.staff else None,
        "manager_form": AssignManagerForm() if is_provider_admin(request.user) else None,
        "roles": RoleForm.base_fields["role"].choices,  # type: ignore[attr-defined]
    }
    return render(request, "organisations/detail.html", context)


def _report(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
@require_POST
def invite_member(request: HttpRequest, organisation_id: str) -> HttpResponse:
    access = get_organisation_for_user(request.user, organisation_id, manage=True)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            invitation = services.invite_member(
                actor=request.user, access=access, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            _report(request, error)
        else:
            messages.success(request, _("An invitation was sent to %(email)s.") % {"email": invitation.email})
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("organisation_detail", organisation_id=access.organisation.pk)


@login_required
@require_POST
def change_role(request: HttpRequest, membership_id: str) -> HttpResponse:
    membership = get_membership_for_user(request.user, membership_id, manage=True)
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            services.change_member_role(
                actor=request.user, membership=membership, role=form.cleaned_data["role"], request=request
            )
        except ValidationError as error:
            _report(request, error)
        else:
            messages.success(
                request,
                _("The role of %(name)s is now %(role)s.")
                % {"name": membership.user, "role": membership.get_role_display()},
            )
    return redirect("organisation_detail", organisation_id=membership.organisation_id)


@login_required
@require_POST
def remove_member(request: HttpRequest, membership_id: str) -> HttpResponse:
    membership = get_membership_for_user(request.user, membership_id, manage=True)
    try:
        services.remove_member(actor=request.user, membership=membership, request=request)
    except ValidationError as error:
        _report(request, error)
    else:
        messages.success(request, _("%(name)s was removed.") % {"name": membership.user})
        if membership.user == request.user:
            return redirect("dashboard")
    return redirect("organisation_detail", organisation_id=membership.organisation_id)


@login_required
@require_POST
def revoke_invitation(request: HttpRequest, invitation_id: str) -> HttpResponse:
    invitation = get_invitation_for_user(request.user, invitation_id, manage=True)
    services.revoke_invitation(actor=request.user, invitation=invitation, request=request)
    messages.success(request, _("The invitation to %(email)s was withdrawn.") % {"email": invitation.email})
    if invitation.organisation_id:
        return redirect("organisation_detail", organisation_id=invitation.organisation_id)
    return redirect("staff_list")


@login_required
@require_POST
def organisation_settings(request: HttpRequest, organisation_id: str) -> HttpResponse:
    access = get_organisation_for_user(request.user, organisation_id, manage=True)
    if not access.staff:
        raise PermissionDenied
    form = OrganisationSettingsForm(
        request.POST, instance=Organisation.objects.get(pk=access.organisation.pk)
    )
    if form.is_valid():
        services.update_organisation(
            actor=request.user, organisation=access.organisation, request=request, **form.cleaned_data
        )
        messages.success(request, _("Settings saved."))
    else:
        _report(request, ValidationError(form.errors))
    return redirect("organisation_detail", organisation_id=access.organisation.pk)


@login_required
@require_POST
def manage_managers(request: HttpRequest, organisation_id: str) -> HttpResponse:
    access = get_organisation_for_user(request.user, organisation_id)
    if not is_provider_admin(request.user):
        raise PermissionDenied
    form = AssignManagerForm(request.POST)
    if form.is_valid():
        manager: User = form.cleaned_data["manager"]
        if form.cleaned_data["action"] == "assign":
            services.assign_account_manager(
                actor=request.user, organisation=access.organisation, manager=manager, request=request
            )
            messages.success(request, _("%(name)s now looks after this customer.") % {"name": manager})
        else:
            services.unassign_account_manager(
                actor=request.user, organisation=access.organisation, manager=manager, request=request
            )
            messages.success(request, _("%(name)s no longer looks after this customer.") % {"name": manager})
    return redirect("organisation_detail", organisation_id=access.organisation.pk)


def _unusable(request: HttpRequest, invitation: Invitation | None) -> HttpResponse:
    status = 404 if invitation is None else 410
    return render(
        request, "organisations/invitation_unusable.html", {"invitation": invitation}, status=status
    )


def _use_invitation(
    request: HttpRequest, token: str, *, existing: bool, form: AcceptInvitationForm
) -> User | None:
    """Accept as the signed-in owner of the address, or create the account from the form; None if invalid."""
    if existing:
        if not request.user.is_authenticated:
            raise PermissionDenied
        return services.accept_invitation(token=token, user=request.user, request=request)
    if not form.is_valid():
        return None
    data = form.cleaned_data
    user = services.accept_invitation(
        token=token, full_name=data["full_name"], password=data["password1"], request=request
    )
    login(request, user, backend=LOGIN_BACKEND)
    return user


def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.find_invitation(token)
    if invitation is None or not invitation.is_pending:
        return _unusable(request, invitation)
    existing = User.objects.filter(email=invitation.email).exists()
    form = AcceptInvitationForm(request.POST or None, initial={"full_name": invitation.full_name})
    if request.method == "POST":
        try:
            user = _use_invitation(request, token, existing=existing, form=form)
        except ValidationError as error:
            form.add_error("password1", error)
        except InvitationNotUsable:
            return _unusable(request, invitation)
        else:
            if user is not None:
                messages.success(request, _("Welcome! Your account is ready."))
                return redirect("dashboard")
    context = {"invitation": invitation, "form": form, "existing": existing}
    return render(request, "organisations/invitation_accept.html", context)

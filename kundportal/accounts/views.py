from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from kundportal.accounts import services
from kundportal.accounts.access import get_api_token_for_user
from kundportal.accounts.forms import PortalSettingsForm, ProfileForm, TokenForm
from kundportal.accounts.models import User
from kundportal.core.models import PortalSettings
from kundportal.organisations import services as organisation_services
from kundportal.organisations.access import require_provider_admin
from kundportal.organisations.forms import StaffInviteForm
from kundportal.organisations.models import Invitation


@login_required
def account_settings(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(
        request.POST or None,
        initial={"full_name": user.full_name, "language": user.language or request.LANGUAGE_CODE},
    )
    if request.method == "POST" and form.is_valid():
        services.update_profile(actor=user, **form.cleaned_data)
        translation.activate(user.language)
        messages.success(request, _("Your settings were saved."))
        response = redirect("account_settings")
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, secure=True, samesite="Lax")
        return response
    context = {
        "form": form,
        "token_form": TokenForm(),
        "tokens": user.api_tokens.active(),
        "new_token": request.session.pop("kp_new_token", None),
    }
    return render(request, "accounts/settings.html", context)


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if form.is_valid():
        _token, secret = services.create_api_token(
            actor=request.user, name=form.cleaned_data["name"], request=request
        )
        # Shown once on the next page, then gone: the session keeps it only until it is displayed.
        request.session["kp_new_token"] = secret
    else:
        messages.error(request, _("Give the token a name."))
    return redirect("account_settings")


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: str) -> HttpResponse:
    token = get_api_token_for_user(request.user, token_id)
    services.revoke_api_token(actor=request.user, token=token, request=request)
    messages.success(request, _("The token “%(name)s” no longer works.") % {"name": token.name})
    return redirect("account_settings")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, which also remembers the choice on the account of a logged-in user."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated and translation.check_for_language(language):
        User.objects.filter(pk=request.user.pk).update(language=language)
    return django_set_language(request)


def _staff_page(
    request: HttpRequest, invite_form: StaffInviteForm, settings_form: PortalSettingsForm
) -> HttpResponse:
    context = {
        "staff": User.objects.exclude(provider_role="").order_by("email"),
        "invitations": Invitation.objects.pending()
        .filter(organisation__isnull=True)
        .select_related("invited_by"),
        "invite_form": invite_form,
        "settings_form": settings_form,
    }
    return render(request, "accounts/staff.html", context, status=400 if request.method == "POST" else 200)


@login_required
def staff_list(request: HttpRequest) -> HttpResponse:
    require_provider_admin(request.user)
    return _staff_page(request, StaffInviteForm(), PortalSettingsForm(instance=PortalSettings.load()))


@login_required
@require_POST
def staff_invite(request: HttpRequest) -> HttpResponse:
    require_provider_admin(request.user)
    form = StaffInviteForm(request.POST)
    if form.is_valid():
        try:
            invitation = organisation_services.invite_staff(
                actor=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("An invitation was sent to %(email)s.") % {"email": invitation.email})
            return redirect("staff_list")
    return _staff_page(request, form, PortalSettingsForm(instance=PortalSettings.load()))


@login_required
@require_POST
def portal_settings(request: HttpRequest) -> HttpResponse:
    require_provider_admin(request.user)
    form = PortalSettingsForm(request.POST)
    if not form.is_valid():
        return _staff_page(request, StaffInviteForm(), form)
    services.update_portal_settings(actor=request.user, request=request, **form.cleaned_data)
    messages.success(request, _("Settings saved."))
    return redirect("staff_list")


def admin_login(request: HttpRequest) -> HttpResponse:
    """The Django admin has no login of its own: people log in (with MFA) through the portal. Non-admins get 404."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    raise Http404

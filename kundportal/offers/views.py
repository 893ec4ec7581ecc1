"""The customers' offers pages: their matching offers with "Why am I seeing this?", accept, dismiss, the
offer's picture, and the switch for personalised offers. Parse, check access (access.py), call the service
(responses.py), render. The API (api.py) calls the same functions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kundportal.messaging.listing import object_threads
from kundportal.offers import responses
from kundportal.offers.access import (
    get_offer_for_user,
    get_offer_to_accept,
    get_offer_to_dismiss,
    offers_for,
    personalised,
)
from kundportal.offers.explain import explain, explain_offers
from kundportal.offers.images import read_image
from kundportal.organisations.access import (
    OrganisationAccess,
    get_organisation_for_user,
    is_provider_staff,
    organisation_access,
)
from kundportal.organisations.models import CustomerRole, Organisation
from kundportal.privacy.purposes import PERSONALISED_OFFERS
from kundportal.recommendations.services import recommendations_for


def _offers_page(
    request: HttpRequest, access: OrganisationAccess, organisations: list[Organisation]
) -> HttpResponse:
    user, organisation = request.user, access.organisation
    personal = personalised(user)
    offers = offers_for(user, organisation, personal=personal)
    prefetch_related_objects(offers, "products", "categories")
    facts = explain_offers(offers, organisation)
    for offer in offers:
        offer.facts = facts[offer.pk]  # type: ignore[attr-defined]
    responses.mark_seen(user=user, organisation=organisation, offers=offers)
    context = {
        "access": access,
        "organisation": organisation,
        "organisations": organisations,
        "offers": offers,
        "personal": personal,
        "purpose": PERSONALISED_OFFERS,
        "can_accept": access.customer_role in (CustomerRole.ADMIN, CustomerRole.MEMBER),
        "recommendations": recommendations_for(user, organisation, limit=5),
    }
    return render(request, "offers/list.html", context)


@login_required
def offer_list(request: HttpRequest) -> HttpResponse:
    """The customers' "Offers" navigation item: the offers of their organisation (the first of several, with
    a switch to the others). Staff manage offers on their own pages."""
    if is_provider_staff(request.user):
        return redirect("staff_offer_list")
    organisations = list(Organisation.objects.visible_to(request.user).order_by("name")[:50])
    if not organisations:
        return render(request, "offers/list.html", {"offers": [], "purpose": PERSONALISED_OFFERS})
    access = organisation_access(request.user, organisations[0])
    return _offers_page(request, access, organisations)


@login_required
def organisation_offers(request: HttpRequest, organisation_id: str) -> HttpResponse:
    access = get_organisation_for_user(request.user, organisation_id)
    if access.staff:
        return redirect("staff_offer_list")
    organisations = list(Organisation.objects.visible_to(request.user).order_by("name")[:50])
    return _offers_page(request, access, organisations)


@login_required
def offer_detail(request: HttpRequest, offer_id: str) -> HttpResponse:
    found = get_offer_for_user(request.user, offer_id, organisation_id=request.GET.get("organisation"))
    offer, organisation = found.offer, found.organisation
    prefetch_related_objects([offer], "products", "categories")
    if organisation is not None:
        responses.mark_seen(user=request.user, organisation=organisation, offers=[offer])
    context = {
        "found": found,
        "offer": offer,
        "organisation": organisation,
        "facts": explain(offer, organisation) if organisation is not None else [],
    }
    if organisation is not None:
        context.update(
            object_threads(
                request.user,
                offer=offer,
                can_start=found.access.can_write,
                start={"offer": offer.pk, "organisation": organisation.pk},
            )
        )
    return render(request, "offers/detail.html", context)


@login_required
def offer_image(request: HttpRequest, offer_id: str) -> HttpResponse:
    """The offer's picture, decrypted, to those who may see the offer."""
    found = get_offer_for_user(request.user, offer_id)
    try:
        image = found.offer.image
    except ObjectDoesNotExist:
        raise Http404 from None
    response = HttpResponse(read_image(image), content_type=image.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Disposition"] = "inline"
    return response


def _back(request: HttpRequest) -> HttpResponse:
    """To the page the button was on (the dashboard, the offer's page), else the offers page."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("offer_list")


@login_required
@require_POST
def offer_accept(request: HttpRequest, offer_id: str) -> HttpResponse:
    found = get_offer_to_accept(request.user, offer_id, organisation_id=request.POST.get("organisation"))
    try:
        _response, new = responses.accept_offer(
            actor=request.user, offer=found, message=request.POST.get("message", ""), request=request
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        if new:
            messages.success(
                request, _("Thank you. Your account manager was told and will contact you about this offer.")
            )
        else:
            messages.info(request, _("You accepted this offer already: your account manager has it."))
    return _back(request)


@login_required
@require_POST
def offer_dismiss(request: HttpRequest, offer_id: str) -> HttpResponse:
    found = get_offer_to_dismiss(request.user, offer_id, organisation_id=request.POST.get("organisation"))
    responses.dismiss_offer(actor=request.user, offer=found)
    messages.success(
        request,
        _("“%(title)s” is dismissed: it will not be shown to you again.") % {"title": found.offer.title},
    )
    return _back(request)

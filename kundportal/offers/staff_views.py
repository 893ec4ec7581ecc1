"""The provider's offer pages under /offers/manage/: list, form with its targeting preview, detail with the
acceptances. Staff only; customers are not told these pages exist (404). Access and rules: offers.services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from kundportal.messaging.listing import object_threads
from kundportal.offers import images, services
from kundportal.offers.forms import OfferForm, TargetForm, report
from kundportal.offers.models import Offer, OfferImage, OfferStatus
from kundportal.offers.targeting import Target, clean_target, describe, names_for
from kundportal.organisations.access import require_provider_staff

PER_PAGE = 25
ACCEPTANCES_PER_PAGE = 50
STATUS_FILTERS = {status.value: status for status in OfferStatus}


def offer_state(offer: Offer, today: date) -> tuple[str, str]:
    """What staff need to know at a glance, with a badge style: a published offer may not be live yet, or
    any more."""
    if offer.status == OfferStatus.DRAFT:
        return _("Draft"), ""
    if offer.status == OfferStatus.ENDED:
        return _("Ended"), ""
    if offer.starts_on > today:
        return _("Scheduled"), "warn"
    if offer.ends_on < today:
        return _("Expired"), ""
    return _("Live"), "ok"


def _describe(offers: list[Offer]) -> None:
    """Each offer's target in words and its state, for a whole page in two queries."""
    today = timezone.localdate()
    targets = [Target.from_json(offer.target) for offer in offers]
    names = names_for(targets, language=get_language() or "en")
    for offer, target in zip(offers, targets, strict=True):
        offer.summary = describe(target, names)  # type: ignore[attr-defined]
        offer.state, offer.state_style = offer_state(offer, today)  # type: ignore[attr-defined]


@login_required
def offer_list(request: HttpRequest) -> HttpResponse:
    require_provider_staff(request.user)
    offers = services.with_stats(services.staff_offers(request.user)).select_related("manager", "image")
    status = request.GET.get("status", "")
    if status in STATUS_FILTERS:
        offers = offers.filter(status=status)
    page = Paginator(offers.order_by("-created_at"), PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    _describe(rows)
    context = {
        "page": page,
        "offers": rows,
        "status": status,
        "statuses": OfferStatus.choices,
        "paging_query": f"status={status}" if status in STATUS_FILTERS else "",
        "has_offers": bool(rows) or services.staff_offers(request.user).exists(),
    }
    return render(request, "offers/staff/list.html", context)


def _with_image_upload(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The picture arrives in memory only (offers.images.ImageUploadHandler), never in a temporary file: the
    handler must be in place before the CSRF check parses the body, so the check runs inside, after it."""
    protected = csrf_protect(view)

    @csrf_exempt
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        images.use_image_upload(request)
        return protected(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _bound_form(request: HttpRequest, offer: Offer | None) -> OfferForm:
    initial = OfferForm.initial_for(offer) if offer is not None else {}
    if request.method != "POST":
        return OfferForm(initial=initial)
    data, files = request.POST, request.FILES  # parses the body (and may flag a picture as too large)
    return OfferForm(
        data, files, initial=initial, image_too_large=getattr(request, "offer_image_too_large", False)
    )


def _preview_of(request: HttpRequest, form: TargetForm, offer: Offer | None) -> dict[str, Any]:
    """The preview partial's context: the counts, or what is wrong with the target."""
    if not form.is_valid():
        names = [name for name in form.errors if name in form.fields]
        return {"preview": None, "preview_errors": [form.fields[n].label for n in names]}
    try:
        target = clean_target(form.target_data())
    except ValidationError as error:
        return {"preview": None, "preview_errors": [form.fields[n].label for n in error.message_dict]}
    manager_id = services.scope_manager_id(actor=request.user, offer=offer)
    preview = services.preview_target(actor=request.user, target=target, manager_id=manager_id)
    return {"preview": preview, "preview_errors": []}


def _form_page(request: HttpRequest, form: OfferForm, offer: Offer | None, **extra: Any) -> HttpResponse:
    status = 400 if request.method == "POST" and form.errors else 200
    image = getattr(offer, "image", None) if offer is not None else None
    context = {"form": form, "offer": offer, "image": image, **extra}
    return render(request, "offers/staff/form.html", context, status=status)


def _save_picture(request: HttpRequest, form: OfferForm, offer: Offer, *, had_image: bool) -> None:
    alt_text = form.cleaned_data.get("alt_text", "")
    if form.image_data is not None:
        images.set_offer_image(
            actor=request.user, offer=offer, data=form.image_data, alt_text=alt_text, request=request
        )
    elif form.cleaned_data.get("remove_image"):
        images.remove_offer_image(actor=request.user, offer=offer, request=request)
    elif had_image:
        images.describe_offer_image(actor=request.user, offer=offer, alt_text=alt_text, request=request)


@_with_image_upload
@login_required
def offer_create(request: HttpRequest) -> HttpResponse:
    require_provider_staff(request.user)
    form = _bound_form(request, None)
    if request.method == "POST" and request.POST.get("action") == "preview":
        return _form_page(request, form, None, **_preview_of(request, TargetForm(request.POST), None))
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                offer = services.create_offer(
                    actor=request.user, data=form.data_for_service(), request=request
                )
                _save_picture(request, form, offer, had_image=False)
        except ValidationError as error:
            report(form, error)
        else:
            messages.success(
                request, _("The draft “%(title)s” was saved. Publish it when it is ready.") % {"title": offer}
            )
            return redirect("staff_offer_detail", offer_id=offer.pk)
    return _form_page(request, form, None)


@_with_image_upload
@login_required
def offer_edit(request: HttpRequest, offer_id: str) -> HttpResponse:
    offer = services.get_offer_for_staff(request.user, offer_id, write=True)
    if offer.status == OfferStatus.ENDED:
        messages.error(request, _("An ended offer cannot be changed. Duplicate it to offer it again."))
        return redirect("staff_offer_detail", offer_id=offer.pk)
    form = _bound_form(request, offer)
    if request.method == "POST" and request.POST.get("action") == "preview":
        return _form_page(request, form, offer, **_preview_of(request, TargetForm(request.POST), offer))
    if request.method == "POST" and form.is_valid():
        had_image = OfferImage.objects.filter(offer=offer).exists()
        try:
            with transaction.atomic():
                offer = services.update_offer(
                    actor=request.user, offer=offer, data=form.data_for_service(), request=request
                )
                _save_picture(request, form, offer, had_image=had_image)
        except ValidationError as error:
            report(form, error)
        else:
            messages.success(request, _("The offer “%(title)s” was saved.") % {"title": offer})
            return redirect("staff_offer_detail", offer_id=offer.pk)
    return _form_page(request, form, offer)


@login_required
@require_POST
def offer_preview(request: HttpRequest) -> HttpResponse:
    """The form's "who does this reach?" box (htmx swaps it in as the target changes)."""
    require_provider_staff(request.user)
    offer = None
    if offer_id := request.POST.get("offer"):
        offer = services.get_offer_for_staff(request.user, offer_id)
    return render(
        request, "offers/staff/_preview.html", _preview_of(request, TargetForm(request.POST), offer)
    )


@login_required
def offer_detail(request: HttpRequest, offer_id: str) -> HttpResponse:
    offer = services.get_offer_for_staff(request.user, offer_id)
    stats = services.with_stats(Offer.objects.filter(pk=offer.pk)).values(
        "views", "acceptances", "dismissals"
    )
    acceptances = services.visible_acceptances(request.user, offer)
    page = Paginator(acceptances, ACCEPTANCES_PER_PAGE).get_page(request.GET.get("page"))
    _describe([offer])
    preview = None
    if offer.status == OfferStatus.DRAFT:  # what publishing would do, before anyone presses the button
        preview = services.preview_target(
            actor=request.user, target=Target.from_json(offer.target), manager_id=offer.manager_id
        )
    context = {
        "offer": offer,
        "image": getattr(offer, "image", None),
        "stats": stats.get(),
        "page": page,
        "paging_query": "",
        "preview": preview,
        "can_change": services.can_change_offer(request.user, offer),
        "expired": offer.ends_on < timezone.localdate(),
        "products": offer.products.order_by("name"),
        "categories": offer.categories.order_by("name"),
        **object_threads(request.user, offer=offer, can_start=True, start={"offer": offer.pk}),
    }
    return render(request, "offers/staff/detail.html", context)


def _state_change(
    request: HttpRequest, offer_id: str, change: Callable[..., Offer], done: Callable[[Offer], str]
) -> HttpResponse:
    offer = services.get_offer_for_staff(request.user, offer_id, write=True)
    try:
        offer = change(actor=request.user, offer=offer, request=request)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, done(offer))
    return redirect("staff_offer_detail", offer_id=offer.pk)


@login_required
@require_POST
def offer_publish(request: HttpRequest, offer_id: str) -> HttpResponse:
    def done(offer: Offer) -> str:
        return ngettext(
            "“%(title)s” is published. It matches %(count)d customer today.",
            "“%(title)s” is published. It matches %(count)d customers today.",
            offer.reach,
        ) % {"title": offer.title, "count": offer.reach}

    return _state_change(request, offer_id, services.publish_offer, done)


@login_required
@require_POST
def offer_end(request: HttpRequest, offer_id: str) -> HttpResponse:
    def done(offer: Offer) -> str:
        return _("“%(title)s” has ended: customers no longer see it.") % {"title": offer.title}

    return _state_change(request, offer_id, services.end_offer, done)


@login_required
@require_POST
def offer_duplicate(request: HttpRequest, offer_id: str) -> HttpResponse:
    offer = services.get_offer_for_staff(request.user, offer_id)
    copy = services.duplicate_offer(actor=request.user, offer=offer, request=request)
    messages.success(request, _("This is a copy of “%(title)s”, saved as a draft.") % {"title": offer.title})
    return redirect("staff_offer_edit", offer_id=copy.pk)


@login_required
@require_POST
def acceptance_handled(request: HttpRequest, offer_id: str, response_id: str) -> HttpResponse:
    offer = services.get_offer_for_staff(request.user, offer_id)
    response = services.get_acceptance_for_staff(request.user, offer, response_id)
    services.mark_acceptance_handled(actor=request.user, response=response, request=request)
    messages.success(
        request,
        _("The request from %(customer)s is marked as handled.") % {"customer": response.organisation},
    )
    return redirect("staff_offer_detail", offer_id=offer.pk)


@login_required
def offer_image(request: HttpRequest, offer_id: str) -> HttpResponse:
    """The picture as staff see it in the form and on the detail page (customers get theirs from the
    customer pages, for the offers they may see)."""
    offer = services.get_offer_for_staff(request.user, offer_id)
    image = OfferImage.objects.filter(offer=offer).first()
    if image is None:
        raise Http404
    response = HttpResponse(images.read_image(image), content_type=image.content_type)
    response["Cache-Control"] = "private, no-cache"
    response["Content-Disposition"] = "inline"
    response["ETag"] = f'"{image.sha256}"'
    return response

"""Customers' offers pages. (Placeholder routes until the offers pages land: they answer 404.)"""

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path


def _not_yet(request: HttpRequest) -> HttpResponse:
    raise Http404


urlpatterns: list[URLPattern | URLResolver] = [path("offers/", _not_yet, name="offer_list")]

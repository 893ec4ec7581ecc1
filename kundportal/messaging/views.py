"""Conversation pages: to be built (issue 6)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse


@login_required
def thread_list(request: HttpRequest) -> HttpResponse:
    raise Http404

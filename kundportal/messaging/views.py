"""Conversation pages: parse, check access (access.py), call the service (threads.py), render (pages.py)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from kundportal.messaging import pages, threads
from kundportal.messaging.access import get_thread_for_user
from kundportal.messaging.export import export_lines
from kundportal.messaging.forms import NewThreadForm, NoteForm, ReplyForm, report


@login_required
def thread_list(request: HttpRequest) -> HttpResponse:
    return pages.thread_list_page(request)


@login_required
def thread_create(request: HttpRequest) -> HttpResponse:
    about = pages.new_thread_subject(request)
    if about is None:  # provider staff choose the customer first
        return pages.choose_organisation_page(request)
    if not about.access.can_write:
        raise PermissionDenied
    form = NewThreadForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            files = pages.received_files(request)
            thread = threads.start_thread(
                actor=request.user,
                organisation=about.access.organisation,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                files=files,
                request=request,
                **about.objects(),
            )
        except (ValidationError, *pages.FILE_ERRORS) as error:
            return pages.new_thread_page(request, about, form, error=error)
        return redirect(threads.thread_url(thread))
    return pages.new_thread_page(request, about, form)


@login_required
def thread_detail(request: HttpRequest, thread_id: str) -> HttpResponse:
    return pages.thread_page(request, get_thread_for_user(request.user, thread_id))


def _post(request: HttpRequest, thread_id: str, *, internal: bool) -> HttpResponse:
    found = get_thread_for_user(request.user, thread_id, write=True)
    if internal and not found.staff:
        raise PermissionDenied
    form = NoteForm(request.POST) if internal else ReplyForm(request.POST)
    if not form.is_valid():
        pages.discard_received(request)
        return pages.thread_page(
            request, found, **{"note_form" if internal else "reply_form": form}, status=400
        )
    try:
        message = threads.post_message(
            actor=request.user,
            thread=found.thread,
            body=form.cleaned_data["body"],
            files=pages.received_files(request),
            internal=internal,
            request=request,
        )
    except (ValidationError, *pages.FILE_ERRORS) as error:
        status = pages.error_status(error)
        if isinstance(error, ValidationError):
            report(form, error)
        else:
            form.add_error(None, pages.file_error_message(error))
        return pages.thread_page(
            request, found, **{"note_form" if internal else "reply_form": form}, status=status
        )
    pages.posted(request, found, message)
    return redirect(f"{threads.thread_url(found.thread)}#message-{message.pk}")


@login_required
@require_POST
def thread_reply(request: HttpRequest, thread_id: str) -> HttpResponse:
    return _post(request, thread_id, internal=False)


@login_required
@require_POST
def thread_note(request: HttpRequest, thread_id: str) -> HttpResponse:
    return _post(request, thread_id, internal=True)


@login_required
@require_POST
def thread_close(request: HttpRequest, thread_id: str) -> HttpResponse:
    found = get_thread_for_user(request.user, thread_id, write=True)
    threads.close_thread(actor=request.user, thread=found.thread, request=request)
    pages.closed(request)
    return redirect(threads.thread_url(found.thread))


@login_required
@require_POST
def thread_reopen(request: HttpRequest, thread_id: str) -> HttpResponse:
    found = get_thread_for_user(request.user, thread_id, write=True)
    threads.reopen_thread(actor=request.user, thread=found.thread, request=request)
    pages.reopened(request)
    return redirect(threads.thread_url(found.thread))


@login_required
def thread_export(request: HttpRequest, thread_id: str) -> HttpResponse:
    """The conversation as plain text, as its reader sees it (customers never get internal notes)."""
    found = get_thread_for_user(request.user, thread_id)
    response = StreamingHttpResponse(
        export_lines(request.user, found), content_type="text/plain; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="conversation-{found.thread.pk}.txt"'
    response["X-Content-Type-Options"] = "nosniff"
    return response

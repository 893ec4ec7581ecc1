"""The import pages for provider admins: upload a CSV, see the report per row, apply it all or nothing."""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from kundportal.imports import services
from kundportal.imports.access import get_batch_for_user, require_provider_admin
from kundportal.imports.models import BatchStatus, ImportBatch, ImportKind
from kundportal.imports.parsers import COLUMNS, MAX_FILE_BYTES, MAX_ROWS, REQUIRED_COLUMNS
from kundportal.imports.progress import PHASES, read_progress
from kundportal.imports.report import ImportRefused, Report, render_message
from kundportal.imports.samples import SAMPLES
from kundportal.imports.uploads import keep_uploads_in_memory, upload_problem

ERRORS_PER_PAGE = 100


@login_required
@csrf_exempt  # checked by _import_start, once the in-memory upload handler is in place
def import_start(request: HttpRequest) -> HttpResponse:
    require_provider_admin(request.user)
    if request.method == "POST":
        keep_uploads_in_memory(request)
    return _import_start(request)


@csrf_protect
def _import_start(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _start_page(request)
    kind = request.POST.get("kind", "")
    upload = request.FILES.get("file")
    problem = upload_problem(request, upload)
    errors = (
        [] if kind in ImportKind.values else [_("Choose what the file holds: customers, products or orders.")]
    )
    if problem:
        errors.append(render_message(problem, {"limit": MAX_FILE_BYTES // (1024 * 1024)}))
    if not errors:
        assert upload is not None
        try:
            batch = services.preview_import(
                actor=request.user, kind=kind, data=upload.read(), file_name=upload.name or ""
            )
        except ImportRefused as refused:
            errors = [error.message for error in refused.report.errors]
        else:
            return redirect("import_preview", batch_id=batch.pk)
    return _start_page(request, errors=errors, kind=kind, status=413 if problem == "too_large" else 400)


def _start_page(
    request: HttpRequest, *, errors: list[str] | None = None, kind: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "errors": errors or [],
        "chosen_kind": kind,
        "kinds": [
            {
                "value": value,
                "label": label,
                "columns": [
                    {"name": name, "required": name in REQUIRED_COLUMNS[value], "aliases": aliases[:6]}
                    for name, aliases in COLUMNS[value].items()
                ],
            }
            for value, label in ImportKind.choices
        ],
        "batches": ImportBatch.objects.select_related("created_by").order_by("-created_at")[:20],
        "max_mb": MAX_FILE_BYTES // (1024 * 1024),
        "max_rows": MAX_ROWS,
    }
    return render(request, "imports/start.html", context, status=status)


@login_required
def import_preview(request: HttpRequest, batch_id: str) -> HttpResponse:
    batch = get_batch_for_user(request.user, batch_id)
    report = Report.from_dict(batch.report)
    page = Paginator(report.errors, ERRORS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "batch": batch,
        "report": report,
        "page": page,
        "errors": [
            {"row": e.row, "column": report.column_label(e.column), "message": e.message}
            for e in page.object_list
        ],
        "notices": [
            {"row": n.row, "column": report.column_label(n.column), "message": n.message}
            for n in report.notices[:200]
        ],
        "more_notices": max(0, len(report.notices) - 200),
        "paging_query": "",
        "progress": read_progress(batch.pk) if batch.status == BatchStatus.QUEUED else None,
        "phases": PHASES,
    }
    return render(request, "imports/preview.html", context)


@login_required
@require_POST
def import_apply(request: HttpRequest, batch_id: str) -> HttpResponse:
    batch = get_batch_for_user(request.user, batch_id)
    try:
        report = services.start_apply(actor=request.user, batch=batch, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except ImportRefused as refused:
        messages.error(request, " ".join(e.message for e in refused.report.errors))
    else:
        if report is None:
            pass  # applied in the background: the page shows its progress
        elif report.ok:
            messages.success(
                request,
                _("Imported: %(create)d new, %(update)d updated, %(unchanged)d unchanged.") % report.counts,
            )
        else:
            messages.error(
                request,
                _("The data changed since the preview and the file has errors now. Nothing was applied."),
            )
    return redirect("import_preview", batch_id=batch.pk)


@login_required
def import_status(request: HttpRequest, batch_id: str) -> JsonResponse:
    """What the preview page's progress bar polls while a large file is applied in the background."""
    batch = get_batch_for_user(request.user, batch_id)
    running = batch.status == BatchStatus.QUEUED
    return JsonResponse(
        {"status": batch.status, "running": running, **(read_progress(batch.pk) if running else {})}
    )


@login_required
@require_POST
def import_discard(request: HttpRequest, batch_id: str) -> HttpResponse:
    batch = get_batch_for_user(request.user, batch_id)
    try:
        services.discard_batch(actor=request.user, batch=batch)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("import_preview", batch_id=batch.pk)
    messages.success(request, _("The import was discarded. Nothing was changed and the file is deleted."))
    return redirect("import_start")


@login_required
def import_sample(request: HttpRequest, kind: str) -> HttpResponse:
    require_provider_admin(request.user)
    if kind not in SAMPLES:
        raise Http404
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(SAMPLES[kind])
    response = HttpResponse(out.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="kundportal-{kind}-sample.csv"'
    return response

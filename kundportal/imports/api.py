"""API: Bulk upserts idempotent by external_id: validated as a whole, applied all or nothing.

Provider admins only; to everyone else these endpoints do not exist (404). The bodies are read here rather
than by ninja, for two reasons: a 10,000-row import is larger than Django's 2.5 MB limit for request.body
(these endpoints allow parsers.MAX_FILE_BYTES), and an uploaded CSV must stay in memory (imports.uploads),
which means installing the upload handler before anything parses the body.
"""

# No `from __future__ import annotations`: ninja reads the parameter annotations at import time.

import json
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field, ValidationError

from kundportal.imports import services
from kundportal.imports.access import require_provider_admin
from kundportal.imports.models import ImportKind
from kundportal.imports.parsers import MAX_FILE_BYTES, MAX_ROWS, read_json_rows
from kundportal.imports.report import ImportRefused, Report, refuse
from kundportal.imports.uploads import content_type_problem, keep_uploads_in_memory, upload_problem

router = Router(tags=["imports"])

KIND_DESCRIPTION = "What the rows are: `customers`, `products` or `orders`."


class ImportIn(Schema):
    # Not InputSchema: a NUL in a cell is a row error with its row number (imports.values), not a 422 for the
    # whole body.
    rows: list[dict[str, str | int | float | bool | None]] = Field(
        description=f"At most {MAX_ROWS:,}. "
        "One object per row, keyed by the column names of the CSV import (for example "
        "`external_id`, `name`, `country`; orders: one row per order line, grouped by `external_id`).",
    )
    dry_run: bool = Field(default=False, description="Only validate and report; change nothing.")


class CountsOut(Schema):
    rows: int = Field(description="Rows read (for orders: order lines).")
    create: int
    update: int
    unchanged: int
    error: int = Field(description="Records (customers, products, orders) with at least one error.")


class RowErrorOut(Schema):
    row: int = Field(
        description="The row's number: 1 for the first JSON row; in a CSV file the header is row 1. "
        "0: the request or file as a whole."
    )
    column: str = Field(description="The field's name in this API, or empty for the whole row.")
    column_name: str = Field(description="The column as named in the file (or the JSON key).")
    code: str
    message: str = Field(description="In the request's language.")


class ReportOut(Schema):
    kind: str
    dry_run: bool
    applied: bool = Field(description="True when the rows were written, all of them in one transaction.")
    counts: CountsOut
    errors: list[RowErrorOut]
    notices: list[RowErrorOut] = Field(description="Worth a look; they never stop an import.")


class ParameterErrorOut(Schema):
    """A query parameter that is not what it should be (ninja's own answer, before the body is read)."""

    detail: list[dict[str, Any]]


REPORT_RESPONSES = {200: ReportOut, 413: ReportOut, 415: ReportOut}
CSV_RESPONSES = {**REPORT_RESPONSES, 422: ReportOut | ParameterErrorOut}


def _out(report: Report, *, dry_run: bool, applied: bool) -> dict[str, Any]:
    def item(error: Any) -> dict[str, Any]:
        return {
            "row": error.row,
            "column": error.column,
            "column_name": report.column_label(error.column),
            "code": error.code,
            "message": error.message,
        }

    return {
        "kind": report.kind,
        "dry_run": dry_run,
        "applied": applied,
        "counts": report.counts,
        "errors": [item(e) for e in sorted(report.errors, key=lambda e: (e.row, e.column))],
        "notices": [item(n) for n in report.notices],
    }


def _answer(report: Report, *, dry_run: bool) -> Status:
    if not report.ok:
        status = (
            413
            if report.errors[0].code == "too_large"
            else 415
            if report.errors[0].code
            in (
                "not_csv",
                "workbook",
                "binary",
            )
            else 422
        )
        return Status(status, _out(report, dry_run=dry_run, applied=False))
    return Status(200, _out(report, dry_run=dry_run, applied=not dry_run))


def _kind(request: HttpRequest, kind: str) -> str:
    require_provider_admin(request.user)
    if kind not in ImportKind.values:
        raise Http404
    return kind


def _read_body(request: HttpRequest, kind: str) -> bytes:
    """The raw body, up to the limit (Django's own request.body stops at 2.5 MB)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    limit = MAX_FILE_BYTES // (1024 * 1024)
    if declared > MAX_FILE_BYTES:
        raise refuse(kind, "too_large", limit=limit)
    data = request.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise refuse(kind, "too_large", limit=limit)
    return data


JSON_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": ImportIn.model_json_schema()}},
    }
}
CSV_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}


@router.post(
    "/imports/{kind}",
    response={**REPORT_RESPONSES, 422: ReportOut},
    openapi_extra=JSON_BODY,
    summary="Bulk upsert rows (provider admins)",
    description=f"{KIND_DESCRIPTION} Rows are matched by `external_id`: new ones are created, changed ones "
    "updated, the same ones left unchanged, so sending the same rows twice changes nothing the second time. "
    "Every row is validated first; with any error nothing is applied (422, every error reported with its row). "
    f"At most {MAX_ROWS:,} rows and {MAX_FILE_BYTES // (1024 * 1024)} MB.",
)
def import_rows(request: HttpRequest, kind: str) -> Status:
    kind = _kind(request, kind)
    try:
        body = _read_body(request, kind)
        try:
            payload = ImportIn.model_validate(json.loads(body))
        except (ValueError, ValidationError):
            raise refuse(kind, "invalid_json") from None
        table = read_json_rows(payload.rows, kind)
        report = services.run_import(
            actor=request.user, table=table, dry_run=payload.dry_run, source="api", request=request
        )
    except ImportRefused as refused:
        return _answer(refused.report, dry_run=False)
    return _answer(report, dry_run=payload.dry_run)


@router.post(
    "/imports/{kind}/csv",
    response=CSV_RESPONSES,
    openapi_extra=CSV_BODY,
    summary="Import a CSV file (provider admins)",
    description=f"{KIND_DESCRIPTION} The same import as the page: a multipart field `file` or the CSV as a "
    "`text/csv` body; `,`, `;` or tab separated, UTF-8 (with or without BOM) or Windows-1252, header names in "
    "English, Swedish or German. Validated as a whole and applied all or nothing, like the JSON variant.",
)
def import_csv(request: HttpRequest, kind: str, dry_run: bool = False) -> Status:
    kind = _kind(request, kind)
    try:
        if request.content_type == "multipart/form-data":
            if not hasattr(request, "_files"):  # a session's CSRF check may have parsed it already
                keep_uploads_in_memory(request)
            upload = request.FILES.get("file")
            if problem := upload_problem(request, upload):
                raise refuse(kind, problem, limit=MAX_FILE_BYTES // (1024 * 1024))
            data = upload.read()
        elif problem := content_type_problem(request.content_type or ""):
            raise refuse(kind, problem)
        else:
            data = _read_body(request, kind)
        report = services.import_csv_bytes(
            actor=request.user, kind=kind, data=data, dry_run=dry_run, request=request
        )
    except ImportRefused as refused:
        return _answer(refused.report, dry_run=dry_run)
    return _answer(report, dry_run=dry_run)

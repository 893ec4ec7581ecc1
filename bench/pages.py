"""Page benchmark: server latency and memory of Kundportal's main pages, against nginx in the same run.

    .venv/bin/python bench/pages.py              # one run over plain HTTP, about 1-2 minutes
    .venv/bin/python bench/pages.py --runs 3     # three runs; the table shows the median of the run medians
    .venv/bin/python bench/pages.py --https      # also a pass over granian's own TLS (twice as long)

What it does (see bench/README.md):

1. A fresh temporary data dir: `kundportal migrate`, `kundportal demo`, then generated data (in a child
   process of this script with DJANGO_SETTINGS_MODULE and the same KUNDPORTAL_DATA_DIR): "Nordbygg AB" grows
   to 1,000 members, "Tio Konsult AB" has 10, ~200 organisations in all, invitations and audit events.
   "Nordbygg AB" gets the default folder template; its "Drawings" folder gets --documents documents (10,000)
   with 1-3 versions each, "Customer uploads" 10 (bulk-created rows, no blobs: listings never read them).
2. Query counts, in-process (Django test client, force_login, CaptureQueriesContext): dashboard and
   organisation page for a 10-member and a 1,000-member organisation; the folder rows below.
3. Per run: `kundportal serve --http --workers 1` (and, with --https, the default HTTPS server too), nginx
   serving a static ~4 KB HTML file (the rendered login page) over HTTP (and HTTPS), log in through the real
   login form, then timed GETs, interleaved round-robin so drift hits every target alike. Latency is measured
   by the client on loopback (requests, keep-alive): it includes the client's own overhead, which is why
   nginx is in the table. Peak RSS is sampled from /proc for the whole server process tree. The folder rows
   (customer admin): the 10,000-document folder by name, newest first, by size, by uploader, a search
   matching 1 %, page 150, the 10-document folder, and the API list (session auth) at offset 0 and 9,950.
   Each must show its expected first and last document (computed from the generated data, not by the app).
4. Prints a Markdown table and writes it to bench/results/pages-<date>.md. Everything started is stopped in
   `finally`, also on error, Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENV_BIN = Path(sys.executable).parent
KUNDPORTAL = VENV_BIN / "kundportal"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

BIG_ORG = "Nordbygg AB"  # demo organisation of the customer admin anna@nordbygg.example, grown to --members
SMALL_ORG = "Tio Konsult AB"  # a 10-member organisation, for the query-count comparison
SMALL_ADMIN = "admin@tiokonsult.example"
PROVIDER_ADMIN = "admin@kundportal.example"
CUSTOMER_ADMIN = "anna@nordbygg.example"


# ----------------------------------------------------------------------------------------------------
# Child mode 1: data generation (runs with DJANGO_SETTINGS_MODULE and KUNDPORTAL_DATA_DIR set by the parent)
# ----------------------------------------------------------------------------------------------------

FIRST = [
    "Anna",
    "Erik",
    "Sara",
    "Johan",
    "Maria",
    "Lars",
    "Karin",
    "Anders",
    "Eva",
    "Per",
    "Lena",
    "Nils",
    "Ingrid",
    "Olof",
    "Astrid",
    "Jonas",
    "Klara",
    "Mats",
    "Elin",
    "Hugo",
    "Greta",
    "Lukas",
    "Sofie",
    "Felix",
]
LAST = [
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Pettersson",
    "Jonsson",
    "Berg",
    "Lind",
    "Ek",
    "Holm",
    "Müller",
    "Schmidt",
    "Wagner",
    "Fischer",
]
TRADE = [
    "Bygg",
    "Konsult",
    "Fastigheter",
    "Revision",
    "Design",
    "Teknik",
    "Logistik",
    "Planung",
    "Energi",
    "Data",
    "Arkitekter",
    "Måleri",
    "El",
    "VVS",
    "Juridik",
    "Media",
]
FORM = ["AB", "AB", "AB", "HB", "GmbH", "KB"]


def generate(members: int, orgs_total: int, events: int, documents: int) -> None:
    import hashlib
    import random

    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from kundportal.accounts.models import User
    from kundportal.audit.models import Action, AuditEvent
    from kundportal.organisations.models import (
        CustomerRole,
        Invitation,
        Membership,
        Organisation,
        OrganisationKind,
        StaffAssignment,
    )

    rng = random.Random(20261123)
    unusable = make_password(None)  # "!" + random: no hashing cost, and nobody can log in as a generated user
    now = timezone.now()

    def role() -> str:
        draw = rng.random()
        return (
            CustomerRole.ADMIN if draw < 0.03 else CustomerRole.VIEWER if draw < 0.3 else CustomerRole.MEMBER
        )

    def person(email: str) -> User:
        return User(
            email=email,
            full_name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            password=unusable,
            date_joined=now - datetime.timedelta(days=rng.randint(0, 900)),
        )

    with transaction.atomic():
        admin = User.objects.get(email=PROVIDER_ADMIN)
        manager = User.objects.get(email="manager@kundportal.example")
        big = Organisation.objects.get(name=BIG_ORG)
        users: list[User] = []
        memberships: list[Membership] = []

        missing = members - big.memberships.count()
        for i in range(missing):
            user = person(f"person{i + 1:04d}@nordbygg.example")
            users.append(user)
            memberships.append(Membership(organisation=big, user=user, role=role()))

        small = Organisation.objects.create(name=SMALL_ORG, kind=OrganisationKind.COMPANY)
        for i in range(10):
            user = person(SMALL_ADMIN if i == 0 else f"person{i:02d}@tiokonsult.example")
            users.append(user)
            memberships.append(
                Membership(organisation=small, user=user, role=CustomerRole.ADMIN if i == 0 else role())
            )

        organisations: list[Organisation] = []
        names = {o.name for o in Organisation.objects.all()}
        while len(names) < orgs_total:
            kind = OrganisationKind.PRIVATE if rng.random() < 0.15 else OrganisationKind.COMPANY
            name = (
                f"{rng.choice(FIRST)} {rng.choice(LAST)}"
                if kind == OrganisationKind.PRIVATE
                else f"{rng.choice(LAST)} {rng.choice(TRADE)} {rng.choice(FORM)}"
            )
            if name in names:
                name = f"{name} {len(organisations)}"
            names.add(name)
            organisations.append(Organisation(name=name, kind=kind, require_mfa=rng.random() < 0.1))
        Organisation.objects.bulk_create(organisations)
        for n, organisation in enumerate(organisations):
            size = (
                1
                if organisation.kind == OrganisationKind.PRIVATE
                else rng.choice([1, 2, 3, 3, 4, 5, 6, 8, 12, 20])
            )
            for i in range(size):
                user = person(f"p{i}.org{n:03d}@customer{n:03d}.example")
                users.append(user)
                memberships.append(
                    Membership(
                        organisation=organisation, user=user, role=CustomerRole.ADMIN if i == 0 else role()
                    )
                )
        User.objects.bulk_create(users, batch_size=500)
        Membership.objects.bulk_create(memberships, batch_size=500)

        every = list(Organisation.objects.all())
        StaffAssignment.objects.bulk_create(
            [StaffAssignment(organisation=o, user=manager) for o in every if rng.random() < 0.4],
            ignore_conflicts=True,
        )

        invitations = []
        for organisation in every:
            count = 5 if organisation.pk == big.pk else (rng.randint(1, 3) if rng.random() < 0.3 else 0)
            for i in range(count):
                token_hash = hashlib.sha256(f"{organisation.pk}-{i}-{rng.random()}".encode()).hexdigest()
                state = rng.random()
                invitations.append(
                    Invitation(
                        organisation=organisation,
                        email=f"invitee{i}.{str(organisation.pk)[:8]}@example.com",
                        role=CustomerRole.MEMBER,
                        token_hash=token_hash,
                        invited_by=admin,
                        expires_at=now + datetime.timedelta(days=rng.randint(-10, 7) if state < 0.3 else 5),
                        accepted_at=now - datetime.timedelta(days=1) if 0.3 <= state < 0.45 else None,
                    )
                )
        Invitation.objects.bulk_create(invitations)

        # Audit events over the last year: mostly logins (no organisation), the rest team and settings events.
        people = list(User.objects.values_list("pk", "email"))
        weights = [40 if o.pk == big.pk else 1 for o in every]
        org_actions = [
            Action.INVITATION_SENT,
            Action.INVITATION_ACCEPTED,
            Action.ROLE_CHANGED,
            Action.MEMBER_REMOVED,
            Action.ORGANISATION_SETTINGS,
            Action.MANAGER_ASSIGNED,
        ]
        audit = []
        for _ in range(events):
            actor_pk, actor_email = rng.choice(people)
            at = now - datetime.timedelta(seconds=rng.randint(60, 365 * 86400))
            if rng.random() < 0.6:
                audit.append(
                    AuditEvent(
                        at=at,
                        action=Action.LOGIN,
                        actor_id=actor_pk,
                        actor_label=actor_email,
                        ip="192.0.2.10",
                    )
                )
            else:
                organisation = rng.choices(every, weights)[0]
                audit.append(
                    AuditEvent(
                        at=at,
                        action=rng.choice(org_actions),
                        actor_id=actor_pk,
                        actor_label=actor_email,
                        organisation=organisation,
                        target_type="organisations.membership",
                        target_id=str(organisation.pk),
                        target_label=f"someone@{str(organisation.pk)[:8]}.example",
                        ip="192.0.2.10",
                        data={"role": "member"},
                    )
                )
        AuditEvent.objects.bulk_create(audit, batch_size=1000)

        folders = generate_documents(rng, big, SMALL_FOLDER_DOCUMENTS, documents, now)

    print(
        json.dumps(
            {
                "users": User.objects.count(),
                "organisations": Organisation.objects.count(),
                "memberships": Membership.objects.count(),
                "big_members": big.memberships.count(),
                "small_members": small.memberships.count(),
                "big_id": str(big.pk),
                "small_id": str(small.pk),
                "invitations": Invitation.objects.count(),
                "audit_events": AuditEvent.objects.count(),
                **folders,
            }
        )
    )


# ----------------------------------------------------------------------------------------------------
# Documents: one folder with --documents documents (default 10,000) and one with 10, in BIG_ORG
# ----------------------------------------------------------------------------------------------------

BIG_FOLDER = "Drawings"  # read_write in the starter template: customers read and upload
SMALL_FOLDER = "Customer uploads"  # read_write too, so both folders take the same access path
SMALL_FOLDER_DOCUMENTS = 10
SEARCH_TERM = "radon"  # in exactly 1 % of the big folder's names ("Radonmätning ..."), in no uploader's name
LATE_PAGE = 150
PER_PAGE = 50  # kundportal.documents.pages.DOCUMENTS_PER_PAGE and the API's default limit
KINDS = [
    "Planritning",
    "Fasadritning",
    "Sektion",
    "Detaljritning",
    "Offert",
    "Protokoll byggmöte",
    "Foto",
    "Mängdförteckning",
    "Teknisk beskrivning",
    "Tidplan",
    "Kalkyl",
    "Ändrings-PM",
]
PARTS = [
    "Hus A",
    "Hus B",
    "Plan 1",
    "Plan 2",
    "Plan 3",
    "Källare",
    "Vind",
    "Garage",
    "Tak",
    "Entré",
    "Trapphus",
]
EXTENSIONS = ["pdf", "pdf", "pdf", "pdf", "dwg", "dwg", "docx", "xlsx", "jpg"]


def generate_documents(rng, organisation, small_count: int, count: int, now) -> dict:
    """Bulk-create documents with 1-3 versions each, straight into the tables (no blobs: listings never read
    them). Returns the folder ids and, computed here in Python and not by the app, what each timed page must
    show, so that a wrong page (sort ignored, session lost, empty result) cannot give a fast number."""
    import hashlib
    import uuid

    from kundportal.accounts.models import User
    from kundportal.documents.folders import apply_template, default_template
    from kundportal.documents.models import Document, DocumentVersion, Folder, FolderAccess, name_key

    admin = User.objects.get(email=PROVIDER_ADMIN)
    apply_template(organisation=organisation, template=default_template(), actor=admin)
    big = Folder.objects.get(organisation=organisation, name=BIG_FOLDER, access=FolderAccess.READ_WRITE)
    small = Folder.objects.get(organisation=organisation, name=SMALL_FOLDER, access=FolderAccess.READ_WRITE)

    # Uploaders: the demo's contributors and some generated members (ASCII names, so that the expected
    # uploader order below is the database's too: SQLite's lower() folds ASCII only).
    people = [
        m.user
        for m in organisation.memberships.select_related("user").order_by("user__email")
        if m.role in ("admin", "member") and m.user.full_name.isascii()
    ]
    demo = [p for p in people if p.email.endswith("@nordbygg.example") and not p.email.startswith("person")]
    uploaders = demo + rng.sample([p for p in people if p not in demo], 6)

    # Versions are timestamped over the last year: created_at (auto_now_add) is taken as given here.
    for model in (Document, DocumentVersion):
        model._meta.get_field("created_at").auto_now_add = False
    year = 365 * 86400

    def make(folder, names: list[str]) -> list[dict]:
        documents, versions, rows = [], [], []
        for name in names:
            document = Document(
                id=uuid.uuid4(), organisation=organisation, folder=folder, name=name, name_key=name_key(name)
            )
            # The latest version at any time in the last year, earlier ones minutes to a month before it.
            times = [now - datetime.timedelta(seconds=rng.randint(600, year))]
            for _ in range(rng.choice([1, 1, 2, 3]) - 1):
                times.insert(0, times[0] - datetime.timedelta(seconds=rng.randint(600, 30 * 86400)))
            for number, at in enumerate(times, start=1):
                size = int(10 ** rng.uniform(4, 7.7))  # 10 KB to 50 MB, log-uniform
                blob = uuid.uuid4().hex
                version = DocumentVersion(
                    id=uuid.uuid4(),
                    document_id=document.id,
                    number=number,
                    blob_name=f"blobs/{blob[:2]}/{blob}",
                    kek_id="bench",
                    wrapped_key=b"x",
                    plaintext_size=size,
                    ciphertext_size=size + 16 * (size // 65536 + 1) + 32,
                    sha256=hashlib.sha256(blob.encode()).hexdigest(),
                    content_type="application/pdf" if name.endswith(".pdf") else "",
                    uploaded_by=rng.choice(uploaders),
                    created_at=at,
                )
                versions.append(version)
            document.latest_id = version.id
            document.size = version.plaintext_size
            document.updated_at = version.created_at
            document.updated_by = version.uploaded_by
            document.created_at = times[0]
            documents.append(document)
            uploader = version.uploaded_by
            rows.append(
                {
                    "name": name,
                    "key": document.name_key,
                    "at": document.updated_at,
                    "size": document.size,
                    "uploader": (uploader.full_name or uploader.email).lower(),
                }
            )
        # SQLite and PostgreSQL check foreign keys at commit: documents may name their latest version first.
        Document.objects.bulk_create(documents, batch_size=1000)
        DocumentVersion.objects.bulk_create(versions, batch_size=1000)
        return rows

    numbers = rng.sample(range(1, count + 1), count)  # unique numbers, so unique names; not in date order
    names = []
    for i, n in enumerate(numbers):
        kind = "Radonmätning" if i % 100 == 0 else rng.choice(KINDS)
        names.append(f"{kind} {rng.choice(PARTS)} {n:05d}.{rng.choice(EXTENSIONS)}")
    rows = make(big, names)
    small_rows = make(small, [f"Avtal {i + 1:02d} {rng.choice(PARTS)}.pdf" for i in range(small_count)])

    def page(ordered: list[dict], start: int = 0) -> list[str]:
        """The first and the last name of a page (or API slice) of PER_PAGE rows from `start`."""
        shown = ordered[start : start + PER_PAGE]
        return [shown[0]["name"], shown[-1]["name"]] if shown else []

    by_name = sorted(rows, key=lambda r: r["key"])
    pages = max(1, -(-len(rows) // PER_PAGE))
    late = min(LATE_PAGE, pages)
    offset = max(0, len(rows) - PER_PAGE)
    return {
        "big_folder": str(big.pk),
        "small_folder": str(small.pk),
        "documents": len(rows),
        "small_documents": len(small_rows),
        "versions": DocumentVersion.objects.filter(document__folder__in=[big, small]).count(),
        "uploaders": len(uploaders),
        "late_page": late,
        "api_offset": offset,
        "search_term": SEARCH_TERM,
        "search_hits": sum(1 for r in rows if SEARCH_TERM in r["key"]),
        # What each timed page must show, in this order: its first and its last row.
        "expect": {
            "name": page(by_name),
            "-date": page(sorted(rows, key=lambda r: (-r["at"].timestamp(), r["key"]))),
            "size": page(sorted(rows, key=lambda r: (r["size"], r["key"]))),
            "uploader": page(sorted(rows, key=lambda r: (r["uploader"], r["key"]))),
            "search": page([r for r in by_name if SEARCH_TERM in r["key"]]),
            "late": page(by_name, (late - 1) * PER_PAGE),
            "offset": page(by_name, offset),
            "small": page(sorted(small_rows, key=lambda r: r["key"])),
        },
    }


def folder_rows(counts: dict) -> list[tuple[str, str, str, list[str]]]:
    """The folder rows, as (request, as whom, path, texts the response must contain in this order): timed
    against the server and counted in-process alike. All as the customer admin CUSTOMER_ADMIN."""
    big, small, expect = counts["big_folder"], counts["small_folder"], counts["expect"]
    n = f"{counts['documents']:,} documents"
    api = f"/api/v1/folders/{big}/documents"

    def json_texts(names: list[str]) -> list[str]:
        return [json.dumps(name) for name in names]  # as the API writes them (\u-escaped, quoted)

    return [
        ("GET /folders/<id>/", f"{n}, by name, page 1", f"/folders/{big}/", expect["name"]),
        (
            "GET /folders/<id>/?sort=-date",
            f"{n}, newest first",
            f"/folders/{big}/?sort=-date",
            expect["-date"],
        ),
        (
            "GET /folders/<id>/?sort=size",
            f"{n}, smallest first",
            f"/folders/{big}/?sort=size",
            expect["size"],
        ),
        (
            "GET /folders/<id>/?sort=uploader",
            f"{n}, by uploader",
            f"/folders/{big}/?sort=uploader",
            expect["uploader"],
        ),
        (
            f"GET /folders/<id>/?q={counts['search_term']}",
            f"{n}, {counts['search_hits']} match",
            f"/folders/{big}/?q={counts['search_term']}",
            expect["search"],
        ),
        (
            f"GET /folders/<id>/?page={counts['late_page']}",
            f"{n}, by name",
            f"/folders/{big}/?page={counts['late_page']}",
            expect["late"],
        ),
        (
            "GET /folders/<id>/",
            f"{counts['small_documents']} documents, by name",
            f"/folders/{small}/",
            expect["small"],
        ),
        (
            "GET /api/v1/folders/<id>/documents?limit=50",
            f"{n} (session)",
            f"{api}?limit=50",
            json_texts(expect["name"]),
        ),
        (
            f"GET /api/v1/folders/<id>/documents?limit=50&offset={counts['api_offset']}",
            f"{n} (session)",
            f"{api}?limit=50&offset={counts['api_offset']}",
            json_texts(expect["offset"]),
        ),
        (
            "GET /api/v1/folders/<id>/documents?limit=50",
            f"{counts['small_documents']} documents (session)",
            f"/api/v1/folders/{small}/documents?limit=50",
            json_texts(expect["small"]),
        ),
    ]


def missing_text(text: str, expected: list[str]) -> str | None:
    """The first expected text that is not in `text` after the previous one (None: all there, in order)."""
    position = 0
    for wanted in expected:
        found = text.find(wanted, position)
        if found < 0:
            return wanted
        position = found + len(wanted)
    return None


# ----------------------------------------------------------------------------------------------------
# Child mode 2: query counts with the Django test client
# ----------------------------------------------------------------------------------------------------


def normalise_sql(sql: str) -> str:
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    return re.sub(r"\b\d+(?:\.\d+)?\b", "?", sql)


def count_queries(counts: dict) -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from kundportal.accounts.models import User
    from kundportal.organisations.models import Organisation

    big = Organisation.objects.get(name=BIG_ORG)
    small = Organisation.objects.get(name=SMALL_ORG)
    admin = User.objects.get(email=PROVIDER_ADMIN)
    big_n = f"{big.memberships.count():,}"
    cases = [
        ("GET /", "provider admin", admin, "/", None),
        ("GET /", "customer admin, 10-member org", User.objects.get(email=SMALL_ADMIN), "/", None),
        ("GET /", f"customer admin, {big_n}-member org", User.objects.get(email=CUSTOMER_ADMIN), "/", None),
        (
            "GET /organisations/<id>/",
            "provider admin, 10 members",
            admin,
            f"/organisations/{small.pk}/",
            None,
        ),
        (
            "GET /organisations/<id>/",
            f"provider admin, {big_n} members",
            admin,
            f"/organisations/{big.pk}/",
            None,
        ),
        (
            "GET /organisations/<id>/",
            "customer admin, 10 members",
            User.objects.get(email=SMALL_ADMIN),
            f"/organisations/{small.pk}/",
            None,
        ),
        (
            "GET /organisations/<id>/",
            f"customer admin, {big_n} members",
            User.objects.get(email=CUSTOMER_ADMIN),
            f"/organisations/{big.pk}/",
            None,
        ),
    ]
    anna = User.objects.get(email=CUSTOMER_ADMIN)
    cases += [
        (page, f"customer admin, {who}", anna, path, texts) for page, who, path, texts in folder_rows(counts)
    ]
    results = []
    for page, who, user, path, texts in cases:
        # HTTP_HOST: the test client's "testserver" is not in ALLOWED_HOSTS (no test environment here).
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        first = client.get(path, secure=True)  # warms caches (portal settings, templates) and the session
        assert first.status_code == 200, (path, first.status_code)
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(path, secure=True)
            elapsed = time.perf_counter() - start
        assert response.status_code == 200, (path, response.status_code)
        assert not texts or missing_text(response.content.decode(), texts) is None, (path, texts)
        repeated = Counter(normalise_sql(q["sql"]) for q in captured.captured_queries).most_common(1)
        writes = sum(
            1
            for q in captured.captured_queries
            if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        )
        results.append(
            {
                "page": page,
                "who": who,
                "queries": len(captured),
                "writes": writes,
                "most_repeated": repeated[0][1] if repeated else 0,
                "most_repeated_sql": repeated[0][0][:160] if repeated else "",
                "in_process_ms": round(elapsed * 1000, 1),
                "bytes": len(response.content),
                "sql_ms": round(sum(float(q["time"]) for q in captured.captured_queries) * 1000, 1),
                "slowest_sql_ms": round(max(float(q["time"]) for q in captured.captured_queries) * 1000, 1),
            }
        )
    print(json.dumps(results))


# ----------------------------------------------------------------------------------------------------
# Parent: processes, measurement, report
# ----------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(data_dir: Path) -> dict[str, str]:
    """This environment minus anything that would point the portal elsewhere, plus our data dir."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KUNDPORTAL_", "GRANIAN_"))
        and k not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL"}
    }
    env.update(
        KUNDPORTAL_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="kundportal.settings",
        KUNDPORTAL_LOG_LEVEL="warning",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def run(command: list[str], env: dict[str, str], what: str) -> str:
    result = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"{what} failed ({result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
        )
    return result.stdout


def run_json(command: list[str], env: dict[str, str], what: str) -> Any:
    """Runs a child that prints its result as JSON on the last line of its output; returns that result."""
    return json.loads(run(command, env, what).strip().splitlines()[-1])


def descendants(pid: int) -> list[int]:
    """pid and all its descendants, from the parent ids in /proc/*/stat (this kernel has no .../children)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            text = stat.read_text()
            ppid = int(text[text.rindex(")") + 2 :].split()[1])  # the name may hold spaces and parentheses
            children.setdefault(ppid, []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
                    break
    return total


class RssSampler(threading.Thread):
    """Samples the summed VmRSS of a process tree every 20 ms; re-reads the tree once a second.

    take() returns the peak since the previous take() (or the start), so one run can tell phases apart.
    """

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.stopped, self.lock = pid, 0, threading.Event(), threading.Lock()

    def run(self) -> None:
        pids, refreshed = descendants(self.pid), time.monotonic()
        while not self.stopped.wait(0.02):
            if time.monotonic() - refreshed > 1:
                pids, refreshed = descendants(self.pid), time.monotonic()
            rss = rss_kib(pids)
            with self.lock:
                self.peak = max(self.peak, rss)

    def take(self) -> int:
        with self.lock:
            peak, self.peak = self.peak, rss_kib(descendants(self.pid))
        return peak

    def stop(self) -> None:
        self.stopped.set()
        self.join()


@dataclass
class Server:
    name: str
    base: str
    process: subprocess.Popen
    log: Path
    idle_kib: int = 0
    sampler: RssSampler | None = None

    def stop(self) -> None:
        if self.sampler:
            self.sampler.stop()
        if self.process.poll() is None:
            # Started with start_new_session=True: the group holds only processes this script started.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)


def wait_until_up(server: Server, path: str, timeout: float = 60) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"{server.name} exited with {server.process.returncode}:\n"
                f"{server.log.read_text(errors='replace')[-4000:]}"
            )
        with contextlib.suppress(requests.RequestException):
            if requests.get(server.base + path, timeout=2, verify=False).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(
        f"{server.name} did not answer {path} within {timeout}s:\n"
        f"{server.log.read_text(errors='replace')[-4000:]}"
    )


def listening_inodes(port: int) -> set[str]:
    """Socket inodes listening on 127.0.0.1:port (or any address), from /proc/net/tcp and tcp6."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                    inodes.add(fields[9])
    return inodes


def owns_ports(pid: int, ports: list[int]) -> bool:
    """Whether every port is listened on by pid's process tree, and by nobody else."""
    held = set()
    for member in descendants(pid):
        for fd in Path(f"/proc/{member}/fd").glob("*"):
            with contextlib.suppress(OSError):
                held.add(os.readlink(fd))
    for port in ports:
        inodes = listening_inodes(port)
        if not inodes or not all(f"socket:[{inode}]" in held for inode in inodes):
            return False
    return True


def start(
    name: str,
    build: Callable[[list[int]], tuple[list[str], str]],
    nports: int,
    env: dict[str, str] | None,
    log: Path,
    ready: str,
) -> tuple[Server, list[int]]:
    """Start `build(ports)` on free ports, wait for `ready`, and check that the ports are really ours.

    The machine is shared: another program can take a port between free_port() and the server's bind, and
    then answer the readiness check itself (another Kundportal answers /healthz too). So after the check,
    the listening sockets must belong to our process tree; if not, stop and try again on other ports.
    """
    for attempt in range(3):
        ports = [free_port() for _ in range(nports)]
        command, base = build(ports)
        with log.open("ab") as handle:
            process = subprocess.Popen(
                command,
                env=env,
                cwd=ROOT,
                stdout=handle,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        server = Server(name, base, process, log)
        STARTED.append(server)
        try:
            wait_until_up(server, ready)
            time.sleep(0.5)  # let the workers settle before the idle reading
            if process.poll() is not None or not owns_ports(process.pid, ports):
                raise RuntimeError(f"{name}: ports {ports} are not (or no longer) held by our process")
        except RuntimeError as error:
            server.stop()
            STARTED.remove(server)
            if attempt == 2:
                raise
            print(f"  {error}; retrying on other ports", file=sys.stderr)
            continue
        server.idle_kib = rss_kib(descendants(process.pid))
        server.sampler = RssSampler(process.pid)
        server.sampler.start()
        return server, ports
    raise AssertionError("unreachable")


STARTED: list[Server] = []


def nginx_config(directory: Path, http_port: int, https_port: int | None, cert: Path, key: Path) -> Path:
    tls = (
        (
            f"server {{ listen 127.0.0.1:{https_port} ssl; ssl_certificate {cert}; ssl_certificate_key {key};"
            f" root {directory}/www; }}"
        )
        if https_port
        else ""
    )
    config = directory / "nginx.conf"
    config.write_text(f"""
worker_processes 1;
daemon off;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    sendfile on;
    keepalive_requests 100000;
    default_type text/html;
    client_body_temp_path {directory}/tmp/body;
    proxy_temp_path {directory}/tmp/proxy;
    fastcgi_temp_path {directory}/tmp/fastcgi;
    uwsgi_temp_path {directory}/tmp/uwsgi;
    scgi_temp_path {directory}/tmp/scgi;
    server {{ listen 127.0.0.1:{http_port}; root {directory}/www; }}
    {tls}
}}
""")
    return config


def new_session(https: bool):
    """A requests.Session; over plain HTTP one that sends Kundportal's Secure cookies anyway.

    Kundportal's cookies (__Host-kp_session, __Host-kp_csrf) are always Secure. Over `serve --http`, requests'
    cookie jar stores them from Set-Cookie but never sends them back over http:// (and a cookie policy set on
    session.cookies does not help: requests merges the jar into a fresh one with the default policy for every
    request), so the login's CSRF check fails ("CSRF cookie not set") and every later request is anonymous.
    So for plain HTTP we write the Cookie header ourselves from the session's jar. On loopback, where we are
    both ends, that is what a TLS-terminating proxy in front of `serve --http` passes on. The HTTPS pass uses
    the ordinary jar with verify=False (self-signed certificate).
    """
    import requests

    class LoopbackSession(requests.Session):
        def request(self, method, url, **kwargs):
            # Per request, because requests lets REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE override session.verify.
            kwargs.setdefault("verify", False)  # the portal's self-signed certificate
            if not https and len(self.cookies):
                headers = dict(kwargs.pop("headers", None) or {})
                headers["Cookie"] = "; ".join(f"{c.name}={c.value}" for c in self.cookies)
                kwargs["headers"] = headers
            return super().request(method, url, **kwargs)

    session = LoopbackSession()
    session.headers["Accept-Encoding"] = "identity"  # neither server compresses; keep it that way
    return session


def login(base: str, email: str, password: str, https: bool):
    """Log in through the real allauth form, exactly once (failed logins are throttled: never retry)."""
    session = new_session(https)
    page = session.get(base + "/account/login/", allow_redirects=False)
    page.raise_for_status()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if not match:
        raise RuntimeError("no csrfmiddlewaretoken in the login form")
    response = session.post(
        base + "/account/login/",
        data={"csrfmiddlewaretoken": match.group(1), "login": email, "password": password},
        headers={"Referer": base + "/account/login/", "Origin": base},  # as a browser sends them
        allow_redirects=False,
    )
    if response.status_code != 302 or "__Host-kp_session" not in session.cookies:
        errors = re.findall(r'class="[^"]*error[^"]*"[^>]*>(.*?)<', response.text)
        raise RuntimeError(f"login as {email} failed: HTTP {response.status_code} {errors[:3]}")
    return session


@dataclass
class Target:
    label: str
    who: str
    session: object
    url: str
    expect: str | list[str]  # texts the first warm-up response must contain, in this order
    times: list[float] = field(default_factory=list)
    size: int = 0


def measure(targets: list[Target], requests_per_target: int, warmup: int) -> None:
    """Warm-up, then round-robin over the targets so that drift on a noisy machine hits all of them alike."""
    for target in targets:
        expected = [target.expect] if isinstance(target.expect, str) else target.expect
        for i in range(warmup):
            response = target.session.get(target.url, allow_redirects=False)
            missing = missing_text(response.text, expected) if i == 0 else None
            if response.status_code != 200 or missing is not None:
                raise RuntimeError(
                    f"{target.label} ({target.who}): HTTP {response.status_code}, "
                    f"expected text {missing!r} missing (or out of order) in {target.url}"
                )
            target.size = len(response.content)
    for _ in range(requests_per_target):
        for target in targets:
            start = time.perf_counter()
            response = target.session.get(target.url, allow_redirects=False)
            _ = response.content
            elapsed = time.perf_counter() - start
            if response.status_code != 200:
                raise RuntimeError(f"{target.label} ({target.who}): HTTP {response.status_code}")
            target.times.append(elapsed * 1000)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def in_process_facts(email: str, path: str, requests: int) -> dict:
    """In a child with Django set up: GET `path` as `email` (Django test client, force_login) once to warm up,
    then `requests` times; server time (wall and CPU) per request, and the queries of the last one."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from kundportal.accounts.models import User

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(email=email))
    first = client.get(path, secure=True)
    assert first.status_code == 200, (path, first.status_code)
    times, cpu = [], []
    for _ in range(requests):
        with CaptureQueriesContext(connection) as captured:
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(path, secure=True)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200
    repeated = Counter(normalise_sql(q["sql"]) for q in captured.captured_queries).most_common(1)
    return {
        "queries": len(captured.captured_queries),
        "most_repeated": repeated[0][1] if repeated else 0,
        "sql_ms": round(sum(float(q["time"]) for q in captured.captured_queries) * 1000, 1),
        "in_process_ms": round(statistics.median(times), 1),
        "in_process_p95": round(p95(times), 1),
        "in_process_cpu": round(statistics.median(cpu), 1),
        "bytes": len(response.content),
    }


def time_served(
    work: Path,
    env: dict[str, str],
    cases: list[dict],
    password: str,
    *,
    requests: int,
    warmup: int,
    reference_email: str | None = None,
) -> list[dict]:
    """One run: a fresh `kundportal serve --http --workers 1`, logins through the form, then each case (label,
    who, email, path, and optionally "expect": texts the first response must hold) timed round-robin, with
    GET /healthz as the reference row when `reference_email` names whose session asks for it."""
    logs = work / "logs"
    logs.mkdir(exist_ok=True)

    def portal(chosen: list[int]) -> tuple[list[str], str]:
        command = [str(KUNDPORTAL), "serve", "--http", "--port", str(chosen[0]), "--workers", "1"]
        return command, f"http://127.0.0.1:{chosen[0]}"

    server, _ports = start("kundportal-http", portal, 1, env, logs / "kundportal.log", "/healthz")
    try:
        emails = {c["email"] for c in cases} | ({reference_email} if reference_email else set())
        sessions = {email: login(server.base, email, password, False) for email in emails}
        targets = []
        if reference_email:
            targets.append(
                Target("GET /healthz", "reference", sessions[reference_email], server.base + "/healthz", "")
            )
        targets += [
            Target(c["label"], c["who"], sessions[c["email"]], server.base + c["path"], c.get("expect", ""))
            for c in cases
        ]
        measure(targets, requests, warmup)
        return [
            {
                "label": t.label,
                "who": t.who,
                "bytes": t.size,
                "median": statistics.median(t.times),
                "p95": p95(t.times),
            }
            for t in targets
        ]
    finally:
        server.stop()
        STARTED.remove(server)


def one_run(
    number: int,
    work: Path,
    data: Path,
    env: dict[str, str],
    counts: dict,
    password: str,
    args: argparse.Namespace,
) -> dict:
    import urllib3

    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    logs = work / "logs"
    logs.mkdir(exist_ok=True)
    result: dict = {"pages": {}, "memory": {}}
    schemes = ["http", "https"] if args.https else ["http"]
    servers: list[Server] = []
    try:
        ports: dict[str, int] = {}
        for scheme in schemes:

            def portal(chosen: list[int], scheme: str = scheme) -> tuple[list[str], str]:
                command = [str(KUNDPORTAL), "serve", "--port", str(chosen[0]), "--workers", "1"]
                if scheme == "http":
                    command.insert(2, "--http")
                return command, f"{scheme}://127.0.0.1:{chosen[0]}"

            server, (ports[scheme],) = start(
                f"kundportal-{scheme}", portal, 1, env, logs / f"kundportal-{scheme}-{number}.log", "/healthz"
            )
            servers.append(server)

        # The static reference: the portal's own login page, saved as a file (similar size and markup).
        www = work / "nginx" / "www"
        (www / "index.html").write_bytes(new_session(False).get(servers[0].base + "/account/login/").content)

        def reference(chosen: list[int]) -> tuple[list[str], str]:
            https_port = chosen[1] if len(chosen) > 1 else None
            config = nginx_config(work / "nginx", chosen[0], https_port, data / "tls.crt", data / "tls.key")
            return [NGINX, "-c", str(config)], f"http://127.0.0.1:{chosen[0]}"

        nginx, chosen = start(
            "nginx", reference, len(schemes), None, logs / f"nginx-{number}.log", "/index.html"
        )
        servers.append(nginx)
        nginx_ports = dict(zip(schemes, chosen, strict=True))

        memory = {s.name: {"idle": s.idle_kib, "login": 0, "pages": 0} for s in servers}
        for scheme in schemes:
            base = f"{scheme}://127.0.0.1:{ports[scheme]}"
            https = scheme == "https"
            portal = servers[schemes.index(scheme)]
            portal.sampler.take()
            admin = login(base, PROVIDER_ADMIN, password, https)
            anna = login(base, CUSTOMER_ADMIN, password, https)
            # Logging in hashes with Argon2 (Django's default: 100 MiB memory cost), so its peak is its own.
            memory[portal.name]["login"] = portal.sampler.take()
            nginx.sampler.take()
            anonymous = new_session(https)
            big = f"{base}/organisations/{counts['big_id']}/"
            small = f"{base}/organisations/{counts['small_id']}/"
            big_n = f"{args.members:,}"
            targets = [
                Target(
                    "nginx static file",
                    "—",
                    new_session(https),
                    f"{scheme}://127.0.0.1:{nginx_ports[scheme]}/index.html",
                    "csrfmiddlewaretoken",
                ),
                Target("GET /healthz", "anonymous", anonymous, base + "/healthz", '"ok"'),
                Target(
                    "GET /account/login/",
                    "anonymous",
                    anonymous,
                    base + "/account/login/",
                    "csrfmiddlewaretoken",
                ),
                Target("GET /", "provider admin", admin, base + "/", "Welcome"),
                Target("GET /", f"customer admin ({BIG_ORG}, {big_n} members)", anna, base + "/", "Welcome"),
                Target(
                    "GET /organisations/<id>/",
                    "provider admin, 10 members",
                    admin,
                    small,
                    "person09@tiokonsult.example",
                ),
                Target(
                    "GET /organisations/<id>/",
                    f"provider admin, {big_n} members",
                    admin,
                    big,
                    # The member list is paged (50 a page): the first page shows the first people by email.
                    "person0003@nordbygg.example",
                ),
            ]
            targets += [
                Target(label, f"customer admin, {who}", anna, base + path, texts)
                for label, who, path, texts in folder_rows(counts)
            ]
            started = time.monotonic()
            measure(targets, args.requests, args.warmup)
            memory[portal.name]["pages"] = portal.sampler.take()
            memory["nginx"]["pages"] = max(memory["nginx"]["pages"], nginx.sampler.take())
            reference = statistics.median(targets[0].times)
            result["pages"][scheme] = [
                {
                    "label": t.label,
                    "who": t.who,
                    "bytes": t.size,
                    "n": len(t.times),
                    "median": statistics.median(t.times),
                    "p95": p95(t.times),
                    "ratio": statistics.median(t.times) / reference,
                }
                for t in targets
            ]
            print(
                f"  run {number} {scheme}: {len(targets)} targets x {args.requests} requests "
                f"in {time.monotonic() - started:.0f}s",
                file=sys.stderr,
            )
        result["memory"] = memory
    finally:
        for server in servers:
            server.stop()
            STARTED.remove(server)
    return result


def machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    versions = []
    for module in ("django", "granian", "requests"):
        with contextlib.suppress(Exception):
            from importlib.metadata import version

            versions.append(f"{module} {version(module)}")
    nginx = subprocess.run([NGINX, "-v"], capture_output=True, text=True, check=False).stderr.strip()
    return (
        f"{os.cpu_count()} cores ({model}), Linux {platform.release()}, Python {platform.python_version()}, "
        f"{', '.join(versions)}, {nginx.replace('nginx version: ', '')}"
    )


def fmt(value: float) -> str:
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def report(
    runs: list[dict], queries: list[dict], counts: dict, args: argparse.Namespace, elapsed: float
) -> str:
    today = datetime.date.today().isoformat()
    lines = [
        f"# Kundportal page benchmark, {today}",
        "",
        f"Machine: {machine()}.",
        f"Data: {counts['organisations']} organisations, {counts['users']} users, {counts['memberships']} "
        f"memberships ({BIG_ORG}: {counts['big_members']}, {SMALL_ORG}: {counts['small_members']}), "
        f"{counts['invitations']} invitations, {counts['audit_events']} audit events, "
        f"{counts['documents']:,} documents in one folder of {BIG_ORG} and {counts['small_documents']} in another "
        f"({counts['versions']:,} versions, {counts['uploaders']} uploaders, changed over the last year); "
        "SQLite (WAL) in a temporary data dir.",
        f"Server: `kundportal serve --workers 1` (granian, WSGI). {len(runs)} run(s) of {args.requests} "
        f"timed requests per row after {args.warmup} warm-up requests, interleaved round-robin; "
        "client `requests` with keep-alive, "
        "**client-measured on loopback** (includes the client's own overhead of roughly the nginx row).",
    ]
    if len(runs) > 1:
        lines.append(
            "Figures are the **median of the per-run medians** (and of the per-run p95s and ratios); "
            "the last column lists each run's median."
        )
    for scheme in runs[0]["pages"]:
        lines += [
            "",
            f"## {scheme.upper()}"
            + (
                " (plain, as behind a TLS proxy)"
                if scheme == "http"
                else " (granian's TLS, self-signed; nginx also over TLS)"
            ),
            "",
        ]
        header = "| request | as | bytes | median ms | p95 ms | median ÷ nginx median |"
        rule = "| --- | --- | ---: | ---: | ---: | ---: |"
        if len(runs) > 1:
            header += " run medians ms |"
            rule += " --- |"
        lines += [header, rule]
        for i, row in enumerate(runs[0]["pages"][scheme]):
            rows = [run_["pages"][scheme][i] for run_ in runs]
            median = statistics.median(r["median"] for r in rows)
            line = (
                f"| {row['label']} | {row['who']} | {row['bytes']:,} | {fmt(median)} | "
                f"{fmt(statistics.median(r['p95'] for r in rows))} | "
                f"{statistics.median(r['ratio'] for r in rows):,.1f} |"
            )
            if len(runs) > 1:
                line += " " + " / ".join(fmt(r["median"]) for r in rows) + " |"
            lines.append(line)
    lines += [
        "",
        "## Memory (peak RSS of the process tree, sampled from /proc every 20 ms)",
        "",
        "| process tree | idle MiB | peak while logging in MiB | peak during timed requests MiB "
        "| timed peak - idle MiB |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name in runs[0]["memory"]:

        def mib(phase: str, name: str = name) -> float:
            return statistics.median(r["memory"][name][phase] for r in runs) / 1024

        login = f"{mib('login'):.1f}" if mib("login") else "—"
        idle, pages = mib("idle"), mib("pages")
        lines.append(f"| {name} | {idle:.1f} | {login} | {pages:.1f} | {pages - idle:.1f} |")
    lines += [
        "",
        "Idle is read once /healthz answers (Django is loaded; URLconf and templates are not yet). "
        "Logging in hashes the password with Argon2 (Django's default memory cost: 100 MiB), "
        "hence its own column.",
        "",
        "## SQL queries per request (Django test client, in-process, second request after a warm-up)",
        "",
        "| page | as | queries | of which writes | most repeated statement, times | SQL ms (slowest) | bytes "
        "| in-process ms |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for q in queries:
        lines.append(
            f"| {q['page']} | {q['who']} | {q['queries']} | {q['writes']} | {q['most_repeated']} | "
            f"{q['sql_ms']:.0f} ({q['slowest_sql_ms']:.0f}) | {q['bytes']:,} | {fmt(q['in_process_ms'])} |"
        )
    lines += ["", f"Whole script: {elapsed:.0f} s.", ""]
    return "\n".join(lines)


def write_report(kind: str, text: str) -> None:
    """Prints the report and keeps it as bench/results/<kind>-<date>.md (git-ignored)."""
    print(text)
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    out = results / f"{kind}-{datetime.date.today().isoformat()}.md"
    out.write_text(text)
    print(f"written to {out.relative_to(ROOT)}", file=sys.stderr)


def finish(work: Path | None, *, keep: bool) -> None:
    """Stops every server this run started, then removes its temporary directory unless kept."""
    for server in list(STARTED):
        server.stop()
    if work is None:
        return
    if keep:
        print(f"kept {work}", file=sys.stderr)
    else:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_generate":
        generate(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_queries":
        count_queries(json.loads(sys.argv[2]))
        return

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--runs", type=int, default=1, help="measurement runs (fresh servers each); default 1"
    )
    parser.add_argument(
        "--requests", type=int, default=60, help="timed requests per row and run (default 60)"
    )
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--members", type=int, default=1000, help=f"members of {BIG_ORG} (default 1000)")
    parser.add_argument("--organisations", type=int, default=200)
    parser.add_argument("--events", type=int, default=20000, help="audit events to generate")
    parser.add_argument(
        "--documents",
        type=int,
        default=10000,
        help=f"documents in the big folder of {BIG_ORG} (default 10000; another folder has 10)",
    )
    parser.add_argument(
        "--https", action="store_true", help="add a pass over HTTPS (granian's TLS; nginx too)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, database)")
    args = parser.parse_args()

    # SIGTERM (e.g. from a CI timeout) unwinds like Ctrl-C, so the finally blocks stop what we started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    began = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="kundportal-bench-"))
    work.chmod(0o755)  # nginx's worker drops to "nobody" when started as root and must reach nginx/www
    data = work / "data"
    data.mkdir(mode=0o700)
    for sub in ("nginx/www", "nginx/tmp"):
        (work / sub).mkdir(parents=True)
    (work / "nginx").chmod(0o755)
    (work / "nginx/www").chmod(0o755)
    env = clean_env(data)
    try:
        print(f"data dir {data}: migrate, demo, generate ...", file=sys.stderr)
        run([str(KUNDPORTAL), "migrate", "--noinput", "-v", "0"], env, "migrate")
        run([str(KUNDPORTAL), "demo"], env, "demo")
        password = (data / "demo_password").read_text().strip()
        generation = [
            sys.executable,
            __file__,
            "_generate",
            str(args.members),
            str(args.organisations),
            str(args.events),
            str(args.documents),
        ]
        counts = run_json(generation, env, "data generation")
        print(f"  {counts}", file=sys.stderr)
        print("query counts ...", file=sys.stderr)
        queries = run_json([sys.executable, __file__, "_queries", json.dumps(counts)], env, "query counts")
        runs = []
        for number in range(1, args.runs + 1):
            print(f"run {number}/{args.runs} ...", file=sys.stderr)
            runs.append(one_run(number, work, data, env, counts, password, args))
        text = report(runs, queries, counts, args, time.monotonic() - began)
        write_report("pages", text)
    finally:
        finish(work, keep=args.keep)


if __name__ == "__main__":
    main()

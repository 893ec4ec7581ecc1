"""Data export benchmark: "download my data" for a customer with 1,000 documents totalling 1 GB (goal: it
completes with flat memory; the ZIP is written encrypted, never in plaintext on disk).

    .venv/bin/python bench/export.py                      # 1,000 documents, 1 GiB, about 1-2 minutes
    .venv/bin/python bench/export.py --documents 200 --mib 200
    .venv/bin/python bench/export.py --keep

What it does:

1. A fresh temporary data dir (bench/pages.py's clean_env: SQLite in WAL mode, files in the data dir),
   `kundportal migrate`; checks that the disk has room for the documents and the ZIP (twice the size, plus
   a margin) before it starts.
2. In a child process: a customer organisation and one member, who uploads --documents files of random bytes
   (sizes spread around the mean, --mib in all) through the documents service, so they are stored encrypted
   exactly as uploads are.
3. In another child process (so its peak RSS is the build's alone): the export requested and built in-process
   (privacy.exports.build_export, what `kundportal worker` runs): wall time, CPU time (user + system), peak
   RSS (VmHWM from /proc/self/status, and VmRSS sampled by a thread every 50 ms) before and after, the ZIP's
   size. Then the ZIP is read back decrypted (what the download streams) and checked: every entry's CRC
   (zipfile.testzip) and the number of files.
4. Prints Markdown and writes bench/results/export-<date>.md. The temporary directory is removed unless --keep.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from pages import KUNDPORTAL, clean_env, finish, machine, run, run_json, write_report

MIB = 1024 * 1024


def _status(field: str) -> int:
    """A VmHWM/VmRSS line of /proc/self/status, in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


class _Sampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, _status("VmRSS"))
            self.stop.wait(0.05)


class _RandomStream:
    """`size` random bytes, read in pieces (nothing held beyond one piece)."""

    def __init__(self, size: int) -> None:
        self.left = size

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        self.left -= n
        return os.urandom(n)


# ----------------------------------------------------------------------------------------------------
# Child modes (DJANGO_SETTINGS_MODULE and KUNDPORTAL_DATA_DIR set by the parent)
# ----------------------------------------------------------------------------------------------------


def setup(documents: int, total: int) -> None:
    import random

    import django

    django.setup()
    from kundportal.accounts.models import User
    from kundportal.documents.access import get_folder_for_user
    from kundportal.documents.models import Folder
    from kundportal.documents.services import upload_document_version
    from kundportal.organisations.models import Membership, Organisation

    rng = random.Random(20261124)
    organisation = Organisation.objects.create(name="Bench Export AB")
    user = User.objects.create_user("export-bench@customer.example", "bench password 42", full_name="Bench")
    Membership.objects.create(organisation=organisation, user=user, role="admin")
    folders = [Folder.objects.create(organisation=organisation, name=f"Folder {n}") for n in range(10)]
    weights = [rng.uniform(0.2, 1.8) for _ in range(documents)]
    scale = total / sum(weights)
    sizes = [int(weight * scale) for weight in weights]
    sizes[-1] += total - sum(sizes)
    started = time.perf_counter()
    for number, size in enumerate(sizes):
        folder = get_folder_for_user(user, folders[number % len(folders)].pk, write=True)
        upload_document_version(
            actor=user, folder=folder, name=f"document-{number:04d}.bin", stream=_RandomStream(size)
        )
    print(json.dumps({"user": str(user.pk), "upload_s": time.perf_counter() - started, "bytes": sum(sizes)}))


def build(user_id: str) -> None:
    import zipfile

    import django

    django.setup()
    from kundportal.accounts.models import User
    from kundportal.privacy import exports

    user = User.objects.get(pk=user_id)
    baseline_hwm = _status("VmHWM")
    baseline_rss = _status("VmRSS")
    sampler = _Sampler()
    sampler.start()
    export = exports.request_export(actor=user, user=user)
    wall = time.perf_counter()
    cpu = os.times()
    exports.build_export(export.pk)
    cpu_after = os.times()
    wall = time.perf_counter() - wall
    sampler.stop.set()
    sampler.join()
    export.refresh_from_db()
    assert export.status == "ready", export.status
    result: dict[str, Any] = {
        "wall_s": wall,
        "cpu_s": (cpu_after.user - cpu.user) + (cpu_after.system - cpu.system),
        "baseline_rss_kib": baseline_rss,
        "baseline_hwm_kib": baseline_hwm,
        "peak_hwm_kib": _status("VmHWM"),
        "peak_sampled_kib": sampler.peak,
        "zip_bytes": export.size,
    }

    # Read it back as the download does (decrypted while streaming) into a spooled check: the archive is
    # written to a temporary file in the data dir only to let zipfile verify it, then deleted.
    spool = Path(os.environ["KUNDPORTAL_DATA_DIR"]) / "check.zip"
    started = time.perf_counter()
    with spool.open("wb") as file:
        for piece in exports.read_export(export):
            file.write(piece)
    result["read_s"] = time.perf_counter() - started
    with zipfile.ZipFile(spool) as archive:
        result["bad_entry"] = archive.testzip()
        names = archive.namelist()
        result["files"] = sum(1 for name in names if name.startswith("files/"))
        result["data_json_bytes"] = archive.getinfo("data.json").file_size
    spool.unlink()
    result["read_peak_hwm_kib"] = _status("VmHWM")
    print(json.dumps(result))


# ----------------------------------------------------------------------------------------------------
# Parent
# ----------------------------------------------------------------------------------------------------


def report(args: argparse.Namespace, setup_result: dict[str, Any], result: dict[str, Any]) -> str:
    gib = setup_result["bytes"] / 1024**3
    mib_s = setup_result["bytes"] / MIB / result["wall_s"]
    lines = [
        f"# Data export benchmark, {datetime.date.today().isoformat()}",
        "",
        f"Machine: {machine()}. SQLite, files in the data dir (local disk).",
        "",
        f"A customer with {args.documents:,} documents, {setup_result['bytes'] / MIB:,.0f} MiB in all "
        f"({gib:.2f} GiB of random bytes, uploaded encrypted in {setup_result['upload_s']:.1f} s).",
        "",
        "| measure | value |",
        "| --- | --- |",
        f"| build_export wall time | {result['wall_s']:.1f} s ({mib_s:.0f} MiB/s) |",
        f"| build_export CPU time (user + system) | {result['cpu_s']:.1f} s |",
        f"| RSS before the build (Django loaded) | {result['baseline_rss_kib'] / 1024:.0f} MiB |",
        f"| peak RSS during the build (VmHWM) | {result['peak_hwm_kib'] / 1024:.0f} MiB |",
        f"| peak RSS sampled every 50 ms | {result['peak_sampled_kib'] / 1024:.0f} MiB |",
        f"| ZIP size | {result['zip_bytes'] / MIB:,.0f} MiB ({result['files']:,} files, "
        f"data.json {result['data_json_bytes'] / 1024:,.0f} KiB) |",
        f"| reading it back decrypted (the download) | {result['read_s']:.1f} s |",
        f"| peak RSS after reading it back | {result['read_peak_hwm_kib'] / 1024:.0f} MiB |",
        f"| ZIP check (CRC of every entry) | {'ok' if result['bad_entry'] is None else result['bad_entry']} |",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--mib", type=int, default=1024, help="total size of the documents")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data dir")
    parser.add_argument("mode", nargs="?", default="", help=argparse.SUPPRESS)
    parser.add_argument("extra", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode == "_setup":
        setup(int(args.extra[0]), int(args.extra[1]))
        return
    if args.mode == "_build":
        build(args.extra[0])
        return

    work = Path(tempfile.mkdtemp(prefix="kp-bench-export-"))
    try:
        needed = 2 * args.mib * MIB + 512 * MIB
        free = shutil.disk_usage(work).free
        if free < needed:
            sys.exit(f"{work}: {free // MIB} MiB free, {needed // MIB} MiB needed; try a smaller --mib")
        data = work / "data"
        data.mkdir()
        env = clean_env(data)
        script = str(Path(__file__).resolve())
        print(f"data dir {data}: migrate, {args.documents} documents of {args.mib} MiB ...", file=sys.stderr)
        run([KUNDPORTAL, "migrate", "--no-input"], env, "migrate")
        total = args.mib * MIB
        setup_result = run_json(
            [sys.executable, script, "_setup", str(args.documents), str(total)], env, "setup"
        )
        print("building the export ...", file=sys.stderr)
        result = run_json([sys.executable, script, "_build", setup_result["user"]], env, "build")
        write_report("export", report(args, setup_result, result))
    finally:
        finish(work, keep=args.keep)


if __name__ == "__main__":
    main()

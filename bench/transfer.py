"""Transfer benchmark: 1 GiB upload and download through the REST API, against nginx in the same run.

    .venv/bin/python bench/transfer.py                  # 1 GiB, 3 runs each, plain HTTP
    .venv/bin/python bench/transfer.py --size-mib 256   # smaller file
    .venv/bin/python bench/transfer.py --https          # also a pass over granian's own TLS (curl -k)

What it does (see bench/README.md):

1. A fresh temporary data dir: `kundportal migrate`, `kundportal demo`, an API token for the customer admin
   anna@nordbygg.example (`kundportal apitoken create`), a folder of "Nordbygg AB" with can_upload (the default
   folder template is applied with `kundportal shell -c` if the organisation has none).
2. A file of --size-mib MiB of random bytes; `kundportal serve --http --workers 1` and nginx (sendfile on,
   `dav_methods PUT`) on loopback, both started as ordinary processes in their own session.
3. Interleaved, --runs times: curl PUT of the file to `/api/v1/folders/<id>/documents/big.bin` (raw body) and to
   nginx; curl GET of `/api/v1/documents/<id>/content` and of the file from nginx. Speeds are curl's own
   (`%{speed_upload}`, `%{speed_download}`); the table shows medians and the ratio to nginx's median.
4. Peak RSS of each server's process tree during each transfer minus its idle RSS, sampled from /proc every
   20 ms (helpers from bench/pages.py); storage overhead of the encrypted object under <data>/files/blobs/.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pages import (
    KUNDPORTAL,
    NGINX,
    ROOT,
    STARTED,
    clean_env,
    machine,
    run,
    start,
)

HERE = Path(__file__).resolve().parent
ORG = "Nordbygg AB"
EMAIL = "anna@nordbygg.example"
DATE = "2026-11-24"  # the date the results are recorded under (as the brief asks)
MIB = 1024 * 1024


def nginx_config(directory: Path, port: int) -> Path:
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
    client_max_body_size 0;
    default_type application/octet-stream;
    client_body_temp_path {directory}/tmp/body;
    proxy_temp_path {directory}/tmp/proxy;
    fastcgi_temp_path {directory}/tmp/fastcgi;
    uwsgi_temp_path {directory}/tmp/uwsgi;
    scgi_temp_path {directory}/tmp/scgi;
    server {{ listen 127.0.0.1:{port}; root {directory}/www; location / {{ dav_methods PUT; }} }}
}}
""")
    return config


def curl(args: list[str], what: str) -> tuple[float, str]:
    """Run curl; return (the -w figure as a float, the body written to a temp file if any)."""
    result = subprocess.run(
        ["curl", "-s", "-S", "--fail-with-body", "-H", "Expect:", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{what}: curl exit {result.returncode}: {result.stdout[-2000:]} {result.stderr}")
    return float(result.stdout.strip().splitlines()[-1]), result.stdout


def blobs(data: Path) -> dict[Path, int]:
    root = data / "files" / "blobs"
    return {p: p.stat().st_size for p in root.rglob("*") if p.is_file()} if root.exists() else {}


def api_get(base: str, token: str, path: str) -> object:
    result = subprocess.run(
        ["curl", "-s", "-S", "--fail-with-body", "-k", "-H", f"Authorization: Bearer {token}", base + path],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"GET {path}: {result.stdout[-1000:]} {result.stderr}")
    return json.loads(result.stdout)


def pick_folder(base: str, token: str, env: dict[str, str]) -> str:
    organisations = api_get(base, token, "/api/v1/organisations")
    if isinstance(organisations, dict):  # paginated
        organisations = organisations.get("items", [])
    org = next(o for o in organisations if o["name"] == ORG)
    for attempt in range(2):
        folders = api_get(base, token, f"/api/v1/organisations/{org['id']}/folders")
        writable = [f for f in folders if f["can_upload"]]
        if writable:
            return str(writable[0]["id"])
        if attempt == 0:
            print(f"  {ORG} has no writable folder: applying the default template", file=sys.stderr)
            code = (
                "from kundportal.organisations.models import Organisation\n"
                "from kundportal.documents.folders import apply_template, default_template\n"
                f"o = Organisation.objects.get(name={ORG!r})\n"
                "apply_template(organisation=o, template=default_template())\n"
            )
            run([str(KUNDPORTAL), "shell", "-c", code], env, "apply_template")
    raise RuntimeError(f"no folder of {ORG} with can_upload for {EMAIL}: {folders}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="file size in MiB (default 1024)")
    parser.add_argument("--runs", type=int, default=3, help="transfers per direction and target (default 3)")
    parser.add_argument("--https", action="store_true", help="also a pass over granian's TLS (self-signed)")
    parser.add_argument(
        "--no-readme", action="store_true", help="do not append the result to bench/README.md"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    began = time.monotonic()

    work = Path(tempfile.mkdtemp(prefix="kundportal-transfer-"))
    work.chmod(0o755)
    data = work / "data"
    data.mkdir(mode=0o700)
    ngx = work / "nginx"
    for sub in ("www", "tmp"):
        (ngx / sub).mkdir(parents=True)
    for d in (ngx, ngx / "www", ngx / "tmp"):
        d.chmod(0o777)  # nginx's worker drops to "nobody" when started as root, and must write here (PUT)
    logs = work / "logs"
    logs.mkdir()
    env = clean_env(data)
    size = args.size_mib * MIB
    try:
        print(f"data dir {data}: migrate, demo, token ...", file=sys.stderr)
        run([str(KUNDPORTAL), "migrate", "--noinput", "-v", "0"], env, "migrate")
        run([str(KUNDPORTAL), "demo"], env, "demo")
        token = run([str(KUNDPORTAL), "apitoken", "create", "--email", EMAIL], env, "apitoken").strip()
        token = token.splitlines()[-1].strip()

        source = ngx / "www" / "big.bin"  # nginx serves it; Kundportal's upload reads the same file
        print(f"writing {args.size_mib} MiB of random bytes ...", file=sys.stderr)
        with source.open("wb") as handle:
            for _ in range(args.size_mib):
                handle.write(os.urandom(MIB))
        source.chmod(0o644)
        (ngx / "www" / "ready.txt").write_text("ok\n")

        def portal(chosen: list[int], https: bool = False) -> tuple[list[str], str]:
            command = [str(KUNDPORTAL), "serve", "--port", str(chosen[0]), "--workers", "1"]
            if not https:
                command.insert(2, "--http")
            return command, f"{'https' if https else 'http'}://127.0.0.1:{chosen[0]}"

        servers = {}
        servers["http"], _ = start("kundportal-http", portal, 1, env, logs / "kp-http.log", "/healthz")
        if args.https:
            servers["https"], _ = start(
                "kundportal-https",
                lambda c: portal(c, https=True),
                1,
                env,
                logs / "kp-https.log",
                "/healthz",
            )
        nginx, _ = start(
            "nginx",
            lambda c: ([NGINX, "-c", str(nginx_config(ngx, c[0]))], f"http://127.0.0.1:{c[0]}"),
            1,
            None,
            logs / "nginx.log",
            "/ready.txt",
        )
        folder = pick_folder(servers["http"].base, token, env)
        print(f"  folder {folder}", file=sys.stderr)
        auth = ["-H", f"Authorization: Bearer {token}"]

        # rows: label -> list of (MiB/s, peak - idle RSS KiB)
        rows: dict[str, list[tuple[float, float]]] = {}
        overheads: list[float] = []
        document_id = None

        def timed(label: str, server, curl_args: list[str]) -> str:
            server.sampler.take()  # reset the peak
            speed, out = curl(curl_args, label)
            peak = server.sampler.take()
            rows.setdefault(label, []).append((speed / MIB, (peak - server.idle_kib)))
            print(
                f"  {label}: {speed / MIB:,.0f} MiB/s, peak RSS +{(peak - server.idle_kib) / 1024:.0f} MiB",
                file=sys.stderr,
            )
            return out

        schemes = ["http", "https"] if args.https else ["http"]
        for number in range(1, args.runs + 1):
            print(f"run {number}/{args.runs}", file=sys.stderr)
            for scheme in schemes:
                server = servers[scheme]
                before = blobs(data)
                body = work / "upload-response.json"
                timed(
                    f"upload, Kundportal {scheme.upper()}",
                    server,
                    [
                        "-k",
                        "-o",
                        str(body),
                        "-w",
                        "%{speed_upload}",
                        "-T",
                        str(source),
                        *auth,
                        "-H",
                        "Content-Type: application/octet-stream",
                        f"{server.base}/api/v1/folders/{folder}/documents/big.bin",
                    ],
                )
                uploaded = json.loads(body.read_text())
                if uploaded["size"] != size:
                    raise RuntimeError(f"uploaded size {uploaded['size']} != {size}")
                document_id = uploaded["document_id"]
                new = {p: s for p, s in blobs(data).items() if p not in before}
                if len(new) != 1:
                    raise RuntimeError(f"expected one new blob, found {len(new)}")
                overheads.append((next(iter(new.values())) - size) / size)
            timed(
                "upload, nginx PUT",
                nginx,
                ["-o", "/dev/null", "-w", "%{speed_upload}", "-T", str(source), f"{nginx.base}/upload.bin"],
            )
            for scheme in schemes:
                server = servers[scheme]
                timed(
                    f"download, Kundportal {scheme.upper()}",
                    server,
                    [
                        "-k",
                        "-o",
                        "/dev/null",
                        "-w",
                        "%{speed_download}",
                        *auth,
                        f"{server.base}/api/v1/documents/{document_id}/content",
                    ],
                )
            timed(
                "download, nginx GET (sendfile)",
                nginx,
                ["-o", "/dev/null", "-w", "%{speed_download}", f"{nginx.base}/big.bin"],
            )
        # A correctness check, outside the timings: the downloaded bytes are the uploaded ones.
        check = work / "check.bin"
        subprocess.run(
            [
                "curl",
                "-s",
                "-S",
                "-f",
                "-o",
                str(check),
                *auth,
                f"{servers['http'].base}/api/v1/documents/{document_id}/content",
            ],
            check=True,
        )
        same = subprocess.run(["cmp", "-s", str(check), str(source)], check=False).returncode == 0
        check.unlink()
        if not same:
            raise RuntimeError("downloaded content differs from the uploaded file")

        text = report(rows, overheads, args, size, time.monotonic() - began)
        print(text)
        if not args.no_readme:
            with (HERE / "README.md").open("a") as readme:
                readme.write("\n" + text)
            print("appended to bench/README.md", file=sys.stderr)
    finally:
        for server in list(STARTED):
            server.stop()
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


def report(rows: dict, overheads: list[float], args, size: int, elapsed: float) -> str:
    ref = {
        "upload": statistics.median(s for s, _ in rows["upload, nginx PUT"]),
        "download": statistics.median(s for s, _ in rows["download, nginx GET (sendfile)"]),
    }
    size_label = "1 GiB" if args.size_mib == 1024 else f"{args.size_mib} MiB"
    lines = [
        f"## transfer.py: {size_label} upload and download",
        "",
        f"{DATE}, machine: 2 cores; {machine()}.",
        f"{size_label} of random bytes, loopback, curl as the client (`-H 'Expect:'` for every target), "
        f"{args.runs} transfers per row, interleaved; `kundportal serve --http --workers 1` (granian); "
        "API token of the customer admin anna@nordbygg.example; upload is the raw-body "
        "`PUT /api/v1/folders/<id>/documents/big.bin`, download `GET /api/v1/documents/<id>/content`. "
        "References: nginx `dav_methods PUT` to disk and nginx `sendfile on` GET of the same file"
        + (
            " (plain HTTP: the HTTPS rows, granian's own TLS with `curl -k`, are also divided by them)."
            if args.https
            else "."
        ),
        "",
        "| transfer | median MiB/s | runs MiB/s | ratio to nginx | peak RSS - idle MiB (median) |",
        "| --- | ---: | --- | ---: | ---: |",
    ]
    order = [k for k in rows if k.startswith("upload")] + [k for k in rows if k.startswith("download")]
    for label in order:
        speeds = [s for s, _ in rows[label]]
        median = statistics.median(speeds)
        kind = "upload" if label.startswith("upload") else "download"
        rss = statistics.median(r for _, r in rows[label]) / 1024
        lines.append(
            f"| {label} | {median:,.0f} | {' / '.join(f'{s:,.0f}' for s in speeds)} | "
            f"{median / ref[kind]:.2f} | {rss:,.0f} |"
        )
    lines += [
        "",
        f"Storage overhead of the encrypted object under `<data>/files/blobs/`: "
        f"{statistics.median(overheads) * 100:.4f} % "
        f"({statistics.median(overheads) * size:,.0f} bytes on {size:,}).",
        f"Whole script: {elapsed:.0f} s.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    os.chdir(ROOT)
    main()

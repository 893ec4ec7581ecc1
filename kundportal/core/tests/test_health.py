import json
import os
import socket
import subprocess
import sys
import time

import pytest


@pytest.mark.django_db
def test_it_answers_healthz_without_touching_dependencies(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_it_reports_ready_when_database_storage_and_cache_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "storage": "ok", "cache": "ok"}


@pytest.mark.django_db
def test_it_reports_not_ready_and_names_the_failing_dependency(client, settings, tmp_path):
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the storage expects a folder")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(blocked)},
        },
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == "unavailable"
    assert response.json()["checks"]["database"] == "ok"


# S3 storage (a SeaweedFS started by the tests): the check writes and deletes a real object.


def _reset_storage(settings):
    settings.STORAGES = {**settings.STORAGES}  # setting_changed: Django builds the storage anew


@pytest.mark.django_db
def test_it_reports_ready_on_s3_storage_and_leaves_no_object_behind(client, s3_storage):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "storage": "ok", "cache": "ok"}
    assert s3_storage.object_keys() == []


@pytest.mark.django_db
@pytest.mark.parametrize("problem", ["wrong secret", "no such bucket", "nothing listening"])
def test_it_reports_s3_storage_unavailable(client, s3_storage, settings, problem):
    if problem == "wrong secret":
        settings.AWS_S3_SECRET_ACCESS_KEY = "not-" + s3_storage.secret_key
    elif problem == "no such bucket":
        settings.AWS_STORAGE_BUCKET_NAME = "no-such-bucket"
    else:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        settings.AWS_S3_ENDPOINT_URL = f"http://127.0.0.1:{port}"
    _reset_storage(settings)
    started = time.monotonic()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "storage": "unavailable", "cache": "ok"}
    assert time.monotonic() - started < 10


def test_it_reports_ready_on_s3_storage_configured_from_the_environment(seaweedfs, tmp_path):
    """settings.py's own reading of KUNDPORTAL_STORAGE=s3, AWS_* and boto's credential variables."""
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(("KUNDPORTAL_", "AWS_", "DATABASE_URL"))
    }
    environ.pop("DJANGO_SETTINGS_MODULE", None)
    environ.update(seaweedfs.environ(), KUNDPORTAL_DATA_DIR=str(tmp_path / "data"))
    code = (
        "from django.test import Client; "
        "response = Client().get('/readyz', secure=True, headers={'host': 'localhost'}); "
        "print(response.status_code, response.content.decode())"
    )
    result = subprocess.run(
        [sys.executable, "-m", "kundportal.cli", "shell", "-v", "0", "-c", code],
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    status, body = result.stdout.strip().splitlines()[-1].split(" ", 1)
    assert (status, json.loads(body)["checks"]["storage"]) == ("200", "ok")
    assert not [key for key in seaweedfs.object_keys() if key.startswith("readyz/")]

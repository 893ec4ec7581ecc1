"""The S3 storage the tests use: django-storages' S3Storage, keeping its boto3 connection for the session.

Every test gets a fresh storage object (changing STORAGES drops Django's cached ones), and a fresh object
would build a new boto3 session and client: botocore loading its service models again and copying its event
hooks, about 0.2 s, paid by every S3 test. Everything else, the requests above all, is S3Storage's own.
"""

from __future__ import annotations

import threading
from typing import Any

from storages.backends.s3 import S3Storage

_connections = threading.local()  # boto3 sessions and resources are not meant to be shared between threads


class ConnectionReusingS3Storage(S3Storage):
    @property
    def connection(self) -> Any:
        key = (
            self.access_key,
            self.secret_key,
            self.security_token,
            self.session_profile,
            self.endpoint_url,
            self.region_name,
            self.addressing_style,
            self.signature_version,
        )
        cache = _connections.__dict__.setdefault("by_key", {})
        if key not in cache:
            cache[key] = super().connection
        return cache[key]

"""Where the bytes of photos and files live: content-addressed blobs (the key
is the SHA-256 of the stored bytes), written once and never changed or
deleted.  Two backends behind one small interface:

* ``FileStorage`` — a directory, ``GRIDDESK_MEDIA_DIR`` (default ``./media``),
  laid out ``ab/cd/<sha256>``; writes go to a temporary file and are renamed
  into place, so a reader never sees half a file.
* ``S3Storage`` — any S3-compatible store (MinIO, Ceph, OSS/COS S3 endpoints,
  AWS) through ``boto3``, for several hosts sharing one store.

Chosen by environment variables only (``storage_from_env``):

``GRIDDESK_MEDIA_BACKEND``   ``fs`` (default) or ``s3``
``GRIDDESK_MEDIA_DIR``       filesystem root (default ``./media``)
``GRIDDESK_S3_ENDPOINT``     e.g. ``http://minio:9000`` (empty: AWS itself)
``GRIDDESK_S3_BUCKET``       bucket name (required for s3)
``GRIDDESK_S3_PREFIX``       key prefix inside the bucket (default ``media/``)
``GRIDDESK_S3_REGION``       region (default ``us-east-1``)
credentials: boto3's own (``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``, …)
"""

import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Protocol

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def _checked(sha256: str) -> str:
    if not isinstance(sha256, str) or not _HEX64.match(sha256):
        raise ValueError("not a SHA-256 hex digest")
    return sha256


class MediaStorage(Protocol):
    def put(self, sha256: str, data: bytes, content_type: str) -> None: ...

    def get(self, sha256: str) -> bytes | None: ...

    def exists(self, sha256: str) -> bool: ...


class FileStorage:
    def __init__(self, root: str | Path, *, durable: bool = True):
        self.root = Path(root)
        self.durable = durable  # fsync each file before it is renamed into place

    def path(self, sha256: str) -> Path:
        h = _checked(sha256)
        return self.root / h[:2] / h[2:4] / h

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def put(self, sha256: str, data: bytes, content_type: str) -> None:
        target = self.path(sha256)
        if target.is_file():
            return  # same hash, same bytes: content-addressed
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                if self.durable:
                    fh.flush()
                    os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, sha256: str) -> bytes | None:
        try:
            return self.path(sha256).read_bytes()
        except FileNotFoundError:
            return None


class S3Storage:
    def __init__(self, *, bucket: str, endpoint_url: str | None = None, prefix: str = "media/", region: str = "us-east-1", client=None):
        import boto3

        self.bucket = bucket
        self.prefix = prefix
        self.client = client or boto3.client("s3", endpoint_url=endpoint_url or None, region_name=region)

    def key(self, sha256: str) -> str:
        h = _checked(sha256)
        return f"{self.prefix}{h[:2]}/{h[2:4]}/{h}"

    def exists(self, sha256: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(sha256))
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise

    def put(self, sha256: str, data: bytes, content_type: str) -> None:
        if self.exists(sha256):
            return
        self.client.put_object(Bucket=self.bucket, Key=self.key(sha256), Body=data, ContentType=content_type)

    def get(self, sha256: str) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.key(sha256))["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise


def media_dir() -> Path:
    return Path(os.environ.get("GRIDDESK_MEDIA_DIR") or "media")


@lru_cache(maxsize=4)
def _storage(backend: str, root: str, bucket: str, endpoint: str, prefix: str, region: str) -> MediaStorage:
    if backend == "s3":
        if not bucket:
            raise RuntimeError("GRIDDESK_MEDIA_BACKEND=s3 needs GRIDDESK_S3_BUCKET")
        return S3Storage(bucket=bucket, endpoint_url=endpoint or None, prefix=prefix, region=region)
    return FileStorage(root)


def storage_from_env() -> MediaStorage:
    env = os.environ.get
    backend = (env("GRIDDESK_MEDIA_BACKEND") or "fs").strip().lower()
    if backend not in ("fs", "s3"):
        raise RuntimeError("GRIDDESK_MEDIA_BACKEND must be fs or s3")
    return _storage(
        backend,
        str(media_dir()),
        env("GRIDDESK_S3_BUCKET") or "",
        env("GRIDDESK_S3_ENDPOINT") or "",
        env("GRIDDESK_S3_PREFIX", "media/"),
        env("GRIDDESK_S3_REGION") or "us-east-1",
    )

"""S3 for job documents: the URL forms AWS accepts, and where an object is read from.

``documentSource`` is read once, when the job (or job template) is created,
as AWS does.  Where the bytes come from, in this order:

1. moto's ``mock_aws`` is active in the process: the object is read through
   moto's S3 with the same boto3 ``get_object`` call an application would
   make, and only there (an object missing from moto is missing);
2. otherwise, the objects the test put in place with the handle's
   ``put_s3_object(bucket, key, body)`` (server mode: ``POST
   /_mock_iotjobs/s3-objects``);
3. otherwise nothing answers: CreateJob is refused, as AWS refuses a
   ``documentSource`` it cannot read.
"""

from __future__ import annotations

import re
import sys
import threading
from dataclasses import dataclass
from typing import Dict, Optional, Tuple
from urllib.parse import unquote, urlsplit

# Bucket names: 3-63 of lower-case letters, digits, dots and hyphens.
_BUCKET = r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"
_REGION = r"[a-z]{2}(?:-[a-z]+)+-\d"
# Path style: s3.amazonaws.com, s3.<region>.amazonaws.com, s3-<region>.amazonaws.com.
_PATH_HOST = re.compile(rf"s3(?:[.-](?P<region>{_REGION}))?\.amazonaws\.com(?:\.cn)?")
# Virtual-hosted style: <bucket>.s3.amazonaws.com, <bucket>.s3.<region>.amazonaws.com, <bucket>.s3-<region>...
_VIRTUAL_HOST = re.compile(rf"(?P<bucket>{_BUCKET})\.s3(?:[.-](?P<region>{_REGION}))?\.amazonaws\.com(?:\.cn)?")


@dataclass(frozen=True)
class S3Location:
    bucket: str
    key: str
    region: Optional[str] = None


def parse_s3_url(url: str) -> Optional[S3Location]:
    """The bucket and key of an S3 object URL in a form AWS accepts (path-style,
    regional or virtual-hosted, over https), or None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme != "https" or parts.query or parts.fragment or parts.port is not None:
        return None
    host = (parts.hostname or "").lower()
    path = unquote(parts.path)
    virtual = _VIRTUAL_HOST.fullmatch(host)
    if virtual is not None:
        key = path[1:]
        return S3Location(virtual["bucket"], key, virtual["region"]) if key else None
    path_style = _PATH_HOST.fullmatch(host)
    if path_style is None:
        return None
    bucket, _, key = path[1:].partition("/")
    if not re.fullmatch(_BUCKET, bucket) or not key:
        return None
    return S3Location(bucket, key, path_style["region"])


def parse_placeholder_target(text: str) -> Optional[S3Location]:
    """The object a ``${aws:iot:s3-presigned-url:...}`` placeholder names: an S3 URL,
    or the developer guide's short ``<bucket>/<key>`` form."""
    if text.startswith("https://"):
        return parse_s3_url(text)
    bucket, _, key = text.partition("/")
    if re.fullmatch(_BUCKET, bucket) and key:
        return S3Location(bucket, key)
    return None


class S3Objects:
    """Objects a test put in place without moto (bucket, key) → bytes, shared by
    every account and region of one activation, as S3's bucket names are global."""

    def __init__(self) -> None:
        self._objects: Dict[Tuple[str, str], bytes] = {}
        self._lock = threading.Lock()

    def put(self, bucket: str, key: str, body: bytes) -> None:
        with self._lock:
            self._objects[(bucket, key)] = bytes(body)

    def get(self, bucket: str, key: str) -> Optional[bytes]:
        with self._lock:
            return self._objects.get((bucket, key))

    def clear(self) -> None:
        with self._lock:
            self._objects.clear()

    def __len__(self) -> int:
        return len(self._objects)


def moto_active() -> bool:
    """Whether moto's ``mock_aws`` is active in this process (checked without importing
    moto: a process that never imported it has no moto mock)."""
    models = sys.modules.get("moto.core.models")
    if models is None:
        return False
    mock_class = getattr(models, "MockAWS", None)
    return bool(getattr(mock_class, "_nested_count", 0))


class Unreadable(Exception):
    """The object cannot be read (missing bucket or key, or no S3 in the process)."""


def read_object(objects: S3Objects, location: S3Location, region: str) -> bytes:
    """The object's bytes, resolved in the order the module documents."""
    if moto_active():
        return _read_through_moto(location, region)
    body = objects.get(location.bucket, location.key)
    if body is None:
        raise Unreadable(f"no object s3://{location.bucket}/{location.key}")
    return body


def _read_through_moto(location: S3Location, region: str) -> bytes:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        client = boto3.session.Session().client("s3", region_name=location.region or region)
        answer = client.get_object(Bucket=location.bucket, Key=location.key)
        return bytes(answer["Body"].read())
    except (ClientError, BotoCoreError) as error:
        raise Unreadable(str(error)) from None

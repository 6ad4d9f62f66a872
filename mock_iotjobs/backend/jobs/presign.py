"""``${aws:iot:s3-presigned-url:<S3 URL>}`` placeholders → real SigV4 presigned GET URLs.

AWS replaces each placeholder when a device receives the document, for jobs
with ``presignedUrlConfig``; the URL is valid for ``expiresInSec`` (default
3600).  The mock signs with botocore's own presigner and the credentials the
process has at that moment (the environment's, else botocore's usual chain,
else the mock's fake ones), so with moto's ``mock_aws`` active a
``requests.get`` of the URL is answered by moto's S3.  botocore stamps the
signature with the real time (``X-Amz-Date``), not the mock clock: that is
what S3 (and moto) check the expiry against.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from typing import Any, Dict, Optional, Tuple

from botocore.config import Config

from .s3 import parse_placeholder_target

PLACEHOLDER = re.compile(r"\$\{aws:iot:s3-presigned-url:([^}]*)\}")
DEFAULT_EXPIRES_IN_SEC = 3600
_FAKE_CREDENTIALS = ("AKIAMOCKIOTJOBS00000", "mock_iotjobs_secret_access_key", None)
_CLIENTS: Dict[Tuple[str, str, str, Optional[str]], Any] = {}
_CLIENTS_LOCK = threading.Lock()


def substitute(document: str, config: Dict[str, Any], region: str) -> str:
    """The document with every placeholder naming an S3 object replaced (when the job
    has ``presignedUrlConfig``); placeholders that name no object are left as they are."""
    presigned = config.get("presignedUrlConfig")
    if presigned is None or "${aws:iot:s3-presigned-url:" not in document:
        return document
    expires = int(presigned.get("expiresInSec") or DEFAULT_EXPIRES_IN_SEC)

    def replace(match: "re.Match[str]") -> str:
        location = parse_placeholder_target(match.group(1))
        if location is None:
            return match.group(0)
        client = _client(location.region or region)
        url: str = client.generate_presigned_url(
            "get_object", Params={"Bucket": location.bucket, "Key": location.key}, ExpiresIn=expires
        )
        # The URL sits inside a JSON string: escape it as JSON would (it has no quotes).
        return url.replace("\\", "\\\\").replace('"', '\\"')

    return PLACEHOLDER.sub(replace, document)


def _credentials() -> Tuple[str, str, Optional[str]]:
    key, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
    if key and secret:
        return key, secret, os.environ.get("AWS_SESSION_TOKEN")
    import botocore.session

    found = botocore.session.Session().get_credentials()
    if found is not None:
        frozen = found.get_frozen_credentials()
        return frozen.access_key, frozen.secret_key, frozen.token
    return _FAKE_CREDENTIALS


def _client(region: str) -> Any:
    key, secret, token = _credentials()
    cache_key = (region, key, secret, token)
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(cache_key)
        if client is None:
            client = _session().create_client(
                "s3",
                region_name=region,
                config=Config(signature_version="s3v4"),
                aws_access_key_id=key,
                aws_secret_access_key=secret,
                aws_session_token=token,
            )
            _CLIENTS[cache_key] = client
        return client


@functools.lru_cache(maxsize=1)
def _session() -> Any:
    import botocore.session

    return botocore.session.Session()

"""Job documents: the rules a document must meet (jobs and job templates alike), where a
``documentSource`` document comes from, and what a device receives."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Dict, Optional, Union

from ...protocol.errors import invalid_request
from . import presign, spelling
from .s3 import S3Objects, Unreadable, parse_s3_url, read_object

if TYPE_CHECKING:
    from .model import Job

# AWS counts the 32 KB limit in bytes; the model's max (32768) counts characters.
MAX_DOCUMENT_BYTES = 32 * 1024


def _no_constants(name: str) -> Any:
    # Python's json takes NaN and Infinity; JSON (and AWS) does not.
    raise ValueError(f"{name} is not JSON")


def check_document(document: str) -> None:
    if len(document.encode("utf-8")) > MAX_DOCUMENT_BYTES:
        raise invalid_request(f"The job document exceeds the maximum size of {MAX_DOCUMENT_BYTES} bytes.")
    try:
        parsed = json.loads(document, parse_constant=_no_constants)
    except (ValueError, RecursionError):
        raise invalid_request("The job document must be a valid JSON document.") from None
    if not isinstance(parsed, dict):
        raise invalid_request("The job document must be a JSON object.")


def fetch_source(objects: S3Objects, source: str, region: str) -> str:
    """The document ``documentSource`` names, read now (as AWS reads it at creation) and
    checked like an inline one; InvalidRequestException if it cannot be read."""
    location = parse_s3_url(source)
    if location is None:
        raise invalid_request(
            f"The documentSource {source} is not a valid Amazon S3 URL; "
            "use https://s3.amazonaws.com/<bucket>/<key> or a regional or virtual-hosted form."
        )
    try:
        body = read_object(objects, location, region)
    except Unreadable:
        raise invalid_request(f"Unable to read the job document from documentSource {source}.") from None
    if len(body) > MAX_DOCUMENT_BYTES:
        raise invalid_request(f"The job document exceeds the maximum size of {MAX_DOCUMENT_BYTES} bytes.")
    try:
        document = body.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid_request("The job document must be a UTF-8 encoded JSON document.") from None
    check_document(document)
    return document


def device_document(job: "Job", over_mqtt: bool) -> Optional[Union[str, Dict[str, Any]]]:
    """``jobDocument`` as a device receives it now: presigned URLs in place; a compact
    string over HTTPS, the JSON object over MQTT (see spelling.py)."""
    if job.document is None:
        return None
    region = job.arn.split(":")[3]
    document = presign.substitute(job.document, job.config, region)
    return spelling.device_object(document) if over_mqtt else spelling.device_text(document)

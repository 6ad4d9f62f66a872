"""Job documents: the rules a document must meet, for jobs and job templates alike."""

from __future__ import annotations

import json

from ...protocol.errors import invalid_request

# AWS counts the 32 KB limit in bytes; the model's max (32768) counts characters.
MAX_DOCUMENT_BYTES = 32 * 1024


def check_document(document: str) -> None:
    if len(document.encode("utf-8")) > MAX_DOCUMENT_BYTES:
        raise invalid_request(f"The job document exceeds the maximum size of {MAX_DOCUMENT_BYTES} bytes.")
    try:
        parsed = json.loads(document)
    except ValueError:
        raise invalid_request("The job document must be a valid JSON document.") from None
    if not isinstance(parsed, dict):
        raise invalid_request("The job document must be a JSON object.")

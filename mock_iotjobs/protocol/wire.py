"""Transport-neutral request and response records.

The botocore hook, the ``responses`` callback and the werkzeug server each
translate their own objects into these, so one pipeline serves all three.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Mapping
from urllib.parse import urlsplit

# The largest request body served (server mode's --max-body-bytes may change it there):
# AWS IoT's largest documented member is a 32 KB job document.
MAX_BODY_BYTES = 1024 * 1024


@dataclass
class HttpRequest:
    method: str
    host: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes = b""

    @classmethod
    def from_url(cls, method: str, url: str, headers: Mapping[str, str], body: bytes) -> "HttpRequest":
        parts = urlsplit(url)
        return cls(method.upper(), parts.netloc, parts.path or "/", parts.query, headers, body)

    def header(self, name: str) -> str:
        value = self.headers.get(name)
        if value is None:
            lowered = name.lower()
            for key, item in self.headers.items():
                if key.lower() == lowered:
                    return item
            return ""
        return value


@dataclass
class HttpResponse:
    status: int
    headers: Dict[str, str] = field(default_factory=dict)
    body: bytes = b""

"""Route an HTTP request to (service, operation) with werkzeug's rule matcher.

One ``Map`` per service is built from each operation's ``http.method`` and
``requestUri``.  werkzeug ranks static segments above converters, so a
literal such as ``$next`` wins over a ``{jobId}`` label, as AWS's router does.
"""

from __future__ import annotations

import functools
import re
from typing import Dict, Optional, Tuple
from urllib.parse import unquote

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, MapAdapter, Rule

from .errors import UnknownOperationError
from .models import DATA, IOT, JOBS_DATA, service_model

_LABEL = re.compile(r"\{([A-Za-z0-9_]+)(\+?)\}")


def _rule_path(request_uri: str) -> str:
    path = request_uri.split("?", 1)[0]

    def convert(match: "re.Match[str]") -> str:
        name, greedy = match.group(1), match.group(2)
        return f"<path:{name}>" if greedy else f"<{name}>"

    return _LABEL.sub(convert, path)


@functools.lru_cache(maxsize=None)
def _adapter(service: str) -> MapAdapter:
    model = service_model(service)
    rules = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        rules.append(Rule(_rule_path(http["requestUri"]), endpoint=name, methods=[http["method"]]))
    url_map = Map(rules, strict_slashes=False, merge_slashes=False)
    return url_map.bind("localhost")


def route(service: str, method: str, path: str) -> Tuple[str, Dict[str, str]]:
    """Return the operation name and its (decoded) URI labels."""
    # An encoded slash belongs to its label (iot-data's /topics/{topic}): keep it out
    # of the path's segments while matching, then restore it in the label.
    slash = "%2F" in path or "%2f" in path
    decoded = unquote(path.replace("%2F", "\0").replace("%2f", "\0")) if slash else unquote(path)
    try:
        endpoint, labels = _adapter(service).match(decoded, method=method)
    except (NotFound, MethodNotAllowed):
        raise UnknownOperationError(service, method, path) from None
    if slash:
        labels = {k: v.replace("\0", "/") if isinstance(v, str) else v for k, v in labels.items()}
    return str(endpoint), dict(labels)


_JOBS_DATA_HOST = re.compile(r"(^|\.)jobs\.iot\.")
# iot-data answers on data-ats.iot.<region> and the account's <prefix>-ats.iot.<region>.
_DATA_HOST = re.compile(r"(^|\.|-)ats\.iot\.|(^|\.)data\.iot\.")
# The SigV4 signing name of each service (iot-data signs as "iotdata").
_SIGNING_NAMES = {IOT: IOT, JOBS_DATA: JOBS_DATA, "iotdata": DATA, DATA: DATA}


def service_for(authorization: Optional[str], host: str) -> str:
    """Pick the service: the SigV4 scope names it; unsigned calls go by host."""
    if authorization:
        scope = credential_scope(authorization)
        if scope is not None and scope[3] in _SIGNING_NAMES:
            return _SIGNING_NAMES[scope[3]]
    if _JOBS_DATA_HOST.search(host):
        return JOBS_DATA
    return DATA if _DATA_HOST.search(host) else IOT


def credential_scope(authorization: str) -> Optional[Tuple[str, str, str, str]]:
    """(access key id, date, region, service) from a SigV4 ``Authorization``."""
    start = authorization.find("Credential=")
    if start < 0:
        return None
    end = authorization.find(",", start)
    parts = authorization[start + 11 : end if end >= 0 else None].strip().split("/")
    if len(parts) < 5:
        return None
    return parts[0], parts[1], parts[2], parts[3]


_REGION_IN_HOST = re.compile(r"(?:^|\.)iot\.([a-z0-9-]+)\.amazonaws\.com")


def region_from_host(host: str) -> Optional[str]:
    match = _REGION_IN_HOST.search(host)
    return match.group(1) if match else None

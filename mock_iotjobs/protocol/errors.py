"""AWS-shaped errors.

Handlers and the backend raise :class:`ServiceError`; the response side turns
it into the status code, ``x-amzn-ErrorType`` header and JSON body that the
service model declares for that error code.
"""

from __future__ import annotations

import functools
from typing import Any, Dict, Optional

from .models import service_model

_FALLBACK_STATUS = {
    "UnknownOperationException": 404,
    "NotImplementedException": 501,
    "SerializationException": 400,
    "AccessDeniedException": 403,
}

# Errors any AWS service may answer whatever its model declares (AWS's "common
# errors"), with their HTTP status: what ``fail_next`` may inject beyond an
# operation's modeled errors.  botocore retries by code (throttling:
# ThrottlingException, Throttling, TooManyRequestsException, RequestLimitExceeded,
# ...; transient: RequestTimeoutException, ...) and by status (500, 502, 503, 504).
COMMON_ERRORS: Dict[str, int] = {
    "ThrottlingException": 400,
    "Throttling": 400,
    "TooManyRequestsException": 429,
    "RequestLimitExceeded": 400,
    "ServiceUnavailableException": 503,
    "ServiceUnavailable": 503,
    "InternalFailureException": 500,
    "InternalFailure": 500,
    "InternalServerError": 500,
    "RequestTimeoutException": 408,
    "AccessDeniedException": 403,
    "UnrecognizedClientException": 403,
    "InvalidClientTokenId": 403,
    "ExpiredTokenException": 403,
    "IncompleteSignature": 403,
    "RequestExpired": 400,
}


class ServiceError(Exception):
    """An error answered to the caller in AWS's wire format."""

    def __init__(self, code: str, message: str, status: Optional[int] = None, **members: Any):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.explicit_status = status
        self.members = {k: v for k, v in members.items() if v is not None}

    def status_for(self, service: str) -> int:
        """The HTTP status: explicit, else the one ``service``'s model declares for the code."""
        if self.explicit_status is not None:
            return self.explicit_status
        status = modeled_status(service, self.code) or _FALLBACK_STATUS.get(self.code)
        return status or COMMON_ERRORS.get(self.code, 400)


@functools.lru_cache(maxsize=None)
def _status_table(service: str) -> Dict[str, int]:
    model = service_model(service)
    table = {}
    for name in model.shape_names:
        shape = model.shape_for(name)
        if shape.metadata.get("exception"):
            table[name] = shape.metadata.get("error", {}).get("httpStatusCode", 400)
    return table


def modeled_status(service: str, code: str) -> Optional[int]:
    return _status_table(service).get(code)


def invalid_request(message: str, **members: Any) -> ServiceError:
    return ServiceError("InvalidRequestException", message, **members)


def not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message)


def already_exists(message: str, resource_id: str, resource_arn: Optional[str] = None) -> ServiceError:
    return ServiceError(
        "ResourceAlreadyExistsException", message, resourceId=resource_id, resourceArn=resource_arn
    )


def invalid_transition(message: str, **members: Any) -> ServiceError:
    return ServiceError("InvalidStateTransitionException", message, **members)


def version_conflict(message: str) -> ServiceError:
    return ServiceError("VersionConflictException", message)


def limit_exceeded(message: str) -> ServiceError:
    return ServiceError("LimitExceededException", message)


def conflict(message: str, **members: Any) -> ServiceError:
    return ServiceError("ConflictException", message, **members)


class UnknownOperationError(ServiceError):
    def __init__(self, service: str, method: str, path: str):
        super().__init__(
            "UnknownOperationException",
            f"No {service} operation matches {method} {path}",
            status=404,
        )


class NotImplementedOperation(ServiceError):
    def __init__(self, service: str, operation: str):
        super().__init__(
            "NotImplementedException",
            f"mock_iotjobs does not implement {service} {operation} yet",
            status=501,
        )

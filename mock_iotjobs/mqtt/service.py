"""The Jobs service behind the reserved topics: one request in, one response out.

A request published on ``$aws/things/<thing>/jobs/...`` becomes the parameters of
the matching ``iot-jobs-data`` operation, is validated against the same botocore
model and answered by the same handler the HTTPS device plane uses (under the
backend's lock, after due timed work), so the rules cannot drift apart.  Only
the envelope differs: the response goes to ``<request topic>/accepted`` with
``timestamp`` and the echoed ``clientToken``, or to ``<request topic>/rejected``
as an ``ErrorResponse`` whose ``code`` is one the MQTT API documents.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any, Dict, Optional, Tuple

from .. import handlers  # noqa: F401  (registers every operation)
from ..backend.jobs.executions import execution_state
from ..backend.state import Backend, BackendStore
from ..handlers.base import HANDLERS, Context, Params
from ..protocol.errors import ServiceError, invalid_request
from ..protocol.models import JOBS_DATA, operation_model
from ..protocol.validation import validate
from .topics import JobsTopic

log = logging.getLogger("mock_iotjobs.mqtt")

# ErrorResponse codes (the MQTT API's names for the HTTPS API's exceptions).
INVALID_TOPIC = "InvalidTopic"
INVALID_JSON = "InvalidJson"
INVALID_REQUEST = "InvalidRequest"
INVALID_STATE_TRANSITION = "InvalidStateTransition"
RESOURCE_NOT_FOUND = "ResourceNotFound"
VERSION_MISMATCH = "VersionMismatch"
INTERNAL_ERROR = "InternalError"
REQUEST_THROTTLED = "RequestThrottled"
TERMINAL_STATE_REACHED = "TerminalStateReached"

_CODES = {
    "InvalidRequestException": INVALID_REQUEST,
    "InvalidStateTransitionException": INVALID_STATE_TRANSITION,
    "ResourceNotFoundException": RESOURCE_NOT_FOUND,
    "TerminalStateException": TERMINAL_STATE_REACHED,
    "ThrottlingException": REQUEST_THROTTLED,
}
# What each JSON member must be, by the model's shape type.
_JSON_TYPES = {"string": (str,), "long": (int,), "integer": (int,), "boolean": (bool,), "map": (dict,)}
_TYPE_NAMES = {
    "string": "a string",
    "long": "an integer",
    "integer": "an integer",
    "boolean": "a boolean",
    "map": "an object",
}
# Members that come from the topic, never from the payload.
_FROM_TOPIC = ("thingName", "jobId")

Response = Tuple[str, Dict[str, Any]]


class _Rejection(Exception):
    def __init__(self, code: str, message: str, execution_state: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.execution_state = execution_state


class JobsService:
    """Answers jobs requests for one backend (one account and region) of ``store``."""

    def __init__(self, store: BackendStore, account_id: str, region: str) -> None:
        self.store = store
        self.account_id = account_id
        self.region = region

    def backend(self) -> Backend:
        return self.store.get(self.account_id, self.region)

    def handle(self, topic: str, request: JobsTopic, payload: bytes) -> Response:
        """The (response topic, response payload) for one request."""
        backend = self.backend()
        token: Optional[str] = None
        try:
            if request.operation is None:
                token = _token_if_any(payload)
                raise _Rejection(INVALID_TOPIC, f"The topic {topic} does not map to any Jobs API.")
            body = _parse(payload)
            raw_token = body.get("clientToken")
            if isinstance(raw_token, str):
                token = raw_token
            if raw_token is not None and not isinstance(raw_token, str):
                raise _Rejection(INVALID_REQUEST, "clientToken must be a string.")
            result = self._call(backend, request, body)
            answer = dict(result)
            accepted = True
        except _Rejection as rejection:
            answer = {"code": rejection.code, "message": rejection.message}
            if rejection.execution_state is not None:
                answer["executionState"] = rejection.execution_state
            accepted = False
        answer["timestamp"] = int(backend.now())
        if token is not None:
            answer["clientToken"] = token
        return f"{topic}/{'accepted' if accepted else 'rejected'}", answer

    def _call(self, backend: Backend, request: JobsTopic, body: Dict[str, Any]) -> Dict[str, Any]:
        operation = request.operation
        assert operation is not None
        context = Context(backend, self.store, JOBS_DATA, operation, str(uuid.uuid4()), "mqtt")
        params: Params = {}
        try:
            params = _params(operation, request, body)
            validate(JOBS_DATA, operation, params)
            self.store.raise_injected_fault(operation)
            with backend.lock:
                backend.apply_due()
                try:
                    return HANDLERS[(JOBS_DATA, operation)](context, params) or {}
                except ServiceError as error:
                    raise _rejection(error, backend, params) from None
        except ServiceError as error:
            raise _rejection(error, None, params) from None
        except _Rejection:
            raise
        except Exception as error:  # a bug in the mock: answer it, keep serving
            log.exception("mock_iotjobs MQTT failed on %s", operation)
            raise _Rejection(INTERNAL_ERROR, f"mock_iotjobs internal error: {error!r}") from None


def _parse(payload: bytes) -> Dict[str, Any]:
    # An empty payload is an empty request, as the shadow service treats one.
    if not payload.strip():
        return {}
    try:
        body = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _Rejection(INVALID_JSON, "The request payload is not valid UTF-8 encoded JSON.") from None
    if not isinstance(body, dict):
        raise _Rejection(INVALID_JSON, "The request payload must be a JSON object.")
    return body


def _token_if_any(payload: bytes) -> Optional[str]:
    try:
        token = _parse(payload).get("clientToken")
    except _Rejection:
        return None
    return token if isinstance(token, str) else None


def _params(operation: str, request: JobsTopic, body: Dict[str, Any]) -> Params:
    """The operation's parameters: the thing and job from the topic, the rest from the
    payload (type-checked against the model; unknown members are ignored)."""
    params: Params = {"thingName": request.thing_name}
    if request.job_id is not None:
        params["jobId"] = request.job_id
    members = operation_model(JOBS_DATA, operation).input_shape.members
    for name, shape in members.items():
        value = body.get(name)
        if name in _FROM_TOPIC or value is None:
            continue
        kind = shape.type_name
        wanted = _JSON_TYPES.get(kind, (object,))
        if not isinstance(value, wanted) or (kind != "boolean" and isinstance(value, bool)):
            raise invalid_request(f"{name} must be {_TYPE_NAMES.get(kind, kind)}, not {json.dumps(value)}.")
        if isinstance(value, dict) and not all(isinstance(v, str) for v in value.values()):
            raise invalid_request(f"{name} must map strings to strings.")
        params[name] = value
    return params


def _rejection(error: ServiceError, backend: Optional[Backend], params: Params) -> _Rejection:
    code = _CODES.get(error.code, INTERNAL_ERROR)
    state = error.members.get("executionState")
    if code == INVALID_REQUEST and state is not None and params.get("expectedVersion") is not None:
        code = VERSION_MISMATCH
    if code == INVALID_STATE_TRANSITION and state is None and backend is not None:
        # The MQTT API promises the current state with every InvalidStateTransition.
        state = _current_state(backend, params)
    if code not in (VERSION_MISMATCH, INVALID_STATE_TRANSITION):
        state = None
    return _Rejection(code, error.message, state)


def _current_state(backend: Backend, params: Params) -> Optional[Dict[str, Any]]:
    if params.get("jobId") is None:
        return None
    execution = backend.executions.by_thing.get(params["thingName"], {}).get(params["jobId"])
    if execution is None:
        return None
    return execution_state(execution)

"""The backends the scenario runs against; each worker process uses exactly one.

- ``stubber``: ``botocore.stub.Stubber`` with canned parsed answers (answers at
  ``before-call``: no signing, no HTTP, no parsing).
- ``wire``: a ``before-send`` handler returning pre-built bytes per operation,
  the physical floor of any mock at botocore's HTTP layer.
- ``moto``: moto's ``mock_aws`` (control plane only: moto has no iot-jobs-data).
- ``ours``: ``mock_iotjobs`` on its ``before-send`` wire path.
- ``ours-fast``: ``mock_iotjobs`` with the lead's ``before-call`` fast path,
  when that exists (detected, see ``fast_path_switch``).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import bench_canned as canned

REPO = Path(__file__).resolve().parent.parent
FAST_ENV = "MOCK_IOTJOBS_FAST_PATH"
_FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AWS_DEFAULT_REGION": canned.REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
}


def hermetic_env() -> None:
    """Same credentials/region for every backend; no shared files, no metadata lookups."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_REGION"):
        os.environ.pop(name, None)
    os.environ.update(_FAKE_ENV)
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    os.environ["AWS_CONFIG_FILE"] = os.devnull


class Backend:
    name = "?"
    device_plane = True
    notes: List[str] = []

    def __init__(self) -> None:
        import boto3

        self._session = boto3.session.Session(region_name=canned.REGION)

    def clients(self) -> Tuple[Any, Any]:
        iot = self._session.client("iot")
        jobs = self._session.client("iot-jobs-data") if self.device_plane else None
        return iot, jobs

    def start(self, fleet_size: int) -> Tuple[Any, Any]:
        """Activate a fresh mock (empty state) and return new (iot, jobs-data) clients."""
        return self.clients()

    def stop(self) -> None:
        pass

    def expect(self, operation: str, count: int = 1) -> None:
        """Called (untimed) before ``count`` calls of ``operation``; only the Stubber needs it."""

    def enter_exit(self) -> Any:
        """A fresh activation as a context manager, for enter/exit timing (None: not applicable)."""
        return None


class StubberBackend(Backend):
    name = "stubber"

    def start(self, fleet_size: int) -> Tuple[Any, Any]:
        from botocore.stub import Stubber

        self._fleet = fleet_size
        iot, jobs = self.clients()
        self._stubs = {"iot": Stubber(iot), "iot-jobs-data": Stubber(jobs)}
        for stub in self._stubs.values():
            stub.activate()
        self._answers: Dict[str, List[Dict[str, Any]]] = {}
        return iot, jobs

    def stop(self) -> None:
        for stub in self._stubs.values():
            stub.deactivate()

    def expect(self, operation: str, count: int = 1) -> None:
        service = "iot-jobs-data" if operation in _JOBS_DATA_OPS else "iot"
        stub = self._stubs[service]
        if operation not in self._answers:
            self._answers[operation] = canned.parsed_answers(stub.client, operation, self._fleet)
        method = _snake(stub.client, operation)
        answers = self._answers[operation]
        for i in range(count):
            stub.add_response(method, answers[i % len(answers)])


class WireFloorBackend(Backend):
    name = "wire"

    def start(self, fleet_size: int) -> Tuple[Any, Any]:
        from botocore.awsrequest import AWSResponse

        bodies = {op: canned.wire_body(answer) for op, answer in canned.WIRE.items()}
        listing = [canned.wire_body(page) for page in canned.pages(fleet_size)]
        headers = {"content-type": "application/json", "x-amzn-requestid": "6f1e0c0a-bench-wire-floor"}

        def before_send(request: Any, event_name: str, **_: Any) -> Any:
            operation = event_name.rpartition(".")[2]
            if operation == "ListJobExecutionsForJob":
                _, _, token = request.url.partition("nextToken=p")
                body = listing[int(token.partition("&")[0]) if token else 0]
            else:
                body = bodies[operation]
            return AWSResponse(request.url, 200, headers, _Raw(body))

        iot, jobs = self.clients()
        for client in (iot, jobs):
            client.meta.events.register_first("before-send", before_send)
        return iot, jobs


class _Raw:
    __slots__ = ("_body",)

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body


class MotoBackend(Backend):
    name = "moto"
    device_plane = False
    notes = [
        "no iot-jobs-data (device plane) in moto: device phases skipped",
        "CreateJob on a thing-group ARN makes ONE execution named after the group (no expansion)",
        "so ListJobExecutionsForJob returns 1 summary instead of N",
    ]

    def __init__(self) -> None:
        from moto import mock_aws  # before the session: moto's hooks join botocore's built-in handlers

        self._factory = mock_aws
        super().__init__()

    def start(self, fleet_size: int) -> Tuple[Any, Any]:
        self._mock = self._factory()
        self._mock.start()
        return self.clients()

    def stop(self) -> None:
        self._mock.stop()

    def enter_exit(self) -> Any:
        return self._factory()


class OursBackend(Backend):
    name = "ours"

    def __init__(self, fast: Optional[bool] = None) -> None:
        self._kwargs: Dict[str, Any] = {}
        switch = fast_path_switch()
        if fast is not None and switch is not None:
            kind, key = switch
            if kind == "kwarg":
                self._kwargs[key] = fast
            else:
                os.environ[key] = "1" if fast else "0"
        from mock_iotjobs import mock_iotjobs  # after the env switch: it may be read at import

        self._factory = mock_iotjobs
        super().__init__()

    def start(self, fleet_size: int) -> Tuple[Any, Any]:
        self._mock = self._factory(**self._kwargs)
        self._mock.start()
        return self.clients()

    def stop(self) -> None:
        self._mock.stop()

    def enter_exit(self) -> Any:
        return self._factory(**self._kwargs)


def fast_path_switch() -> Optional[Tuple[str, str]]:
    """How to turn mock_iotjobs's before-call fast path on/off: ('kwarg', name), ('env', var) or None.

    Detected without importing the package: a ``fast``/``fast_path`` keyword of
    ``mock_iotjobs(...)`` in core.py, else the env var named in the sources.
    """
    package = REPO / "mock_iotjobs"
    sources = {name: _read(package / name) for name in ("core.py", "interception.py", "dispatch.py")}
    signature = sources["core.py"].partition("def __init__")[2].partition(")")[0]
    for keyword in ("fast_path", "fast"):
        if f"{keyword}:" in signature or f"{keyword}=" in signature:
            return ("kwarg", keyword)
    if any(FAST_ENV in text for text in sources.values()):
        return ("env", FAST_ENV)
    return None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


_JOBS_DATA_OPS = {
    "StartNextPendingJobExecution",
    "UpdateJobExecution",
    "GetPendingJobExecutions",
    "DescribeJobExecution",
}


def _snake(client: Any, operation: str) -> str:
    mapping = {api: method for method, api in client.meta.method_to_api_mapping.items()}
    return mapping[operation]


def make(name: str) -> Backend:
    if name == "stubber":
        return StubberBackend()
    if name == "wire":
        return WireFloorBackend()
    if name == "moto":
        return MotoBackend()
    if name == "ours":
        return OursBackend(fast=False)
    if name == "ours-fast":
        if fast_path_switch() is None:
            raise Unavailable("mock_iotjobs has no before-call fast path yet (no fast= option, no env switch)")
        backend = OursBackend(fast=True)
        backend.name = "ours-fast"
        return backend
    raise ValueError(f"unknown backend {name!r}")


class Unavailable(Exception):
    """The backend cannot run in this environment (reported, not fatal)."""


def check_available(name: str) -> Optional[str]:
    """Why ``name`` cannot run here, or None."""
    if name == "moto" and importlib.util.find_spec("moto") is None:
        return "moto is not installed in this interpreter"
    if name == "ours-fast" and fast_path_switch() is None:
        return "mock_iotjobs has no before-call fast path yet"
    return None

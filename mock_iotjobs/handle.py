"""The handle a test gets from ``with mock_iotjobs() as m`` or the pytest fixture.

Everything here works on the backend directly (no HTTP, no botocore), under
the backend's lock, so it is fast and never races a request being served.
What it returns is a copy: views (:mod:`mock_iotjobs.views`) and
notifications never change after they are handed out.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Dict, FrozenSet, List, Optional, Tuple

from botocore import xform_name

from .backend.clock import check_advance
from .backend.events.configurations import EVENT_TYPES, check_event_types
from .backend.events.notifications import Notification
from .backend.jobs.model import Job
from .backend.registry.things import MAX_ATTRIBUTES_WITHOUT_TYPE
from .backend.state import DEFAULT_REGION, Backend, BackendStore, default_account_id
from .commands_handle import CommandsHandle
from .protocol.errors import COMMON_ERRORS
from .protocol.models import SERVICES, service_model
from .views import CertificateView, ExecutionView, JobView, ThingView

# The thing and thing-group name constraint of the ``iot`` model.
_NAME = re.compile(r"[a-zA-Z0-9:_-]{1,128}")


@functools.lru_cache(maxsize=None)
def _operation_names() -> Dict[str, str]:
    """Every operation of both services, by its own name and by boto3's method name."""
    names: Dict[str, str] = {}
    for service in SERVICES:
        for operation in service_model(service).operation_names:
            names[operation] = operation
            names[xform_name(operation)] = operation
    return names


@functools.lru_cache(maxsize=None)
def injectable_errors(operation: str) -> FrozenSet[str]:
    """What ``fail_next`` accepts for an operation: its modeled errors (in either
    service that has it) and AWS's common errors."""
    codes = set(COMMON_ERRORS)
    for service in SERVICES:
        model = service_model(service)
        if operation in model.operation_names:
            codes.update(shape.name for shape in model.operation_model(operation).error_shapes)
    return frozenset(codes)


class MockIotJobs(CommandsHandle):
    """Controls and inspects the state of one mock activation.

    Methods that read or seed state take ``account_id`` and ``region``
    keywords; they default to the account in ``MOCK_IOTJOBS_ACCOUNT_ID`` (or
    ``123456789012``) and to the activation's region (``default_region``).
    """

    def __init__(self, store: BackendStore, region: Optional[str] = None, account_id: Optional[str] = None) -> None:
        self._store = store
        self.default_region: str = region or DEFAULT_REGION
        self._account_id = account_id

    @property
    def default_account_id(self) -> str:
        """The account that clients without a 12-digit access key id talk to."""
        return self._account_id or default_account_id()

    def backend(self, account_id: Optional[str] = None, region: Optional[str] = None) -> Backend:
        """The backend of one account and region (created on first use).

        This is the mock's internal state, for the rare test that needs it;
        prefer the views, which do not change when the internals do.
        """
        return self._store.get(account_id or self.default_account_id, region or self.default_region)

    # --- time ---------------------------------------------------------------
    def now(self) -> float:
        """The mock's current time, as epoch seconds."""
        return self._store.clock.now()

    def advance_time(self, seconds: float = 0, minutes: float = 0, hours: float = 0) -> float:
        """Move the mock's clock forward and apply everything that falls due
        (timeouts, retries, rollout waves, scheduled starts), in every account
        and region.  Returns the new time as epoch seconds.

        ``ValueError`` (and nothing changes) for NaN, infinities, negative
        amounts and more than 100 years in one call."""
        parts = (check_advance(seconds, "seconds"), check_advance(minutes, "minutes"), check_advance(hours, "hours"))
        total = check_advance(parts[0] + 60 * parts[1] + 3600 * parts[2], "the total")
        now = self._store.clock.advance(total)
        for backend in self._store.all().values():
            with backend.lock:
                backend.apply_due()
        return now

    # --- what was published --------------------------------------------------
    def notifications(
        self, thing_name: str, *, account_id: Optional[str] = None, region: Optional[str] = None
    ) -> List[Notification]:
        """The MQTT messages a device subscribed to ``$aws/things/<thing>/jobs/notify``
        and ``notify-next`` would have received, oldest first.

        Each has ``topic``, ``payload`` (the JSON body as a dict) and
        ``timestamp`` (epoch seconds).
        """
        backend = self.backend(account_id, region)
        with backend.lock:
            backend.apply_due()
            return list(backend.notifications.by_thing.get(thing_name, ()))

    def events(self, *, account_id: Optional[str] = None, region: Optional[str] = None) -> List[Notification]:
        """The Jobs events published on ``$aws/events/job/...`` and
        ``$aws/events/jobExecution/...``, oldest first.

        As in AWS, an event is published only while its type (``"JOB"``,
        ``"JOB_EXECUTION"``) is enabled in the event configurations, and every
        type starts disabled: see :meth:`enable_events`."""
        backend = self.backend(account_id, region)
        with backend.lock:
            backend.apply_due()
            return list(backend.notifications.events)

    def enable_events(
        self, *event_types: str, account_id: Optional[str] = None, region: Optional[str] = None
    ) -> None:
        """Enable event types, as UpdateEventConfigurations would: ``enable_events("JOB",
        "JOB_EXECUTION")``, or ``enable_events()`` for every type of the model.

        Without ``account_id`` and ``region``, in every account and region of the
        activation, including those first used later; with either, in that one
        backend only.  ``ValueError`` for a name that is not an event type."""
        self._set_events(event_types, True, account_id, region)

    def disable_events(
        self, *event_types: str, account_id: Optional[str] = None, region: Optional[str] = None
    ) -> None:
        """The reverse of :meth:`enable_events` (no names: every type)."""
        self._set_events(event_types, False, account_id, region)

    def _set_events(
        self, event_types: Tuple[str, ...], enabled: bool, account_id: Optional[str], region: Optional[str]
    ) -> None:
        check_event_types(event_types)
        types = event_types or EVENT_TYPES
        if account_id is None and region is None:
            self._store.set_events_everywhere(types, enabled)
            return
        backend = self.backend(account_id, region)
        with backend.lock:
            backend.event_configurations.set(types, enabled, backend.now())

    # --- read-only views -------------------------------------------------------
    def jobs(self, *, account_id: Optional[str] = None, region: Optional[str] = None) -> List[JobView]:
        """Every job, in creation order."""
        backend = self.backend(account_id, region)
        with backend.lock:
            backend.apply_due()
            return [JobView.of(job) for job in sorted(backend.jobs.by_id.values(), key=lambda j: j.seq)]

    def job(self, job_id: str, *, account_id: Optional[str] = None, region: Optional[str] = None) -> JobView:
        """One job; ``KeyError`` if there is no such job."""
        backend = self.backend(account_id, region)
        with backend.lock:
            backend.apply_due()
            job = _job_or_key_error(backend, job_id)
            return JobView.of(job)

    def executions(
        self,
        job_id: str,
        *,
        history: bool = False,
        account_id: Optional[str] = None,
        region: Optional[str] = None,
    ) -> List[ExecutionView]:
        """The job's latest execution on each thing, in the order the things were
        targeted; with ``history=True``, every execution (retries included).
        ``KeyError`` if there is no such job."""
        backend = self.backend(account_id, region)
        with backend.lock:
            backend.apply_due()
            job = _job_or_key_error(backend, job_id)
            if history:
                return [ExecutionView.of(e) for runs in job.history.values() for e in runs]
            return [ExecutionView.of(e) for e in job.latest.values()]

    def things(self, *, account_id: Optional[str] = None, region: Optional[str] = None) -> List[ThingView]:
        """Every thing, in creation order, with its direct thing groups."""
        backend = self.backend(account_id, region)
        with backend.lock:
            backend.apply_due()
            return [
                ThingView.of(thing, tuple(group.name for _, group in backend.groups.direct_groups(thing.name)))
                for thing in backend.things.by_name.values()
            ]

    def shadow(
        self,
        thing_name: str,
        shadow_name: str = "",
        *,
        account_id: Optional[str] = None,
        region: Optional[str] = None,
    ) -> Optional[Dict[str, Any]]:
        """A copy of the shadow document GetThingShadow would answer (``state``,
        ``metadata``, ``version``, ``timestamp``), or None when there is none.
        ``shadow_name`` "" is the classic shadow."""
        backend = self.backend(account_id, region)
        with backend.lock:
            shadow = backend.shadows.live.get((thing_name, shadow_name))
            return shadow.document() if shadow is not None else None

    def messages(
        self,
        topic_filter: str = "#",
        *,
        account_id: Optional[str] = None,
        region: Optional[str] = None,
    ) -> List[Notification]:
        """The messages published on shadow topics and through ``iot-data`` Publish whose
        topic matches ``topic_filter`` (MQTT wildcards; the default ``#`` takes
        every message, ``$aws/...`` ones included), oldest first.  Jobs
        notifications and events have their own methods."""
        from .mqtt.topics import matches

        backend = self.backend(account_id, region)
        with backend.lock:
            return [
                m for m in backend.notifications.messages if topic_filter == "#" or matches(topic_filter, m.topic)
            ]

    def certificates(
        self, *, account_id: Optional[str] = None, region: Optional[str] = None
    ) -> List[CertificateView]:
        """Every device certificate, in creation order, with its attached things and policies."""
        backend = self.backend(account_id, region)
        with backend.lock:
            return [
                CertificateView.of(
                    cert,
                    tuple(a.thing for a in backend.principals.things_of(cert.arn)),
                    tuple(backend.policies.attached_to(cert.arn)),
                )
                for cert in sorted(backend.certificates.by_id.values(), key=lambda c: c.seq)
            ]

    def ca_certificate_pem(self, *, account_id: Optional[str] = None, region: Optional[str] = None) -> str:
        """The PEM of the mock CA that signs what CreateKeysAndCertificate and
        CreateCertificateFromCsr issue in that account and region (one CA each), for
        a test or a TLS peer to trust."""
        backend = self.backend(account_id, region)
        with backend.lock:
            return backend.certificates.mock_ca.pem

    # --- seeding -----------------------------------------------------------------
    def create_fleet(
        self,
        n: int,
        group: Optional[str] = None,
        prefix: str = "device",
        *,
        attributes: Optional[Dict[str, str]] = None,
        account_id: Optional[str] = None,
        region: Optional[str] = None,
    ) -> List[str]:
        """Create ``n`` things named ``<prefix>-0000``, ``<prefix>-0001``, ... and,
        if ``group`` is given, the thing group (if missing) with them as members.

        Returns the thing names.  Works on the backend directly, so thousands
        take well under a second; the effects are those of the API calls
        (CONTINUOUS jobs targeting the group get executions, devices are
        notified).  Existing identical things are kept, as CreateThing does.
        """
        if n < 0:
            raise ValueError("n must be zero or more")
        if attributes is not None and len(attributes) > MAX_ATTRIBUTES_WITHOUT_TYPE:
            raise ValueError(f"a thing without a thing type can have at most {MAX_ATTRIBUTES_WITHOUT_TYPE} attributes")
        names = [f"{prefix}-{i:04d}" for i in range(n)]
        for name in names[:1] + names[-1:] + ([group] if group is not None else []):
            if not _NAME.fullmatch(name):
                raise ValueError(f"{name!r} is not a valid thing or thing group name ([a-zA-Z0-9:_-], 1 to 128)")
        backend = self.backend(account_id, region)
        with backend.lock:
            backend.apply_due()
            for name in names:
                backend.things.create(name, attributes=attributes)
            if group is not None:
                backend.groups.create(group, None, None)
                for name in names:
                    backend.groups.update_membership(name, add=[group], remove=[])
        return names

    def set_connected(
        self,
        thing_name: str,
        connected: bool = True,
        *,
        disconnect_reason: Optional[str] = None,
        account_id: Optional[str] = None,
        region: Optional[str] = None,
    ) -> None:
        """Record a device connecting or disconnecting, as the MQTT listener does for
        real connections: fleet indexing's ``connectivity.*`` fields and the dynamic
        thing groups that query them follow at once.  In-process there is no MQTT
        connection, so this is how a test says a device is online."""
        backend = self.backend(account_id, region)
        with backend.lock:
            backend.apply_due()
            if thing_name not in backend.things.by_name:
                raise KeyError(f"no thing {thing_name!r} in {backend.account_id}/{backend.region}")
            reason = disconnect_reason or (None if connected else "CLIENT_INITIATED_DISCONNECT")
            backend.indexing.set_connectivity(thing_name, connected, reason, thing_name)

    # --- S3 objects for documentSource ---------------------------------------------
    def put_s3_object(self, bucket: str, key: str, body: "bytes | str") -> str:
        """Put an object where a job's ``documentSource`` can read it when moto's
        ``mock_aws`` is not active (with moto active, put it in moto's S3 instead:
        that is where the mock reads it then).  Returns the object's S3 URL
        (``https://s3.amazonaws.com/<bucket>/<key>``), a form CreateJob accepts."""
        if not bucket or not key:
            raise ValueError("bucket and key must not be empty")
        data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        self._store.s3_objects.put(bucket, key, data)
        return f"https://s3.amazonaws.com/{bucket}/{key}"

    # --- fault injection and reset -------------------------------------------------
    def fail_next(self, operation: str, error_code: str = "ThrottlingException", times: int = 1) -> None:
        """Make the next ``times`` calls of ``operation`` answer ``error_code``.

        ``operation`` is an API name (``"CreateJob"``) or a boto3 method name
        (``"create_job"``), of ``iot`` or ``iot-jobs-data``.  ``error_code`` is
        one of the operation's modeled errors or a common AWS error
        (``ThrottlingException``, ``ServiceUnavailableException``,
        ``InternalFailureException``, ``RequestLimitExceeded``, ...); anything
        else raises ``ValueError`` listing what is accepted.  The failed calls
        change nothing, and the error has the HTTP status the service's model
        gives that code, else AWS's (``ThrottlingException``: 400 on ``iot``,
        429 on ``iot-jobs-data``; ``ServiceUnavailableException``: 503), so
        botocore's retry logic sees what it would see from AWS.  Faults apply in
        every account and region.
        """
        if times < 1:
            raise ValueError("times must be at least 1")
        name = _operation_names().get(operation)
        if name is None:
            raise ValueError(f"{operation!r} is not an operation of iot or iot-jobs-data")
        accepted = injectable_errors(name)
        if error_code not in accepted:
            raise ValueError(
                f"{error_code!r} is not an error {name} can answer; accepted: {', '.join(sorted(accepted))}"
            )
        self._store.inject_fault(name, error_code, times)

    def reset(self) -> None:
        """Forget all state (every account and region) and pending faults.

        The clock keeps its time: advanced time is not taken back.
        """
        self._store.reset()


def _job_or_key_error(backend: Backend, job_id: str) -> Job:
    job = backend.jobs.by_id.get(job_id)
    if job is None:
        raise KeyError(f"no job {job_id!r} in {backend.account_id}/{backend.region}")
    return job

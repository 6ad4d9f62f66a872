"""State of one mock activation: one backend per (account, region), one clock."""

from __future__ import annotations

import itertools
import os
import threading
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

from ..protocol.errors import ServiceError
from ..protocol.wire import MAX_BODY_BYTES
from .clock import Clock
from .commands.commands import Commands
from .commands.executions import CommandExecutions
from .events.configurations import EventConfigurations
from .events.notifications import NotificationLog
from .jobs.executions import Executions
from .jobs.jobs import Jobs
from .jobs.s3 import S3Objects
from .jobs.templates import JobTemplates
from .registry.billing_groups import BillingGroups
from .registry.groups import ThingGroups
from .registry.indexing import FleetIndex
from .registry.thing_types import ThingTypes
from .registry.things import ThingRegistry
from .rules.topic_rules import TopicRules
from .scheduler import Scheduler
from .security.ca_certificates import CACertificates
from .security.certificates import Certificates
from .security.domain_configurations import DomainConfigurations
from .security.policies import Policies
from .security.principals import ThingPrincipals
from .security.role_aliases import RoleAliases
from .shadows.connections import Connections
from .shadows.messages import RetainedMessages
from .shadows.store import ShadowStore
from .tags import TagStore

DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"


def default_account_id() -> str:
    return os.environ.get("MOCK_IOTJOBS_ACCOUNT_ID", DEFAULT_ACCOUNT_ID)


class Backend:
    """Everything IoT Jobs knows about in one account and region.

    Handlers hold ``lock`` for the whole request, so each request is atomic
    and a refused call (which raises before mutating) changes nothing.
    """

    def __init__(self, account_id: str, region: str, clock: Clock, s3_objects: Optional[S3Objects] = None) -> None:
        self.account_id = account_id
        self.region = region
        self.clock = clock
        self.lock = threading.RLock()
        self._seq = itertools.count(1)
        self.scheduler = Scheduler()
        self.things = ThingRegistry(self)
        self.groups = ThingGroups(self)
        self.indexing = FleetIndex(self)
        self.tags = TagStore()
        self.templates = JobTemplates(self)
        # Jobs events are recorded only for the event types enabled here (all start disabled).
        self.event_configurations = EventConfigurations(clock.now())
        self.notifications = NotificationLog(self.event_configurations.is_enabled)
        self.executions = Executions(self, self.notifications)
        self.jobs = Jobs(self, self.executions, self.notifications)
        self.certificates = Certificates(self)
        self.policies = Policies(self)
        self.thing_types = ThingTypes(self)
        self.billing_groups = BillingGroups(self)
        self.shadows = ShadowStore(self)
        self.retained = RetainedMessages()
        # MQTT clients, as the listener reports them (iot-data's connection APIs).
        self.connections = Connections()
        self.ca_certificates = CACertificates(self)
        self.principals = ThingPrincipals(self)
        self.commands = Commands(self)
        self.command_executions = CommandExecutions(self)
        # Objects documentSource may name when moto is not active (shared by the store).
        self.s3_objects = s3_objects if s3_objects is not None else S3Objects()
        self.role_aliases = RoleAliases(self)
        self.domain_configurations = DomainConfigurations(self)
        self.topic_rules = TopicRules(self)
        # Bumped by every change that can alter an IoT policy decision (policies, their
        # attachments, thing principals, things and their groups): MQTT caches by it.
        self.auth_epoch = 0

    def next_seq(self) -> int:
        return next(self._seq)

    def delete_thing(self, name: str, expected_version: Optional[int] = None) -> None:
        """Delete a thing; its unfinished job executions are removed with it.
        Refused while principals are attached to it, as AWS does."""
        self.principals.check_thing_deletable(name)
        thing = self.things.delete(name, expected_version)
        self.auth_epoch += 1
        if thing is not None:
            self.indexing.thing_removed(name)
            self.groups.forget_thing(name)
            self.billing_groups.forget_thing(thing)
            self.tags.drop(thing.arn)
            self.jobs.on_thing_deleted(name)

    def on_group_membership(self, group_name: str, thing_name: str, added: bool) -> None:
        """Called by thing groups for each group whose reach a thing joined or left:
        CONTINUOUS jobs follow their groups' members.  (The registry then calls
        ``on_thing_changed`` once for the thing.)"""
        self.jobs.on_group_membership(group_name, thing_name, added)

    def on_shadow_changed(self, thing_name: str) -> None:
        """Called by the shadow store: fleet indexing's shadow fields follow."""
        self.indexing.thing_changed(thing_name)

    def on_thing_changed(self, thing_name: str) -> None:
        """Called by the registry when a thing is created or updated: fleet indexing follows."""
        self.auth_epoch += 1
        self.indexing.thing_changed(thing_name)

    def snapshot(self) -> Dict[str, Any]:
        """All state as plain JSON-ready data (see snapshot.py)."""
        from .snapshot import snapshot

        return snapshot(self)

    def now(self) -> float:
        return self.clock.now()

    def apply_due(self) -> None:
        """Apply everything the clock has made due (timeouts, rollouts, schedules)."""
        if self.scheduler.next_due() <= self.clock.now():
            self.scheduler.run_due(self.clock.now())


class BackendStore:
    """Backends keyed by (account, region), created on first use."""

    def __init__(self) -> None:
        self.clock = Clock()
        self._backends: Dict[Tuple[str, str], Backend] = {}
        self._lock = threading.Lock()
        self._faults: Dict[str, List[str]] = {}
        self.s3_objects = S3Objects()
        # Answer at before-call (see fastpath.py) rather than at before-send.
        self.fast_path = True
        # Event types the test handle enabled in every account and region (new backends too).
        self._events_everywhere: Set[str] = set()
        # Server mode's --account / --region: whom unsigned (or non-12-digit-key) calls reach.
        self.default_account_id: Optional[str] = None
        self.default_region: Optional[str] = None
        # The largest request body served (server mode's --max-body-bytes).
        self.max_body_bytes = MAX_BODY_BYTES

    def has_fault(self, operation: str) -> bool:
        return bool(self._faults) and operation in self._faults

    def inject_fault(self, operation: str, error_code: str, times: int = 1) -> None:
        """Make the next ``times`` calls of ``operation`` answer ``error_code``."""
        with self._lock:
            self._faults.setdefault(operation, []).extend([error_code] * times)

    def raise_injected_fault(self, operation: str) -> None:
        if not self._faults:
            return
        with self._lock:
            pending = self._faults.get(operation)
            if not pending:
                return
            code = pending.pop(0)
            if not pending:
                del self._faults[operation]
        raise ServiceError(code, f"Injected {code} for {operation}")

    def get(self, account_id: str, region: str) -> Backend:
        key = (account_id, region)
        backend = self._backends.get(key)
        if backend is None:
            with self._lock:
                backend = self._backends.get(key)
                if backend is None:
                    backend = Backend(account_id, region, self.clock, self.s3_objects)
                    if self._events_everywhere:
                        backend.event_configurations.set(self._events_everywhere, True, self.clock.now())
                    self._backends[key] = backend
        return backend

    def set_events_everywhere(self, event_types: Iterable[str], enabled: bool) -> None:
        """Enable (or disable) event types in every backend, present and future."""
        types = set(event_types)
        with self._lock:
            if enabled:
                self._events_everywhere |= types
            else:
                self._events_everywhere -= types
            backends = list(self._backends.values())
        for backend in backends:
            with backend.lock:
                backend.event_configurations.set(types, enabled, backend.now())

    def all(self) -> Dict[Tuple[str, str], Backend]:
        return dict(self._backends)

    def reset(self) -> None:
        with self._lock:
            self._backends.clear()
            self._faults.clear()
            self._events_everywhere.clear()
        self.s3_objects.clear()

    def __getstate__(self) -> Dict[str, Any]:
        # Saved state (server mode's --state-dir): a method replaced on the instance (the MQTT
        # listener wraps ``get``) is live wiring, not state.
        return {k: v for k, v in self.__dict__.items() if not callable(getattr(type(self), k, None))}

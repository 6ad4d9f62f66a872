"""A simulated fleet for running the rollout against mock_iotjobs.

Each simulated device runs the real :class:`~fleet_ota.agent.DeviceAgent`
against the mock's ``iot-jobs-data`` endpoint.  The mock's handle stands in
for the MQTT broker: a device wakes when a ``notify-next`` message announcing
a job reaches it (``handle.notifications``).  Devices take their time, on the
mock's clock: a wake-up jitter before claiming the job, then some minutes
before the update finishes.  Profiles make some devices fail, refuse or die.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional

from .agent import OFFLINE, UNREACHABLE, ActiveJob, AgentResult, DeviceAgent, DeviceOffline, UpdateFailed, Updater

if TYPE_CHECKING:
    from mock_iotjobs import MockIotJobs


@dataclass(frozen=True)
class DeviceProfile:
    """How one simulated device behaves."""

    fail: Optional[str] = None  # the update fails at install with this reason
    reject: Optional[str] = None  # the device refuses the update with this reason
    hang: bool = False  # the device dies mid-download (its job times out)
    wake_delay_minutes: int = 0
    update_minutes: int = 1


class SimulatedUpdater(Updater):
    def __init__(self, profile: DeviceProfile) -> None:
        self.profile = profile

    def precheck(self, firmware: Dict[str, Any]) -> Optional[str]:
        return self.profile.reject

    def download(self, firmware: Dict[str, Any], report: Callable[[int], None]) -> None:
        report(50)
        if self.profile.hang:
            raise DeviceOffline()
        report(100)

    def install(self, firmware: Dict[str, Any]) -> None:
        if self.profile.fail:
            raise UpdateFailed(self.profile.fail, "installing")


@dataclass
class _Device:
    agent: DeviceAgent
    profile: DeviceProfile
    seen: int = 0
    wake_at: Optional[float] = None
    active: Optional[ActiveJob] = None
    finish_at: float = 0.0
    offline: bool = False


@dataclass
class SimulatedFleet:
    """Devices ``names`` (things that exist in the mock), each with its profile
    (default: a healthy, prompt device)."""

    mock: "MockIotJobs"
    jobs_data: Any
    names: List[str]
    profiles: Dict[str, DeviceProfile] = field(default_factory=dict)
    results: List[AgentResult] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._devices: Dict[str, _Device] = {}
        for name in self.names:
            profile = self.profiles.get(name, DeviceProfile())
            agent = DeviceAgent(name, self.jobs_data, SimulatedUpdater(profile))
            self._devices[name] = _Device(agent, profile)

    def step(self) -> List[AgentResult]:
        """Let every device do what is due at the mock's current time."""
        now = self.mock.now()
        done: List[AgentResult] = []
        for name, device in self._devices.items():
            if device.offline:
                continue
            messages = self.mock.notifications(name)
            fresh, device.seen = messages[device.seen :], len(messages)
            woken = any(m.topic.endswith("/notify-next") and "execution" in m.payload for m in fresh)
            if woken and device.wake_at is None and device.active is None:
                device.wake_at = now + 60 * device.profile.wake_delay_minutes
            if device.active is not None and now >= device.finish_at:
                result = device.agent.complete(device.active)
                device.active = None
                device.offline = result.outcome == OFFLINE
                done.append(result)
            elif device.active is None and device.wake_at is not None and now >= device.wake_at:
                device.wake_at = None
                begun = device.agent.begin()
                if isinstance(begun, ActiveJob):
                    device.active = begun
                    device.finish_at = now + 60 * device.profile.update_minutes
                else:
                    if begun.outcome == UNREACHABLE:
                        device.wake_at = now  # try again at the next step
                    done.append(begun)
        self.results.extend(done)
        return done


def demo_profiles(names: List[str], bad_firmware: bool = False, seed: int = 7) -> Dict[str, DeviceProfile]:
    """A plausible fleet: most devices fine, a few failing, refusing or dying.

    With ``bad_firmware`` a third of the devices boot-loop after installing,
    which trips the rollout's abort criteria.
    """
    rng = random.Random(seed)
    profiles: Dict[str, DeviceProfile] = {}
    trouble = {13: "fail", 27: "fail", 41: "fail", 19: "reject", 36: "reject", 8: "hang"}
    for index, name in enumerate(names):
        timing = DeviceProfile(wake_delay_minutes=rng.choice([0, 0, 1, 1, 2]), update_minutes=rng.choice([1, 2, 3]))
        kind = trouble.get(index)
        if bad_firmware and index >= 3 and index % 3 == 0:
            kind = "bootloop"
        if kind == "fail":
            timing = replace(timing, fail="checksum mismatch after download")
        elif kind == "bootloop":
            timing = replace(timing, fail="boot loop after install, rolled back")
        elif kind == "reject":
            timing = replace(timing, reject="battery below 20%")
        elif kind == "hang":
            timing = replace(timing, hang=True)
        profiles[name] = timing
    return profiles

"""Demo: a firmware rollout to a simulated fleet, against mock_iotjobs.

    python examples/demo.py                 # 50 thermostats, a few of them failing
    python examples/demo.py --bad-firmware  # a third fail: the abort criteria cancel the job
    python examples/demo.py --devices 200 --pace 0

The rollout service (examples/fleet_ota/rollout.py) and the device agents
(examples/fleet_ota/agent.py) are ordinary boto3 code.  The mock serves
them in memory; its clock is moved a minute at a time, which releases the
rollout's waves, lets devices work and fires timeouts.  Nothing is sent to AWS.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import List, Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
try:
    import mock_iotjobs  # noqa: F401
except ImportError:  # run from a source checkout without installing the package
    sys.path.insert(0, str(HERE.parent))

import boto3  # noqa: E402
from fleet_ota.rollout import FirmwareRelease, Progress, RolloutPolicy, RolloutService  # noqa: E402
from fleet_ota.simulator import SimulatedFleet, demo_profiles  # noqa: E402

from mock_iotjobs import mock_iotjobs  # noqa: E402

REGION = "eu-west-1"
GROUP = "thermostats-eu"
BAR = 40


def progress_line(progress: Progress, previous: int) -> str:
    counts = progress.counts
    new = progress.notified - previous
    wave = f"+{new:<3} notified" if new else " " * 13
    filled = BAR * counts["SUCCEEDED"] // max(progress.targeted, 1)
    failed = BAR * (counts["FAILED"] + counts["REJECTED"] + counts["TIMED_OUT"]) // max(progress.targeted, 1)
    running = BAR * (counts["IN_PROGRESS"] + counts["QUEUED"]) // max(progress.targeted, 1)
    bar = ("#" * filled + "x" * failed + "." * running).ljust(BAR)[:BAR]
    return (
        f"t+{int(progress.elapsed_seconds // 60):>2}m  {wave}  [{bar}] "
        f"{progress.notified:>3}/{progress.targeted} notified  "
        f"queued {counts['QUEUED']:>2}  running {counts['IN_PROGRESS']:>2}  ok {counts['SUCCEEDED']:>3}  "
        f"failed {counts['FAILED']:>2}  rejected {counts['REJECTED']:>2}  timed out {counts['TIMED_OUT']:>2}  "
        f"[{progress.status}]"
    )


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--bad-firmware", action="store_true", help="a third of the devices fail: watch the abort")
    parser.add_argument("--pace", type=float, default=0.15, help="real seconds per simulated minute (default 0.15)")
    args = parser.parse_args(argv)

    with mock_iotjobs(region=REGION) as mock:
        names = mock.create_fleet(args.devices, group=GROUP, prefix="thermostat")
        fleet = SimulatedFleet(
            mock, boto3.client("iot-jobs-data", region_name=REGION), names, demo_profiles(names, args.bad_firmware)
        )

        def sleep(seconds: float) -> None:
            # One simulated minute: rollout waves are released, devices work, timers fire.
            time.sleep(args.pace)
            mock.advance_time(seconds=seconds)
            fleet.step()

        service = RolloutService(boto3.client("iot", region_name=REGION), sleep=sleep)
        release = FirmwareRelease(
            version="2.4.1",
            url="https://firmware.example.com/thermostat/2.4.1.bin",
            sha256="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            size_bytes=1_843_200,
        )
        policy = RolloutPolicy()
        job_id = "thermostat-fw-2-4-1"
        targeted = service.start(job_id, GROUP, release, policy)
        print(
            f"Rolling out firmware {release.version} to {targeted} devices in {GROUP} ({REGION}): "
            f"{policy.base_rate_per_minute}/min at first, x{policy.increment_factor:g} every "
            f"{policy.increase_after_notified} notified, at most {policy.maximum_per_minute}/min; abort when "
            f">= {policy.abort_failure_percentage:g}% of at least {policy.abort_min_executed} finished devices fail.\n"
        )
        seen = [0]

        def show(progress: Progress) -> None:
            print(progress_line(progress, seen[0]), flush=True)
            seen[0] = progress.notified

        history = service.monitor(job_id, targeted, on_progress=show, max_polls=240)
        report = service.report(job_id, history)
        print()
        print(report.render())
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmarks of the MQTT listener (issue 14): fan-out, round trip, CreateJob cost, subscription
index, slow-consumer memory.

    python benchmarks/bench_mqtt.py [--quick] [--things 50000] [--repeat 2] [--json out.json]

Everything runs in this process: the mock, the listener (its own event-loop thread)
and the devices (raw MQTT 3.1.1 clients on another event-loop thread, so a thousand
of them cost no thousand threads).  Wall-clock times (the work spans three threads);
read the ratios, not the absolute figures, on a busy machine.  See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import boto3  # noqa: E402

from mock_iotjobs import MockIotJobs, mock_iotjobs  # noqa: E402
from mock_iotjobs.mqtt import MqttLimits, mqtt_listener  # noqa: E402
from mock_iotjobs.mqtt.codec import varint  # noqa: E402

KIB = 1024
MIB = 1024 * KIB


# --- raw MQTT 3.1.1 packets -------------------------------------------------------------------------
def _packet(first: int, body: bytes) -> bytes:
    return bytes([first]) + varint(len(body)) + body


def _string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("!H", len(raw)) + raw


def connect(client_id: str) -> bytes:
    return _packet(0x10, _string("MQTT") + bytes([4, 0x02]) + struct.pack("!H", 0) + _string(client_id))


def subscribe(packet_id: int, filters: List[str], qos: int = 1) -> bytes:
    return _packet(0x82, struct.pack("!H", packet_id) + b"".join(_string(f) + bytes([qos]) for f in filters))


def publish(topic: str, payload: bytes) -> bytes:
    return _packet(0x30, _string(topic) + payload)


async def _read(reader: asyncio.StreamReader) -> "tuple[int, bytes]":
    first = (await reader.readexactly(1))[0]
    length, shift = 0, 0
    while True:
        byte = (await reader.readexactly(1))[0]
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return first, await reader.readexactly(length)


def _read_sync(sock: socket.socket) -> "tuple[int, bytes]":
    def exactly(n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    first = exactly(1)[0]
    length, shift = 0, 0
    while True:
        byte = exactly(1)[0]
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return first, exactly(length)


class Fleet:
    """``len(names)`` devices on their own event loop, each subscribed to ``filters(name)``;
    counts the PUBLISH packets they receive (and acknowledges QoS 1 ones)."""

    def __init__(self, port: int, names: List[str], filters: Callable[[str], List[str]]) -> None:
        self.port, self.names, self.filters = port, names, filters
        self.received = 0
        self._target = 0
        self._reached = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._writers: List[asyncio.StreamWriter] = []

    def __enter__(self) -> "Fleet":
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._connect_all(), self._loop).result(120)
        return self

    def __exit__(self, *exc: Any) -> None:
        async def close() -> None:
            for writer in self._writers:
                writer.close()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def expect(self, count: int) -> None:
        """Arm :meth:`wait`: it returns once ``count`` more messages arrived."""
        self._reached.clear()
        self._target = self.received + count

    def wait(self, timeout: float = 300) -> None:
        if not self._reached.wait(timeout):
            raise TimeoutError(f"only {self.received} of {self._target} messages arrived")

    async def _connect_all(self) -> None:
        limit = asyncio.Semaphore(100)

        async def one(name: str) -> None:
            async with limit:
                reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.write(connect(name))
                assert (await _read(reader))[0] == 0x20
                writer.write(subscribe(1, self.filters(name)))
                assert (await _read(reader))[0] == 0x90
                self._writers.append(writer)
                self._loop.create_task(self._receive(reader, writer))

        await asyncio.gather(*(one(name) for name in self.names))

    async def _receive(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                first, body = await _read(reader)
                if first >> 4 != 3:
                    continue
                if first & 0x06:  # QoS 1: PUBACK
                    topic_length = struct.unpack("!H", body[:2])[0]
                    writer.write(_packet(0x40, body[2 + topic_length : 4 + topic_length]))
                self.received += 1
                if self._target and self.received >= self._target:
                    self._reached.set()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass


_SESSION: Optional[Any] = None


def _iot(m: MockIotJobs) -> Any:
    global _SESSION
    if _SESSION is None:
        _SESSION = boto3.session.Session()  # one session: the models load once
    return _SESSION.client(
        "iot", region_name=m.default_region, aws_access_key_id="AKIABENCH", aws_secret_access_key="secret"
    )


# --- the benchmarks -----------------------------------------------------------------------------------
def bench_fan_out(devices: int) -> Dict[str, float]:
    """CreateJob on a group of ``devices`` things, each subscribed to its notify-next:
    until every device has its message."""
    with mock_iotjobs() as m, mqtt_listener(m) as listener:
        names = m.create_fleet(devices, group="fan")
        iot = _iot(m)
        group_arn = iot.describe_thing_group(thingGroupName="fan")["thingGroupArn"]
        with Fleet(listener.port, names, lambda n: [f"$aws/things/{n}/jobs/notify-next"]) as fleet:
            fleet.expect(devices)
            gc.collect()
            started, cpu = time.perf_counter(), time.process_time()
            iot.create_job(jobId="fan-job", targets=[group_arn], document="{}")
            create = time.perf_counter() - started
            fleet.wait()
            total, total_cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "devices": devices,
        "create_job_ms": create * 1e3,
        "all_delivered_ms": total * 1e3,
        "all_delivered_cpu_ms": total_cpu * 1e3,
    }


def bench_round_trip(count: int) -> Dict[str, float]:
    """A device publishes start-next (QoS 0) and waits for its /accepted, ``count`` times."""
    with mock_iotjobs() as m, mqtt_listener(m) as listener:
        iot = _iot(m)
        arn = iot.create_thing(thingName="rt")["thingArn"]
        iot.create_job(jobId="rt-job", targets=[arn], document="{}")
        sock = socket.create_connection(("127.0.0.1", listener.port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(connect("rt"))
        _read_sync(sock)
        request = publish("$aws/things/rt/jobs/start-next", b'{"clientToken":"t"}')
        times = []
        for _ in range(count):
            started = time.perf_counter()
            sock.sendall(request)
            first, body = _read_sync(sock)
            times.append(time.perf_counter() - started)
            assert b"start-next/accepted" in body, body[:80]
        sock.close()
    times.sort()
    return {
        "count": count,
        "median_us": statistics.median(times) * 1e6,
        "p90_us": times[int(len(times) * 0.9)] * 1e6,
    }


def bench_create_job_with_listener(things: int, subscribed: int) -> Dict[str, float]:
    """CreateJob on a ``things``-thing group: without a listener, with one and nobody
    subscribed, with ``subscribed`` devices subscribed to notify and notify-next (timed
    until every one of them has both messages).  Process CPU time (every thread: the
    engine's, the listener's, the devices'), since wall time on a loaded machine
    measures the scheduler; wall time is reported too."""

    def create_job(m: MockIotJobs, fleet: Optional[Fleet] = None, expected: int = 0) -> "tuple[float, float]":
        iot = _iot(m)
        group_arn = iot.describe_thing_group(thingGroupName="big")["thingGroupArn"]
        gc.collect()
        if fleet is not None:
            fleet.expect(expected)
        wall, cpu = time.perf_counter(), time.process_time()
        iot.create_job(jobId="big-job", targets=[group_arn], document="{}")
        if fleet is not None:
            fleet.wait()
        return time.process_time() - cpu, time.perf_counter() - wall

    result: Dict[str, float] = {"things": things, "subscribed": subscribed}
    with mock_iotjobs() as m:
        m.create_fleet(things, group="big")
        result["no_listener_cpu_s"], result["no_listener_wall_s"] = create_job(m)
    with mock_iotjobs() as m, mqtt_listener(m):
        m.create_fleet(things, group="big")
        result["nobody_subscribed_cpu_s"], result["nobody_subscribed_wall_s"] = create_job(m)
    with mock_iotjobs() as m, mqtt_listener(m) as listener:
        names = m.create_fleet(things, group="big")[:subscribed]

        def filters(name: str) -> List[str]:
            return [f"$aws/things/{name}/jobs/notify", f"$aws/things/{name}/jobs/notify-next"]

        with Fleet(listener.port, names, filters) as fleet:
            result["subscribed_cpu_s"], result["subscribed_wall_s"] = create_job(m, fleet, 2 * subscribed)
    result["ratio_cpu"] = result["subscribed_cpu_s"] / result["no_listener_cpu_s"]
    result["ratio_wall"] = result["subscribed_wall_s"] / result["no_listener_wall_s"]
    return result


def bench_many_subscriptions(subscriptions: int, publishes: int) -> Dict[str, float]:
    """One client holds ``subscriptions`` filters; another publishes ``publishes`` messages
    matching one of them: until all arrived, against the same with a single filter (best of 3)."""

    def run(filter_count: int) -> float:
        limits = MqttLimits(max_subscriptions=filter_count, max_filters_per_subscribe=1000)
        with mock_iotjobs() as m, mqtt_listener(m, limits=limits) as listener:
            filters = [f"s/{n}/+" for n in range(filter_count)]
            sub = socket.create_connection(("127.0.0.1", listener.port))
            sub.sendall(connect("hoarder"))
            _read_sync(sub)
            for start in range(0, filter_count, 1000):
                sub.sendall(subscribe(1 + start // 1000, filters[start : start + 1000], qos=0))
                _read_sync(sub)
            pub = socket.create_connection(("127.0.0.1", listener.port))
            pub.sendall(connect("publisher"))
            _read_sync(pub)
            message = publish("s/0/x", b"m")  # matches the first filter
            started = time.perf_counter()
            for _ in range(publishes):
                pub.sendall(message)
            for _ in range(publishes):
                _read_sync(sub)
            elapsed = time.perf_counter() - started
            sub.close()
            pub.close()
        return elapsed

    # Best of 3 each, alternating: single runs of ~0.1 s swing 2x on a shared machine.
    runs = [(run(subscriptions), run(1)) for _ in range(3)]
    with_many, with_one = min(r[0] for r in runs), min(r[1] for r in runs)
    return {
        "subscriptions": subscriptions,
        "publishes": publishes,
        "many_s": with_many,
        "one_s": with_one,
        "ratio": with_many / with_one,
    }


def _rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * KIB
    return 0


def bench_slow_consumer(megabytes: int) -> Dict[str, Any]:
    """A subscriber that never reads while ``megabytes`` MB of QoS 0 messages are published
    to it: what the server process grows by, and what it holds for that client."""
    with mock_iotjobs() as m, mqtt_listener(m) as listener:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", listener.port))
        sock.sendall(connect("sleeper"))
        _read_sync(sock)
        sock.sendall(subscribe(1, ["flood/#"], qos=0))
        _read_sync(sock)
        payload = b"x" * KIB
        before = _rss()
        peak = before
        for _ in range(megabytes):
            for _ in range(1024):
                listener.publish("flood/data", payload)
            listener.client_stats()  # a barrier: the loop caught up
            peak = max(peak, _rss())
        stats = listener.client_stats()["sleeper"]
        result: Dict[str, Any] = {
            "published_mb": megabytes,
            "bound_mb": listener.limits.max_queued_bytes / MIB,
            "held_for_client_mb": stats["queued_bytes"] / MIB,
            "dropped_messages": stats["dropped"],
            "rss_growth_mb": (peak - before) / MIB,
        }
        sock.close()
    return result


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: Optional[List[str]] = None) -> Dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run, seconds)")
    parser.add_argument("--things", type=int, help="fleet of the CreateJob benchmark (default 50000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the CreateJob benchmark (medians reported)")
    parser.add_argument("--json", dest="json_out")
    args = parser.parse_args(argv)
    quick = args.quick
    things = args.things or (2000 if quick else 50_000)
    results: Dict[str, Any] = {"commit": _commit(), "quick": quick}
    bench_fan_out(10)  # warm-up: the first CreateJob of a process pays for lazy imports
    results["fan_out"] = bench_fan_out(50 if quick else 1000)
    results["round_trip"] = bench_round_trip(50 if quick else 1000)
    bench_create_job_with_listener(200, 2)  # warm-up: the first CreateJob of a process pays for imports
    runs = [bench_create_job_with_listener(things, 10 if quick else 100) for _ in range(max(1, args.repeat))]
    results["create_job"] = {
        key: statistics.median(run[key] for run in runs) for key in runs[0]
    }  # the median run of each figure
    results["many_subscriptions"] = bench_many_subscriptions(2000 if quick else 50_000, 200 if quick else 2000)
    results["slow_consumer"] = bench_slow_consumer(8 if quick else 200)
    print(_report(results))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2))
    return results


def _report(r: Dict[str, Any]) -> str:
    fan, rt, cj, many, slow = (
        r["fan_out"],
        r["round_trip"],
        r["create_job"],
        r["many_subscriptions"],
        r["slow_consumer"],
    )
    return "\n".join(
        [
            f"## MQTT listener (commit {r['commit']}{', --quick' if r['quick'] else ''})",
            "",
            "| benchmark | figure |",
            "|---|---|",
            f"| notify-next fan-out to {fan['devices']} subscribed devices | CreateJob {fan['create_job_ms']:.0f} ms,"
            f" all delivered {fan['all_delivered_ms']:.0f} ms (CPU {fan['all_delivered_cpu_ms']:.0f} ms) |",
            f"| start-next round trip (QoS 0, {rt['count']} times) | median {rt['median_us']:.0f} µs,"
            f" p90 {rt['p90_us']:.0f} µs |",
            f"| CreateJob, {cj['things']}-thing group, no listener | CPU {cj['no_listener_cpu_s']:.2f} s"
            f" (wall {cj['no_listener_wall_s']:.2f} s) |",
            f"| same, listener, nobody subscribed | CPU {cj['nobody_subscribed_cpu_s']:.2f} s"
            f" (wall {cj['nobody_subscribed_wall_s']:.2f} s) |",
            f"| same, listener, {cj['subscribed']} devices subscribed, until all delivered |"
            f" CPU {cj['subscribed_cpu_s']:.2f} s (wall {cj['subscribed_wall_s']:.2f} s);"
            f" ratio to no listener: CPU {cj['ratio_cpu']:.2f}, wall {cj['ratio_wall']:.2f} |",
            f"| {many['publishes']} publishes, subscriber with {many['subscriptions']} filters vs 1 |"
            f" {many['many_s']:.2f} s vs {many['one_s']:.2f} s (ratio {many['ratio']:.2f}) |",
            f"| slow consumer, {slow['published_mb']} MB of QoS 0 never read | holds {slow['held_for_client_mb']:.1f}"
            f" MB (bound {slow['bound_mb']:.0f} MB), process grew {slow['rss_growth_mb']:.1f} MB,"
            f" {slow['dropped_messages']} dropped |",
        ]
    )


if __name__ == "__main__":
    main()

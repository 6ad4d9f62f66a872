"""Server mode per call, side by side: this tree vs an earlier commit vs other emulators.

    python benchmarks/bench_server.py [--sizes 100,2000] [--before COMMIT]
                                      [--ministack PATH/TO/ministack] [--moto] [--state-dir]

Each server runs in its own process on loopback; one boto3 client per service
(retries off, keep-alive as boto3 does by default) in this process times each
call with ``perf_counter`` (wall time: the server is another process).  Per
fleet size N: create N things, add each to a group, CreateJob on the group,
then per device StartNextPendingJobExecution and UpdateJobExecution(SUCCEEDED),
and DescribeJob 50 times.  Reports the median per call, the ratios to every
other server and the flatness N_max / N_min.

``--before COMMIT`` runs ``git archive COMMIT`` of this repository with the
same interpreter (the transport before issue 14 is werkzeug's development
server).  ``--ministack`` starts the ministack emulator (``pip install
ministack`` in another virtualenv: it pins an older botocore).  ``--moto`` runs
``moto.server`` (needs ``moto[server]``); moto has no iot-jobs-data, so its
device calls are "n/a".
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

REPO = Path(__file__).resolve().parents[1]
CALLS = ("create_thing", "add_thing_to_group", "start_next", "update_job_execution", "describe_job")
CONFIG = Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=60)


@dataclass
class Server:
    name: str
    command: List[str]
    env: Dict[str, str]
    port: int
    cwd: Optional[str] = None
    process: Optional["subprocess.Popen[bytes]"] = None
    timings: Dict[int, Dict[str, List[float]]] = field(default_factory=dict)
    failure: Optional[str] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.command, env=self.env, cwd=self.cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.process.stderr.read().decode()[-500:]}")  # type: ignore
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not listen on {self.port} within 60 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ours(name: str, root: Path, extra: List[str]) -> Server:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(root), PYTHONDONTWRITEBYTECODE="1")
    command = [sys.executable, "-m", "mock_iotjobs", "serve", "--port", str(port), *extra]
    return Server(name, command, env, port, cwd=str(root))


def clients(server: Server, account: str) -> Dict[str, Any]:
    session = boto3.session.Session()
    common = dict(
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id=account,
        aws_secret_access_key="secret",
        config=CONFIG,
    )
    return {"iot": session.client("iot", **common), "data": session.client("iot-jobs-data", **common)}


def timed(bucket: List[float], call: Callable[..., Any], **params: Any) -> Any:
    started = time.perf_counter()
    result = call(**params)
    bucket.append(time.perf_counter() - started)
    return result


def scenario(servers: List[Server], size: int, round_index: int) -> None:
    """The scenario on every server in lockstep: each step is run on each server in turn,
    so a burst of load on this shared machine hits them all alike."""
    # A fresh account per (size, round): no reset endpoint is needed, state never carries over.
    account = f"{100000000000 + size * 10 + round_index}"
    runs = []
    for server in servers:
        c = clients(server, account)
        c["iot"].list_things(maxResults=1)  # warm the connection and the models
        times = server.timings.setdefault(size, {name: [] for name in CALLS})
        runs.append((server, c["iot"], c["data"], times))
    prefix = f"b{round_index}"
    names = [f"{prefix}-{i:05d}" for i in range(size)]
    group, job_id = f"{prefix}-group", f"{prefix}-job"
    for name in names:
        for _, iot, _, times in runs:
            timed(times["create_thing"], iot.create_thing, thingName=name)
    arns = [iot.create_thing_group(thingGroupName=group)["thingGroupArn"] for _, iot, _, _ in runs]
    for name in names:
        for _, iot, _, times in runs:
            timed(times["add_thing_to_group"], iot.add_thing_to_thing_group, thingGroupName=group, thingName=name)
    for (_, iot, _, _), arn in zip(runs, arns):
        iot.create_job(jobId=job_id, targets=[arn], document='{"op": "bench"}')
    device = {server.name: True for server in servers}
    for name in names:
        for server, _, data, times in runs:
            if not device[server.name]:
                continue
            try:
                started = timed(times["start_next"], data.start_next_pending_job_execution, thingName=name)
                if "execution" in started:
                    update = data.update_job_execution
                    timed(times["update_job_execution"], update, thingName=name, jobId=job_id, status="SUCCEEDED")
            except ClientError as error:  # an emulator without the device plane
                server.failure = f"device plane unavailable ({error.response['Error']['Code']})"
                device[server.name] = False
                times["start_next"].clear()
                times["update_job_execution"].clear()
    for _ in range(50):
        for _, iot, _, times in runs:
            timed(times["describe_job"], iot.describe_job, jobId=job_id)


def median_ms(values: List[float]) -> Optional[float]:
    return statistics.median(values) * 1000 if values else None


def report(servers: List[Server], sizes: List[int], commit: str, before: Optional[str]) -> str:
    lines = [
        f"Server mode per call, median ms (wall clock, boto3 over loopback); measured at {commit}"
        + (f", before = {before}" if before else ""),
        "",
    ]
    head = "| call | N | " + " | ".join(s.name for s in servers) + " |"
    lines += [head, "|" + "---|" * (len(servers) + 2)]
    for call in CALLS:
        for size in sizes:
            cells = []
            for server in servers:
                value = median_ms(server.timings.get(size, {}).get(call, []))
                cells.append(f"{value:.2f}" if value is not None else "n/a")
            lines.append(f"| {call} | {size} | " + " | ".join(cells) + " |")
    lines.append("")
    if len(servers) > 1:
        base = servers[0]
        lines.append(f"Ratios ({base.name} / other, lower is better for {base.name}), and flatness:")
        lines.append("")
        names = [s.name for s in servers[1:]]
        ratio_heads = " | ".join(f"{base.name}/{n}" for n in names)
        lines.append(f"| call | N | {ratio_heads} | {base.name} N{sizes[-1]}/N{sizes[0]} |")
        lines.append("|" + "---|" * (len(names) + 3))
        for call in CALLS:
            for size in sizes:
                mine = median_ms(base.timings.get(size, {}).get(call, []))
                cells = []
                for other in servers[1:]:
                    theirs = median_ms(other.timings.get(size, {}).get(call, []))
                    cells.append(f"{mine / theirs:.2f}" if mine and theirs else "n/a")
                flat = ""
                if size == sizes[-1]:
                    small = median_ms(base.timings.get(sizes[0], {}).get(call, []))
                    flat = f"{mine / small:.2f}" if mine and small else "n/a"
                lines.append(f"| {call} | {size} | " + " | ".join(cells) + f" | {flat} |")
    for server in servers:
        if server.failure:
            lines.append(f"\n{server.name}: {server.failure}")
    return "\n".join(lines)


# --- the floor: the least any HTTP server can cost a boto3 call ------------------------------
_CANNED_BODY = b'{"execution":{"jobId":"job"},"thingGroupArn":"arn:aws:iot:us-east-1:123456789012:thinggroup/g"}'
_CANNED = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nx-amzn-RequestId: 0\r\n"
    b"Content-Length: %d\r\n\r\n%s" % (len(_CANNED_BODY), _CANNED_BODY)
)


def floor_server(port: int) -> None:
    """One asyncio thread answering every request with the same small JSON, kept alive:
    what remains of a call here is boto3 itself plus loopback TCP."""
    import asyncio

    async def serve(reader: "asyncio.StreamReader", writer: "asyncio.StreamWriter") -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                if length:
                    await reader.readexactly(length)
                writer.write(_CANNED)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(serve, "127.0.0.1", port)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,2000")
    parser.add_argument("--repeat", type=int, default=1, help="rounds per size (each on a fresh account)")
    parser.add_argument("--before", help="also run this commit's server (git archive)")
    parser.add_argument("--ministack", help="path of a ministack executable (its own virtualenv)")
    parser.add_argument("--moto", action="store_true", help="also run moto.server (needs moto[server])")
    parser.add_argument("--state-dir", action="store_true", help="also run this tree with --state-dir (save cost)")
    parser.add_argument("--floor", action="store_true", help="also run a canned-answer server: boto3's own floor")
    parser.add_argument("--floor-server", type=int, help=argparse.SUPPRESS)  # internal: be that server
    args = parser.parse_args(argv)
    if args.floor_server:
        floor_server(args.floor_server)
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    dirty = git("status", "--porcelain", "mock_iotjobs")
    commit = git("rev-parse", "--short", "HEAD") + (" (+ uncommitted changes)" if dirty else "")
    scratch = Path(tempfile.mkdtemp(prefix="bench-server-"))
    servers = [ours("ours", REPO, [])]
    if args.before:
        root = scratch / "before"
        root.mkdir()
        archive = subprocess.run(["git", "archive", args.before], cwd=REPO, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(root)], input=archive, check=True)
        servers.append(ours(f"before ({args.before[:9]})", root, []))
    if args.state_dir:
        servers.append(ours("ours --state-dir", REPO, ["--state-dir", str(scratch / "state")]))
    if args.ministack:
        port = free_port()
        env = dict(os.environ, GATEWAY_PORT=str(port), BIND_HOST="127.0.0.1", LOG_LEVEL="ERROR")
        servers.append(Server("ministack", [args.ministack], env, port, cwd=str(scratch)))
    if args.floor:
        port = free_port()
        command = [sys.executable, str(Path(__file__).resolve()), "--floor-server", str(port)]
        servers.append(Server("floor", command, dict(os.environ), port))
    if args.moto:
        port = free_port()
        servers.append(Server("moto", [sys.executable, "-m", "moto.server", "-p", str(port)], dict(os.environ), port))
    try:
        for server in servers:
            server.start()
        for round_index in range(args.repeat):
            for size in sizes:
                scenario(servers, size, round_index)
                print(f"  done: N={size} round {round_index + 1}", file=sys.stderr)
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    print(report(servers, sizes, commit, args.before))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Server mode as a robust local service (issue 14): bounded load, client faults,
malformed HTTP, admin protections, limits and state that survives a restart.

Every server listens on 127.0.0.1, port 0, and is always stopped.  Raw sockets
send what no well-behaved client would.  The module runs in a few seconds.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from mock_iotjobs.__main__ import main
from mock_iotjobs.backend.state import BackendStore
from mock_iotjobs.persistence import FILE_NAME, StateDir, StateError
from mock_iotjobs.server import ServerThread
from mock_iotjobs.transport import Limits

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
REGION = "us-east-1"
CONFIG = Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=20)
SESSION = boto3.session.Session()
SMALL = Limits(max_body_bytes=64 * 1024, idle_timeout=1, cleanup_interval=1, threads=2, max_connections=50)


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    with ServerThread(port=0, limits=SMALL) as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh(server: ServerThread) -> None:
    server.store.reset()


def client(url: str, service: str = "iot", region: str = REGION, key: str = "AKIDMOCKIOTJOBS") -> Any:
    return SESSION.client(
        service,
        endpoint_url=url,
        region_name=region,
        aws_access_key_id=key,
        aws_secret_access_key="secret",
        config=CONFIG,
    )


# --- raw HTTP ------------------------------------------------------------------------------
def connect(server: ServerThread, timeout: float = 5) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=timeout)


def read_response(sock: socket.socket) -> Tuple[int, Dict[str, str], bytes]:
    """One HTTP response (status, lower-cased headers, body) read off ``sock``."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed before a response: {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, headers, body[:length]


def exchange(server: ServerThread, raw: bytes) -> Tuple[int, Dict[str, str], bytes]:
    with connect(server) as sock:
        sock.sendall(raw)
        return read_response(sock)


def closed_within(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(seconds)
    try:
        while True:
            if not sock.recv(65536):
                return True
    except (socket.timeout, TimeoutError):
        return False
    except ConnectionResetError:
        return True


def aws_json_error(status: int, headers: Dict[str, str], body: bytes) -> Tuple[int, str, str]:
    """(status, error type, message) of an AWS-shaped error; fails on HTML or a traceback."""
    assert headers.get("content-type", "").startswith("application/json"), (headers, body[:200])
    assert b"Traceback" not in body and b"<html" not in body.lower()
    return status, headers["x-amzn-errortype"], json.loads(body)["message"]


def admin(
    server: ServerThread,
    name: str,
    method: str = "GET",
    body: Optional[bytes] = None,
    headers: Optional[Dict[str, str]] = None,
    path: Optional[str] = None,
) -> Tuple[int, Dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request(method, path or f"/_mock_iotjobs/{name}", body=body, headers=headers or {})
        reply = connection.getresponse()
        return reply.status, {k.lower(): v for k, v in reply.getheaders()}, reply.read()
    finally:
        connection.close()


JSON = {"Content-Type": "application/json"}


# --- keep-alive, idle timeout, bounded pool --------------------------------------------------
def test_connections_are_kept_alive_across_requests(server: ServerThread) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request("GET", "/_mock_iotjobs/health")
        first = connection.getresponse()
        first.read()
        sock = connection.sock
        assert first.getheader("Connection", "").lower() != "close"
        for name in ("a", "b", "c"):
            connection.request("POST", f"/things/{name}", body=b"{}", headers=JSON)
            reply = connection.getresponse()
            assert reply.status == 200, reply.read()
            reply.read()
            assert connection.sock is sock  # the same TCP connection
    finally:
        connection.close()
    assert sorted(server.store.get(ACCOUNT, REGION).things.by_name) == ["a", "b", "c"]


def test_boto3_reuses_one_connection(server: ServerThread, monkeypatch: pytest.MonkeyPatch) -> None:
    import urllib3.util.connection

    opened: List[Any] = []
    original = urllib3.util.connection.create_connection

    def counting(*args: Any, **kwargs: Any) -> Any:
        opened.append(args[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", counting)
    iot = client(server.url)
    iot.create_thing(thingName="warm")
    for _ in range(20):
        reply = iot.describe_thing(thingName="warm")
        assert reply["ResponseMetadata"]["HTTPHeaders"].get("connection") != "close"
    assert len(opened) == 1


def test_idle_connections_and_unfinished_headers_are_closed(server: ServerThread) -> None:
    with connect(server) as idle, connect(server) as half:
        half.sendall(b"GET /things HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        assert closed_within(half, 6)
        assert closed_within(idle, 2)


def test_slow_clients_do_not_take_the_worker_pool(server: ServerThread) -> None:
    stalled = [connect(server) for _ in range(2 * SMALL.threads + 4)]
    try:
        for sock in stalled:
            sock.sendall(b"POST /things/x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{")
        started = time.monotonic()
        client(server.url).create_thing(thingName="still-served")
        assert time.monotonic() - started < 5
    finally:
        for sock in stalled:
            sock.close()


def test_bounded_concurrent_load_is_served_completely(server: ServerThread) -> None:
    clients = [client(server.url) for _ in range(6)]
    errors: List[BaseException] = []

    def work(index: int) -> None:
        try:
            for n in range(25):
                clients[index].create_thing(thingName=f"load-{index}-{n}")
                clients[index].describe_thing(thingName=f"load-{index}-{n}")
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert len(server.store.get(ACCOUNT, REGION).things.by_name) == 150


def test_a_client_that_vanishes_mid_body_does_not_hurt_the_server(server: ServerThread) -> None:
    for _ in range(5):
        with connect(server) as sock:
            sock.sendall(b"POST /things/gone HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 500\r\n\r\n{\"attr")
    client(server.url).create_thing(thingName="after")
    assert "gone" not in server.store.get(ACCOUNT, REGION).things.by_name


# --- limits and malformed HTTP -----------------------------------------------------------------
def test_a_too_large_body_is_refused_before_it_is_read(server: ServerThread) -> None:
    with connect(server) as sock:
        # Only the headers are sent: the answer must not wait for (or buffer) 50 MB.
        sock.sendall(b"POST /jobs/big HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 50000000\r\n\r\n")
        status, headers, body = read_response(sock)
    assert aws_json_error(status, headers, body)[:2] == (413, "RequestEntityTooLargeException")
    assert len(body) < 300  # nothing echoed back


def test_a_too_large_body_through_boto3_is_a_413_client_error(server: ServerThread) -> None:
    iot = client(server.url)
    arn = iot.create_thing(thingName="t1")["thingArn"]
    with pytest.raises(ClientError) as info:
        iot.create_job(jobId="huge", targets=[arn], document="{}", description="x" * (SMALL.max_body_bytes + 10))
    assert info.value.response["Error"]["Code"] == "RequestEntityTooLargeException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert len(info.value.response["Error"]["Message"]) < 200
    assert iot.list_jobs()["jobs"] == []


@pytest.mark.parametrize(
    "raw, status, error_type",
    [
        (b"POST /things/c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", 400, None),
        (b"POST /things/c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + b"ffff\r\n" + b"x" * 65535
         + b"\r\nffff\r\n" + b"x" * 65535 + b"\r\n0\r\n\r\n", 413, "RequestEntityTooLargeException"),
        (b"get /things HTTP/1.1\r\nHost: h\r\n\r\n", 400, None),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 garbage\r\n\r\n", 400, None),
        (b"GET /things HTTP/1.1\r\nHost: h\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n", 431, None),
        (b"POST /things/c HTTP/1.1\r\nHost: h\r\nContent-Length: nope\r\n\r\n", 400, None),
        (b"POST /things/c HTTP/1.1\r\nHost: h\r\nContent-Length: 9\r\n\r\n" + b"[" * 9, 400, "InvalidRequestException"),
    ],
    ids=["bad-chunk", "chunked-too-large", "lower-case-method", "tls-to-http", "huge-header", "bad-length", "deep"],
)
def test_malformed_http_gets_an_aws_shaped_json_error(
    server: ServerThread, raw: bytes, status: int, error_type: Optional[str]
) -> None:
    got = aws_json_error(*exchange(server, raw))
    assert got[0] == status, got
    if error_type is not None:
        assert got[1] == error_type
    assert "c" not in server.store.get(ACCOUNT, REGION).things.by_name


def test_deeply_nested_json_over_http(server: ServerThread) -> None:
    body = b'{"attributePayload":' + b"[" * 20000 + b"]" * 20000 + b"}"
    raw = b"POST /things/deep HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    assert aws_json_error(*exchange(server, raw))[:2] == (400, "InvalidRequestException")


def test_lone_surrogate_over_http_is_refused_and_not_stored(server: ServerThread) -> None:
    iot = client(server.url)
    arn = iot.create_thing(thingName="t1")["thingArn"]
    body = json.dumps({"resourceArn": arn, "tags": [{"Key": "k", "Value": "\ud800"}]}).encode()
    raw = b"POST /tags HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    assert aws_json_error(*exchange(server, raw))[:2] == (400, "InvalidRequestException")
    assert iot.list_tags_for_resource(resourceArn=arn)["tags"] == []


def test_a_region_that_does_not_exist_gets_a_signature_error(server: ServerThread) -> None:
    for region in ("xxxxxxxx", "x" * 60):
        with pytest.raises(ClientError) as info:
            client(server.url, region=region).create_thing(thingName="t1")
        assert info.value.response["Error"]["Code"] == "InvalidSignatureException"
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert server.store.all() == {}


# --- admin protections -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    ["//_mock_iotjobs/state", "/%5fmock_iotjobs/state", "/_mock_iotjobs//state", "/_mock_iotjobs/state/",
     "/_mock_iotjobs/%73tate", "/x/../_mock_iotjobs/state", "/_MOCK_IOTJOBS/state"],
)
def test_admin_endpoints_answer_only_their_exact_paths(server: ServerThread, path: str) -> None:
    client(server.url).create_thing(thingName="secret")
    status, headers, body = admin(server, "", path=path)
    assert status == 404 and b"secret" not in body
    aws_json_error(status, headers, body)


def test_a_thing_named_like_the_admin_prefix_is_an_ordinary_thing(server: ServerThread) -> None:
    iot = client(server.url)
    iot.create_thing(thingName="_mock_iotjobs")
    assert iot.describe_thing(thingName="_mock_iotjobs")["thingName"] == "_mock_iotjobs"


def test_a_larger_body_limit_is_honoured_end_to_end() -> None:
    with ServerThread(port=0, limits=Limits(max_body_bytes=3 * 1024 * 1024)) as running:
        body = json.dumps({"attributePayload": {"attributes": {"a": "b"}}, "pad": "x" * (2 * 1024 * 1024)}).encode()
        raw = b"POST /things/big HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n" % len(body) + body
        status, _, reply = exchange(running, raw)
        assert status == 200, reply[:300]


@pytest.mark.parametrize("host", ["evil.example", "evil.example:5123", "127.0.0.1.evil.example", "10.0.0.8"])
def test_admin_refuses_a_foreign_host(server: ServerThread, host: str) -> None:
    client(server.url).create_thing(thingName="secret")
    status, headers, body = admin(server, "state", headers={"Host": host})
    assert (status, b"secret" in body) == (403, False)
    status, _, _ = admin(server, "reset", "POST", b"{}", {"Host": host, **JSON})
    assert status == 403
    assert "secret" in server.store.get(ACCOUNT, REGION).things.by_name


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "localhost:1234", "[::1]:80", "127.0.0.2"])
def test_admin_answers_loopback_hosts(server: ServerThread, host: str) -> None:
    assert admin(server, "state", headers={"Host": host})[0] == 200


def test_admin_answers_an_allowed_host_too() -> None:
    with ServerThread(port=0, allowed_hosts=["mock-iot"]) as running:
        assert admin(running, "state", headers={"Host": "mock-iot:5123"})[0] == 200
        assert admin(running, "state", headers={"Host": "evil.example"})[0] == 403


def test_admin_post_needs_json_content_type(server: ServerThread) -> None:
    client(server.url).create_thing(thingName="kept")
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None):
        headers = {"Content-Type": content_type} if content_type else {}
        status, reply_headers, body = admin(server, "reset", "POST", b"{}", headers)
        assert aws_json_error(status, reply_headers, body)[:2] == (415, "UnsupportedMediaType")
    before = server.store.clock.now()
    assert admin(server, "advance-time", "POST", b'{"hours": 5}', {"Content-Type": "text/plain"})[0] == 415
    assert server.store.clock.now() < before + 3600
    assert "kept" in server.store.get(ACCOUNT, REGION).things.by_name


def test_admin_refuses_cross_site_requests(server: ServerThread) -> None:
    client(server.url).create_thing(thingName="kept")
    for headers in ({"Origin": "http://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}):
        assert admin(server, "reset", "POST", b"{}", {**JSON, **headers})[0] == 403
    assert "kept" in server.store.get(ACCOUNT, REGION).things.by_name
    same_origin = {"Origin": f"http://127.0.0.1:{server.port}"}
    assert admin(server, "reset", "POST", b"{}", {**JSON, **same_origin})[0] == 200
    assert server.store.all() == {}


def test_admin_token_when_configured() -> None:
    with ServerThread(port=0, admin_token="s3cret") as running:
        assert admin(running, "health")[0] == 200
        assert admin(running, "state")[0] == 401
        assert admin(running, "state", headers={"Authorization": "Bearer wrong"})[0] == 401
        assert admin(running, "state", headers={"Authorization": "Bearer s3cret"})[0] == 200
        assert admin(running, "reset", "POST", b"{}", {**JSON, "X-Mock-Iotjobs-Token": "s3cret"})[0] == 200


def test_state_per_account_and_region(server: ServerThread) -> None:
    client(server.url).create_thing(thingName="east")
    client(server.url, region="eu-west-1").create_thing(thingName="west")
    client(server.url, key="111122223333").create_thing(thingName="other")
    everything = json.loads(admin(server, "state")[2])
    assert len(everything["backends"]) == 3
    only = json.loads(admin(server, "", path="/_mock_iotjobs/state?region=eu-west-1")[2])
    assert [(b["region"], [t["thingName"] for t in b["things"]]) for b in only["backends"]] == [("eu-west-1", ["west"])]
    account = json.loads(admin(server, "", path="/_mock_iotjobs/state?accountId=111122223333")[2])
    assert [b["accountId"] for b in account["backends"]] == ["111122223333"]
    assert admin(server, "", path="/_mock_iotjobs/state?thing=x")[0] == 400


# --- the clock over HTTP -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "payload", [b'{"seconds": NaN}', b'{"seconds": Infinity}', b'{"hours": -Infinity}', b'{"seconds": 1e999}',
                b'{"seconds": 1e308}', b'{"minutes": -1}', b'{"hours": 1e30}']
)
def test_advance_time_refuses_nonsense_and_changes_nothing(server: ServerThread, payload: bytes) -> None:
    iot = client(server.url)
    arn = iot.create_thing(thingName="t1")["thingArn"]
    before = server.store.clock.now()
    status, headers, body = admin(server, "advance-time", "POST", payload, JSON)
    assert aws_json_error(status, headers, body)[0] == 400
    assert before <= server.store.clock.now() < before + 5
    iot.create_job(jobId="j1", targets=[arn], document="{}")
    jobs = iot.list_jobs()["jobs"]
    assert math.isfinite(jobs[0]["createdAt"].timestamp())
    assert client(server.url, "iot-jobs-data").get_pending_job_executions(thingName="t1")["queuedJobs"]
    assert admin(server, "reset", "POST", b"{}", JSON)[0] == 200
    assert client(server.url).list_jobs()["jobs"] == []


# --- the command line --------------------------------------------------------------------------
def test_serve_help_shows_the_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for default in ("(default: 5123)", "(default: us-east-1)", "(default: 1048576)", "(default: 30)"):
        assert default in text


@pytest.mark.parametrize("args", [["--region", "<script>"], ["--account", "12"], ["--threads", "0"]])
def test_serve_refuses_bad_options(args: List[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["serve", *args])
    assert info.value.code == 2


# --- state that survives a restart ---------------------------------------------------------------
def test_state_dir_keeps_everything_across_a_restart(tmp_path: Path) -> None:
    state = StateDir(tmp_path)
    assert state.open() is None
    with ServerThread(port=0, state=state) as first:
        iot = client(first.url)
        arn = iot.create_thing(thingName="t1", attributePayload={"attributes": {"fw": "1"}})["thingArn"]
        client(first.url, region="eu-west-1", key="111122223333").create_thing(thingName="west")
        iot.create_job(jobId="j1", targets=[arn], document="{}", timeoutConfig={"inProgressTimeoutInMinutes": 5})
        client(first.url, "iot-jobs-data").start_next_pending_job_execution(thingName="t1")
        status, _, _ = admin(first, "advance-time", "POST", b'{"hours": 1}', JSON)
        assert status == 200
        clock = first.store.clock.now()
    state.close()  # stopped without any final save: what a crash leaves
    again = StateDir(tmp_path)
    store = again.open()
    assert store is not None
    assert abs(store.clock.now() - clock) < 5
    with ServerThread(port=0, store=store, state=again) as second:
        execution = client(second.url).describe_job_execution(jobId="j1", thingName="t1")["execution"]
        assert execution["status"] == "TIMED_OUT"  # the timer survived and fired at the advanced time
        assert client(second.url, region="eu-west-1", key="111122223333").describe_thing(thingName="west")
        assert second.store.get(ACCOUNT, REGION).notifications.by_thing["t1"]
    again.close()


def test_state_dir_refuses_corrupt_and_newer_files(tmp_path: Path) -> None:
    state = StateDir(tmp_path)
    state.open()
    store = BackendStore()
    store.get(ACCOUNT, REGION).things.create("t1")
    assert state.save(store)
    state.close()
    data = (tmp_path / FILE_NAME).read_bytes()
    cases = {
        "corrupt": data[:-10] + b"x" * 10,
        "truncated": data[: len(data) // 2],
        "not ours": b"hello\n" + data,
        "newer": data.replace(b"mock_iotjobs-state 1 ", b"mock_iotjobs-state 99 ", 1),
    }
    for name, content in cases.items():
        (tmp_path / FILE_NAME).write_bytes(content)
        with pytest.raises(StateError) as info:
            StateDir(tmp_path).open()
        assert str(tmp_path) in str(info.value), name
        if name == "newer":
            assert "newer" in str(info.value)
        StateDir(tmp_path).close()
    assert (tmp_path / FILE_NAME).read_bytes() == cases["newer"]  # never silently replaced


def test_one_state_dir_serves_one_server(tmp_path: Path) -> None:
    first = StateDir(tmp_path)
    first.open()
    try:
        with pytest.raises(StateError):
            StateDir(tmp_path).open()
    finally:
        first.close()


def _spawn(*args: str) -> "subprocess.Popen[bytes]":
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    return subprocess.Popen(
        [sys.executable, "-m", "mock_iotjobs", "serve", "--port", "0", *args],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def _url(process: "subprocess.Popen[bytes]") -> Tuple[str, List[str]]:
    assert process.stdout is not None
    lines = [process.stdout.readline().decode() for _ in range(5)]
    match = re.search(r"listening on (http://\S+)", lines[0])
    assert match, lines
    return match.group(1), lines


def test_serve_state_dir_survives_kill_9_and_names_its_scope(tmp_path: Path) -> None:
    process = _spawn("--state-dir", str(tmp_path), "--region", "eu-west-1", "--account", "111122223333")
    try:
        url, banner = _url(process)
        assert "account 111122223333, region eu-west-1" in "".join(banner)
        client(url, region="eu-west-1").create_thing(thingName="durable")
        process.send_signal(signal.SIGKILL)  # a crash right after the answer
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)
    again = _spawn("--state-dir", str(tmp_path), "--region", "eu-west-1", "--account", "111122223333")
    try:
        url, _ = _url(again)
        # The non-12-digit access key reaches --account; the thing is still there.
        assert client(url, region="eu-west-1").describe_thing(thingName="durable")["thingName"] == "durable"
        again.send_signal(signal.SIGTERM)
        assert again.wait(20) == 0
    finally:
        if again.poll() is None:
            again.kill()
        again.communicate(timeout=10)


def test_serve_stops_with_a_clear_message_on_a_corrupt_state_file(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_bytes(b"mock_iotjobs-state 1 0000\nbroken")
    process = _spawn("--state-dir", str(tmp_path))
    out, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert b"corrupt" in err and b"Traceback" not in err
    assert (tmp_path / FILE_NAME).read_bytes() == b"mock_iotjobs-state 1 0000\nbroken"


def test_state_dump_serialises_outside_the_backend_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    import mock_iotjobs.admin as admin_module

    store = BackendStore()
    backend = store.get(ACCOUNT, REGION)
    backend.things.create("t1", attributes={"k": "v"})
    held: List[bool] = []
    original = admin_module.jsonable

    def spy(value: Any, depth: int = 0) -> Any:
        if depth == 0:
            held.append(backend.lock._is_owned())  # type: ignore[attr-defined]
        return original(value, depth)

    monkeypatch.setattr(admin_module, "jsonable", spy)
    dumped = admin_module.dump_state(store)
    assert dumped["backends"][0]["things"][0]["thingName"] == "t1"
    assert held and not any(held)


def test_serve_state_dir_keeps_what_devices_did_over_mqtt(tmp_path: Path) -> None:
    from test_mqtt_support import PahoDevice

    process = _spawn("--state-dir", str(tmp_path), "--mqtt-port", "0")
    try:
        assert process.stdout is not None
        mqtt_line = process.stdout.readline().decode()
        url_line = process.stdout.readline().decode()
        port = int(mqtt_line.strip().rsplit(":", 1)[1])
        url = url_line.strip().rsplit(" ", 1)[1]
        iot = client(url)
        arn = iot.create_thing(thingName="dev1")["thingArn"]
        iot.create_job(jobId="j1", targets=[arn], document="{}")
        device = PahoDevice(port, "dev1")
        try:
            answer = device.request("$aws/things/dev1/jobs/start-next")
            assert answer.body["execution"]["jobId"] == "j1"
        finally:
            device.close()
        process.send_signal(signal.SIGKILL)  # right after the device's answer: was it saved?
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)
    again = _spawn("--state-dir", str(tmp_path))
    try:
        url, _ = _url(again)
        execution = client(url).describe_job_execution(jobId="j1", thingName="dev1")["execution"]
        assert execution["status"] == "IN_PROGRESS"
    finally:
        again.send_signal(signal.SIGTERM)
        again.wait(20)
        again.communicate(timeout=10)

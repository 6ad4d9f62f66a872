"""Command line: ``python -m mock_iotjobs serve|coverage`` (``coverage --help`` for its options)."""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _region(text: str) -> str:
    from .protocol.regions import is_region

    if not is_region(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not an AWS region name (e.g. us-east-1)")
    return text


def _account(text: str) -> str:
    if not (len(text) == 12 and text.isdigit()):
        raise argparse.ArgumentTypeError(f"{text!r} is not a 12-digit AWS account id")
    return text


def main(argv: Optional[List[str]] = None) -> int:
    from .backend.state import DEFAULT_REGION, default_account_id
    from .transport import Limits

    limits = Limits()
    parser = argparse.ArgumentParser(prog="mock-iotjobs", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="serve both services over HTTP (and the jobs MQTT topics with --mqtt-port)",
        description="Serve iot and iot-jobs-data over HTTP on one port, plus admin endpoints under /_mock_iotjobs/.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=5123, help="HTTP port (0: a free one)")
    serve.add_argument("--mqtt-port", type=int, default=None, help="also serve the jobs MQTT topics on this port")
    serve.add_argument(
        "--mqtt-ws-port",
        type=int,
        default=None,
        help="also serve MQTT over WebSocket (ws://HOST:PORT/mqtt, SigV4-signed; see docs/mqtt.md)",
    )
    serve.add_argument(
        "--mqtt-tls-port",
        type=int,
        default=None,
        help="also serve MQTT over mutual TLS with IoT policies enforced (trust GET /_mock/... or the mock CA)",
    )
    serve.add_argument(
        "--mqtt-limit",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="change one MQTT bound, e.g. max_subscriptions=500 (repeatable; see docs/mqtt.md, Limits)",
    )
    serve.add_argument(
        "--region", type=_region, default=DEFAULT_REGION, help="region of the MQTT listener and of unsigned HTTP calls"
    )
    serve.add_argument(
        "--account",
        type=_account,
        default=default_account_id(),
        help="account of the MQTT listener and of calls whose access key id is not 12 digits",
    )
    serve.add_argument(
        "--state-dir", default=None, help="keep all state in DIR across restarts (saved after each change)"
    )
    serve.add_argument(
        "--admin-token", default=None, help="require 'Authorization: Bearer TOKEN' on the admin endpoints"
    )
    serve.add_argument(
        "--allow-host",
        action="append",
        default=None,
        metavar="NAME",
        help="a Host name the admin endpoints also answer (besides loopback and --host); repeatable",
    )
    serve.add_argument("--max-body-bytes", type=_positive, default=limits.max_body_bytes, help="largest request body")
    serve.add_argument(
        "--idle-timeout", type=_positive, default=limits.idle_timeout, help="close connections idle this many seconds"
    )
    serve.add_argument("--threads", type=_positive, default=limits.threads, help="worker threads serving requests")
    serve.add_argument(
        "--max-connections", type=_positive, default=limits.max_connections, help="open connections at most"
    )
    serve.add_argument("--log", action="store_true", help="print one line per request")
    coverage = commands.add_parser("coverage", help="list which model operations are implemented")
    from .coverage import add_arguments

    add_arguments(coverage)
    args = parser.parse_args(argv)
    if args.command == "serve":
        from .server import run_server

        return run_server(args)
    from .coverage import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())

"""Command line: ``python -m mock_iotjobs serve|coverage`` (``coverage --help`` for its options)."""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="mock-iotjobs", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve both services over HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5123)
    serve.add_argument("--mqtt-port", type=int, default=None, help="also serve the jobs MQTT topics")
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

"""The command line: `harness llm [options]` or `python -m harness.llm.server [options]`.

    harness llm --port 8400 --config chaos.toml --seed 7 --latency realistic \\
                --fault status:0.05 --fault hang:0.01

Options override the config file: `--seed` its seed, `--latency` its default profile,
each `--fault KIND:PROBABILITY` appends an untargeted rule (targets need the file or the
control API). Prints one line `mock LLM listening on http://HOST:PORT/v1` once it listens,
then serves until interrupted (Ctrl-C, SIGTERM).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import Sequence
from typing import Any

from ..._exceptions import HarnessError, MockServerError
from ...process import freeze_startup_objects, warn_if_exposed
from ._config import ServerConfig, load_config, parse_config
from ._faults import LLM_FAULT_KINDS
from ._server import MockLLMServer
from ._state import DEFAULT_BRAIN, Brain, RouteReader, load_brain, load_route_reader

__all__ = ["DEFAULT_PORT", "add_arguments", "build_config", "main", "run", "serve_mock_llm"]

DEFAULT_PORT = 8400


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The server's options, for `harness llm` or a standalone parser."""
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument(
        "--control-host",
        default="127.0.0.1",
        metavar="ADDRESS",
        help="where the control API (/_control) answers, whatever --host is (default 127.0.0.1)",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any free port)"
    )
    parser.add_argument("--config", metavar="FILE", help="a .toml or .json config: seed, latency, faults")
    parser.add_argument("--seed", type=int, help="seed for fault and latency draws (default: config, 0)")
    parser.add_argument(
        "--latency",
        metavar="PROFILE",
        help="default latency profile: zero, fast, realistic, slow or one from the config",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="KIND:PROBABILITY",
        help=f"add a fault rule, repeatable; kinds: {', '.join(LLM_FAULT_KINDS)}",
    )
    parser.add_argument(
        "--brain-memo",
        type=int,
        metavar="N",
        help="replies the server remembers (default: config, 4096; 0: off)",
    )
    parser.add_argument(
        "--brain",
        default=DEFAULT_BRAIN,
        metavar="MODULE:FUNCTION",
        help="what writes the replies (default: a generic answer); its module's "
        "route_of(agent, content), if any, reads the router's route",
    )
    parser.add_argument(
        "--router", metavar="AGENT", help="the agent whose reply names a route (invalid_route faults hit it)"
    )
    parser.add_argument(
        "--agents",
        metavar="JSON",
        help="how to tell agents that send no X-Harness-Agent header, e.g. "
        '\'{"billing": {"system": "billing expert"}, "supervisor": {"tool": "transfer_to_billing"}}\'',
    )
    _add_cassette_arguments(parser.add_argument_group("cassettes (docs/cassettes.md)"))
    return parser


def _add_cassette_arguments(group: argparse._ArgumentGroup) -> None:
    group.add_argument("--record", metavar="CASSETTE", help="relay to --upstream and record every exchange")
    group.add_argument(
        "--upstream", metavar="URL", help="the real endpoint to record, e.g. https://api.openai.com/v1"
    )
    group.add_argument(
        "--upstream-key-env",
        metavar="VAR",
        help="the env variable holding the upstream's API key (default: forward the client's own)",
    )
    group.add_argument(
        "--replay", metavar="CASSETTE", help="answer from a recorded cassette; a drift gets 421 + diff"
    )
    group.add_argument(
        "--match", metavar="FIELDS", help="what a replayed request must equal (default model,messages,tools)"
    )
    group.add_argument("--timing", metavar="PACE", help="replay pace: recorded (default), none, scaled:F")


def _fault_rule(text: str) -> dict[str, Any]:
    kind, sep, probability = text.partition(":")
    try:
        value = float(probability)
    except ValueError:
        value = None
    if not sep or value is None:
        raise MockServerError(f"--fault {text!r}: expected KIND:PROBABILITY, e.g. status:0.1")
    return {"kind": kind, "probability": value}


def build_config(args: argparse.Namespace) -> ServerConfig:
    """The config file (if any) with the command-line overrides applied and validated."""
    config = load_config(args.config) if args.config else ServerConfig()
    data = config.model_dump(mode="json", exclude_none=True)
    if args.seed is not None:
        data["seed"] = args.seed
    if args.brain_memo is not None:
        data["brain_memo"] = args.brain_memo
    if args.router is not None:
        data["router"] = args.router
    if getattr(args, "agents", None):
        try:
            data["agents"] = json.loads(args.agents)
        except ValueError as exc:
            raise MockServerError(
                f"--agents: not JSON ({exc}); give {{agent: {{system|tool: ...}}}}"
            ) from None
    if args.latency is not None:
        data["latency"]["default"] = args.latency
    data["faults"] += [_fault_rule(text) for text in args.fault]
    cassette = _cassette(args)
    if cassette is not None:
        data["cassette"] = cassette
    return parse_config(data, "command line" if not args.config else f"{args.config} + command line")


def _cassette(args: argparse.Namespace) -> dict[str, Any] | None:
    """The `cassette` table from --record/--replay and their options (None: neither given)."""
    record, replay = getattr(args, "record", None), getattr(args, "replay", None)
    if record and replay:
        raise MockServerError("--record and --replay: give one (record once, then replay the file)")
    if record and not args.upstream:
        raise MockServerError(f"--record {record}: give the real endpoint, --upstream URL")
    if not record and (args.upstream or args.upstream_key_env):
        raise MockServerError("--upstream / --upstream-key-env go with --record CASSETTE")
    if not replay and (args.match or args.timing):
        raise MockServerError("--match / --timing go with --replay CASSETTE")
    if record:
        return {"mode": "record", "path": record, "upstream": args.upstream, "key_env": args.upstream_key_env}
    if replay:
        timing = args.timing or "recorded"
        return {"mode": "replay", "path": replay, "match": args.match or (), "timing": timing}
    return None


async def _serve(server: MockLLMServer) -> None:
    await server.start()
    print(f"mock LLM listening on {server.base_url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows / off main
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await server.aclose()
    _drift_summary(server)


def _drift_summary(server: MockLLMServer) -> None:
    """At exit, a replay that answered drifted requests says so once more, and the exit code is 1:
    a CI step serving a stale cassette fails even if the system swallowed the 421s."""
    drifted = server.app.drifted if server.app is not None else []
    if drifted:
        print(
            f"harness llm: {len(drifted)} request(s) drifted from the cassette (each got HTTP 421); "
            f"the first:\n{drifted[0]}",
            file=sys.stderr,
        )
        raise SystemExit(1)


def serve_mock_llm(
    config: ServerConfig | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    brain: Brain | None = None,
    route_of: RouteReader | None = None,
    control_host: str = "127.0.0.1",
) -> None:
    """Run a server in the foreground until SIGINT or SIGTERM."""
    server = MockLLMServer(
        config, host=host, port=port, brain=brain, route_of=route_of, control_host=control_host
    )
    freeze_startup_objects()  # a collection's pause would be served as latency the profile never drew
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(server))


def run(args: argparse.Namespace) -> int:
    """Serve with parsed `add_arguments` options: what `harness llm` calls."""
    if not 0 <= args.port <= 65535:
        raise MockServerError(f"--port {args.port}: give a port between 1 and 65535 (0 picks a free one)")
    control = getattr(args, "control_host", "127.0.0.1")
    warn_if_exposed(
        args.host,
        f"the mock LLM's OpenAI API is reachable from other hosts (its control API stays on {control})",
        prog="harness llm",
    )
    warn_if_exposed(
        control,
        "the mock LLM's control API (/_control: faults, latency, reset) is reachable from other hosts",
        prog="harness llm",
    )
    serve_mock_llm(
        build_config(args),
        host=args.host,
        port=args.port,
        brain=load_brain(args.brain),
        route_of=load_route_reader(args.brain),
        control_host=control,
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = add_arguments(
        argparse.ArgumentParser(
            prog="harness llm", description="An OpenAI-compatible mock LLM server with faults on demand."
        )
    )
    args = parser.parse_args(argv)
    try:
        return run(args)
    except HarnessError as exc:
        print(f"harness llm: {exc}", file=sys.stderr)
        return 2

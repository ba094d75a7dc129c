"""The `harness` command. Each subcommand is one small function; heavy imports stay inside them."""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from ._exceptions import ConfigError, HarnessError

__all__ = ["main"]


def _cmd_run(args: argparse.Namespace) -> int:
    """Run the test pyramid (unit, integration, system, chaos), then build the release report."""
    from ._run import TIERS, run_pyramid
    from .report._cli import run_report

    tiers = tuple(args.tiers.split(",")) if args.tiers else TIERS
    unknown = [t for t in tiers if t not in TIERS]
    if unknown:
        raise ConfigError(f"--tiers: unknown tier {unknown[0]!r}; choose from {', '.join(TIERS)}")
    code = run_pyramid(Path(args.reports), tiers=tiers, workers=args.workers, extra=args.pytest_args)
    report = run_report(argparse.Namespace(reports=args.reports, sla=None, chaos=None, pyproject=None))
    return code or report


def _cmd_llm(args: argparse.Namespace) -> int:
    """An OpenAI-compatible mock LLM server with latency profiles and faults on demand."""
    from .llm.server._run import run

    return run(args)


def _cmd_proxy(args: argparse.Namespace) -> int:
    """A Toxiproxy-compatible server (HTTP API and TCP proxies with toxics)."""
    from .proxy import serve_proxy

    serve_proxy(args.host, args.port, args.config)
    return 0


def _writable(path: Path) -> bool:
    """Whether `path` can be appended to (or created, with its missing folders), creating nothing."""
    import os

    if path.exists():
        return path.is_file() and os.access(path, os.W_OK)
    folder = path.parent.resolve()
    while not folder.exists():
        folder = folder.parent
    return folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)


def _cmd_traces(args: argparse.Namespace) -> int:
    """Receive OTLP/HTTP traces (POST /v1/traces, protobuf or JSON) into a spans.jsonl."""
    from .traces import OTLPReceiver

    if not 0 <= args.port < 65536:
        raise ConfigError(f"--port {args.port}: give a port between 0 and 65535")
    out = Path(args.out)
    if not _writable(out):
        raise ConfigError(f"--out {out}: cannot write there; give a file in a folder you can write to")
    try:
        receiver = OTLPReceiver(out, host=args.host, port=args.port)
    except OSError as exc:
        raise ConfigError(
            f"--host {args.host} --port {args.port}: cannot listen there ({exc.strerror or exc})"
        ) from None
    said = f"receiving OTLP/HTTP traces at {receiver.endpoint}/v1/traces into {args.out}"
    try:
        receiver.serve_forever(ready=lambda: print(said, flush=True))
    except KeyboardInterrupt:
        pass
    except OSError as exc:  # the file, at the last moment (a folder that cannot be made)
        raise ConfigError(f"--out {out}: cannot write there ({exc.strerror or exc})") from None
    return 0


def _cmd_stack(args: argparse.Namespace) -> int:
    """Start (detached) or stop the mock LLM server, the proxy and the declared system, or remove
    every fault from a running stack (clean)."""
    from .stack import Stack, stop_recorded

    if args.action == "clean":  # hook: harness/stack/_clean.py
        from .stack._clean import clean_command

        return clean_command(args.stack or Path(args.reports) / "stack" / "stack.json", args.pyproject)
    if args.action == "down":
        stopped = stop_recorded(args.reports)
        print("stopped: " + ", ".join(stopped) if stopped else "no stack was running")
        return 0
    stack = Stack(args.reports, detached=not args.foreground).start()
    proxy = (
        f"proxy API {stack.proxy_api_url} (the system reaches the LLM through it)\n"
        if stack.with_proxy
        else ""
    )
    system = f"system    {stack.service_url} ({stack.declaration.name})\n" if stack.with_system else ""
    print(f"mock LLM  {stack.llm_url}\n{proxy}{system}logs      {stack.dir}")
    if args.foreground:
        try:
            signal_pause()
        finally:
            stack.stop()
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    """Serve the declared in-process system (a graph, a callable, a factory) over HTTP: POST / a
    turn, GET /health; for the system and chaos tiers of a system with no API of its own."""
    from ._serve import serve_system

    if not 0 < args.port < 65536:
        raise ConfigError(f"--port {args.port}: give a port between 1 and 65535")
    serve_system(args.system, args.host, args.port, audit_log=args.audit_log, pyproject=args.pyproject)
    return 0


def _cmd_init(args: argparse.Namespace) -> int:
    """Write a starter declaration, a scenarios template and one starter test per tier."""
    from ._init import init_project

    for line in init_project(Path(args.folder), python=args.python, force=args.force):
        print(line)
    return 0


def signal_pause() -> None:
    import signal

    print("running; Ctrl-C stops everything", flush=True)
    signal.pause()


def _delegate(module: str, runner: str = "run") -> Callable[[argparse.Namespace], int]:
    """A subcommand whose options and body live in another package (imported when it runs)."""

    def fn(args: argparse.Namespace) -> int:
        import importlib

        return int(getattr(importlib.import_module(module), runner)(args))

    return fn


def _delegated(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    name: str,
    module: str,
    fn: Callable[[argparse.Namespace], int],
    help: str,
    command: str | None,
    adder: str = "add_arguments",
) -> None:
    """A subcommand whose options come from its own package, imported only when it is the one
    being run: importing them all would make every `harness` call seconds slower."""
    parser = _add(sub, name, fn, help=help)
    if command == name:
        import importlib

        getattr(importlib.import_module(module), adder)(parser)


def _parser(command: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness", description="Testing and chaos harness for LLM multi-agent systems."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add(sub, "run", _cmd_run, help="run the test pyramid and write reports/")
    sub.choices["run"].add_argument("--reports", default="reports", help="output folder")
    sub.choices["run"].add_argument("--tiers", help="comma-separated subset, e.g. unit,integration")
    sub.choices["run"].add_argument("-n", "--workers", default="0", help="pytest-xdist workers (0: none)")
    sub.choices["run"].add_argument("pytest_args", nargs="*", help="extra pytest arguments after --")
    _delegated(
        sub,
        "llm",
        "harness.llm.server._run",
        _cmd_llm,
        "run the mock LLM server (OpenAI-compatible)",
        command,
    )
    trc = _add(sub, "traces", _cmd_traces, help="receive OTLP/HTTP traces into a spans.jsonl")
    trc.add_argument("action", choices=["receive"])
    trc.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    trc.add_argument("--port", type=int, default=4318, help="port (default 4318, OTLP/HTTP's)")
    trc.add_argument("--out", required=True, help="the spans.jsonl to append each span to")
    prx = _add(sub, "proxy", _cmd_proxy, help="run the Toxiproxy-compatible proxy server")
    prx.add_argument("--host", default="127.0.0.1", help="API bind address (default 127.0.0.1)")
    prx.add_argument("--port", type=int, default=8474, help="API port (default 8474)")
    prx.add_argument("--config", help="JSON array of proxies to create at start, like /populate")
    _delegated(
        sub,
        "load",
        "harness.load._cli",
        _delegate("harness.load._cli"),
        "Locust load run against SLAs",
        command,
    )
    _delegated(
        sub,
        "chaos",
        "harness.chaos._cli",
        _delegate("harness.chaos._cli"),
        "chaos experiments under load",
        command,
    )
    rep = "harness.report._cli"
    _delegated(
        sub,
        "report",
        rep,
        _delegate(rep, "run_report"),
        "build reports/index.html and summary.json",
        command,
        adder="add_report_arguments",
    )
    _delegated(
        sub,
        "gate",
        rep,
        _delegate(rep, "run_gate"),
        "GO (exit 0) or NO-GO (exit 1) from summary.json",
        command,
        adder="add_gate_arguments",
    )
    _delegated(
        sub,
        "compare",
        rep,
        _delegate(rep, "run_compare"),
        "compare two runs' summaries (canary)",
        command,
        adder="add_compare_arguments",
    )
    _delegated(
        sub,
        "trials",
        "harness.trials._cli",
        _delegate("harness.trials._cli"),
        "every scenario k times: pass@1, pass^k and their intervals (reports/trials.json)",
        command,
    )
    _delegated(
        sub,
        "mutate",
        "harness.mutate._cli",
        _delegate("harness.mutate._cli"),
        "mutation score of the tiers: mutate the system, run the tiers",
        command,
    )
    srv = _add(sub, "serve", _cmd_serve, help="serve the declared in-process system over HTTP")
    srv.add_argument(
        "--system", metavar="PKG.MODULE:ATTR", help="what to serve (default: the declared python)"
    )
    srv.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    srv.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    srv.add_argument("--audit-log", metavar="FILE", help="write the harness audit log here")
    srv.add_argument("--pyproject", metavar="FILE", help="the declaring pyproject.toml (default: nearest)")
    ini = _add(sub, "init", _cmd_init, help="start a team's project: declaration, scenarios, a test per tier")
    ini.add_argument("folder", nargs="?", default=".", help="the project folder (default: here)")
    ini.add_argument(
        "--python",
        metavar="PKG.MODULE:ATTR",
        help="your system (a graph, a callable or a factory); default: a starter system written beside it",
    )
    ini.add_argument("--force", action="store_true", help="overwrite the starter files if they exist")
    stk = _add(sub, "stack", _cmd_stack, help="start or stop the mock LLM server, the proxy and the system")
    stk.add_argument("action", choices=["up", "down", "clean"], help="clean: remove every fault from it")
    stk.add_argument("--reports", default="reports", help="where logs and stack.json go")
    stk.add_argument("--stack", metavar="STACK_JSON", help="clean: its stack.json (default REPORTS/stack/)")
    stk.add_argument("--pyproject", metavar="FILE", help="clean: the declaring pyproject.toml")
    stk.add_argument("--foreground", action="store_true", help="stay attached; Ctrl-C stops all")
    return parser


def _add(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    name: str,
    fn: Callable[[argparse.Namespace], int],
    *,
    help: str,
) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(name, help=help, description=fn.__doc__)
    p.set_defaults(fn=fn)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    args = _parser(command).parse_args(argv)
    try:
        return int(args.fn(args))
    except HarnessError as exc:
        print(f"harness {args.command}: {exc}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as exc:
        return exc.returncode or 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

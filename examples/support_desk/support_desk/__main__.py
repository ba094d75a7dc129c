"""`python -m support_desk` (or `support-desk`): the reference system from the shell.

    support-desk serve --port 8000                      # POST /v1/chat, GET /health, GET /metrics
    support-desk ask "My invoice is wrong" --base-url http://127.0.0.1:8400/v1 -v
    support-desk config                                 # the effective settings, as JSON

The LLM it calls: `--llm-base-url`, or env SUPPORT_DESK_LLM_BASE_URL, or `[tool.support_desk]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence

from harness import HarnessError

from ._errors import SupportDeskError

__all__ = ["main"]


def _ask(args: argparse.Namespace) -> int:
    """Send one query to the reference system against an OpenAI-compatible endpoint."""
    from . import SupportSystem, load_settings
    from ._logging import configure_logging

    if args.verbose:
        configure_logging()
    overrides = {"llm_base_url": args.base_url} if args.base_url else {}
    system = SupportSystem(load_settings(**overrides))

    async def ask() -> str:
        try:
            result = await system.ainvoke(args.query, user_id=args.user_id, customer_tier=args.tier)
            return result.model_dump_json(indent=2)
        finally:
            await system.aclose()

    print(asyncio.run(ask()))
    return 0


def _config(args: argparse.Namespace) -> int:
    """Print the reference system's effective settings (defaults < pyproject < env)."""
    from . import load_settings

    print(json.dumps(load_settings(args.pyproject).model_dump(mode="json"), indent=2))
    return 0


def _serve(args: argparse.Namespace) -> int:
    """Serve the reference system over HTTP (POST /v1/chat, GET /health, GET /metrics)."""
    from .service import load_service_settings, serve

    settings = load_service_settings(
        host=args.host, port=args.port, audit_log=args.audit_log, workers=args.workers
    )
    serve(settings, reference={"llm_base_url": args.llm_base_url} if args.llm_base_url else {})
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="support-desk", description="The harness's reference system.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    ask = sub.add_parser("ask", help="ask the reference system one question", description=_ask.__doc__)
    ask.set_defaults(fn=_ask)
    ask.add_argument("query")
    ask.add_argument("--base-url", help="OpenAI-compatible base URL (default: settings)")
    ask.add_argument("--user-id", default="cli-user")
    ask.add_argument("--tier", default="standard", choices=["standard", "vip"])
    ask.add_argument("-v", "--verbose", action="store_true", help="print JSON logs to stderr")
    cfg = sub.add_parser("config", help="show the effective settings", description=_config.__doc__)
    cfg.set_defaults(fn=_config)
    cfg.add_argument("--pyproject", help="pyproject.toml to read (default: nearest)")
    srv = sub.add_parser("serve", help="serve the reference system over HTTP", description=_serve.__doc__)
    srv.set_defaults(fn=_serve)
    srv.add_argument("--host", help="bind address (default 127.0.0.1)")
    srv.add_argument("--port", type=int, help="port (default 8000)")
    srv.add_argument("--llm-base-url", help="OpenAI-compatible base URL of the LLM")
    srv.add_argument("--audit-log", help="JSONL audit log file (the harness's format)")
    srv.add_argument("--workers", type=int, help="service processes sharing the port (default 1)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.fn(args))
    except (HarnessError, SupportDeskError) as exc:
        print(f"support-desk {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

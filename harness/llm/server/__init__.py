"""An OpenAI-compatible mock LLM *server*, for the tiers that need real HTTP.

    harness llm --port 8400 --config faults.toml           # or python -m harness.llm.server

    from harness.llm.server import ServerConfig, start_in_thread
    server = start_in_thread(ServerConfig(seed=7), brain=my_brain)   # port 0: a free one
    client = openai.AsyncOpenAI(base_url=server.base_url, api_key="x", http_client=httpx.AsyncClient())
    server.stop()

`POST /v1/chat/completions` (plain and SSE streaming, tool calls, usage), `GET /v1/models`,
`GET /health`. A brain writes each reply (`--brain module:function`: the system's own, from
`[tool.harness.system] brain`; by default a generic answer);
seeded latency profiles delay it per model; seeded fault rules spoil it on demand, set by
a config file (JSON or TOML) or at run time through `/_control/...`. See `_faults`,
`_latency`, `_config` and `_control` for the formats.
"""

from ._completion import placeholder_arguments
from ._config import AgentRule, ServerConfig, load_config, parse_config
from ._faults import HANG_MAX_S, LLM_FAULT_KINDS, FaultPlan, FaultRule, Target
from ._latency import BUILTIN_PROFILES, Delay, LatencyConfig, LatencyProfile, LatencySampler
from ._run import DEFAULT_PORT, serve_mock_llm
from ._server import MockLLMServer, start_in_thread
from ._state import (
    DEFAULT_BRAIN,
    Brain,
    RouteReader,
    generic_brain,
    load_brain,
    load_route_reader,
)

__all__ = [
    "BUILTIN_PROFILES",
    "DEFAULT_BRAIN",
    "DEFAULT_PORT",
    "HANG_MAX_S",
    "LLM_FAULT_KINDS",
    "AgentRule",
    "Brain",
    "Delay",
    "FaultPlan",
    "FaultRule",
    "LatencyConfig",
    "LatencyProfile",
    "LatencySampler",
    "MockLLMServer",
    "RouteReader",
    "ServerConfig",
    "Target",
    "generic_brain",
    "load_brain",
    "load_config",
    "load_route_reader",
    "parse_config",
    "placeholder_arguments",
    "serve_mock_llm",
    "start_in_thread",
]

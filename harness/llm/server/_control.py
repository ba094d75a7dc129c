"""The control API: change faults and latency while the server runs, read its counters.

    GET    /_control/faults    {"seed": 42, "faults": [rule, ...]}
    PUT    /_control/faults    same shape (or a bare list of rules); "seed" is optional and
                               defaults to the current one; every rule's generator restarts
    DELETE /_control/faults    no faults
    GET    /_control/latency   {"default", "models", "profiles", "builtin"}
    PUT    /_control/latency   {"default", "models", "profiles"}, as in the config file
    GET    /_control/stats     requests, completions, streams, faults by kind and by rule...
    POST   /_control/reset     back to the startup config, counters to zero

A bad body is answered 400 with every problem, each naming its field.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ._config import describe_errors
from ._faults import FaultRule
from ._latency import BUILTIN_PROFILES, LatencyConfig
from ._messages import Request, Response
from ._replies import ApiError, json_response
from ._state import ServerState

__all__ = ["ControlApi"]

Route = Callable[[Request], Response]


class _FaultsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed: int | None = None
    faults: list[FaultRule] = Field(default_factory=list)


def _body(request: Request) -> Any:
    try:
        return json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"{request.method} {request.path}: the body is not valid JSON: {exc}") from None


def _validate(model: type[BaseModel], data: Any, request: Request) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        message = describe_errors(exc, f"{request.method} {request.path}")
        raise ApiError(400, message, error_code="invalid_control_request") from None


class ControlApi:
    def __init__(self, state: ServerState) -> None:
        self.state = state

    def routes(self) -> dict[tuple[str, str], Route]:
        return {
            ("GET", "/_control/faults"): self.get_faults,
            ("PUT", "/_control/faults"): self.put_faults,
            ("DELETE", "/_control/faults"): self.delete_faults,
            ("GET", "/_control/latency"): self.get_latency,
            ("PUT", "/_control/latency"): self.put_latency,
            ("GET", "/_control/stats"): self.get_stats,
            ("POST", "/_control/reset"): self.reset,
        }

    def get_faults(self, request: Request) -> Response:
        return json_response(self.state.plan.to_json())

    def put_faults(self, request: Request) -> Response:
        data = _body(request)
        update = _validate(_FaultsUpdate, {"faults": data} if isinstance(data, list) else data, request)
        self.state.set_faults(update.faults, update.seed)
        return self.get_faults(request)

    def delete_faults(self, request: Request) -> Response:
        self.state.set_faults([])
        return self.get_faults(request)

    def get_latency(self, request: Request) -> Response:
        config = self.state.latency.config.model_dump(mode="json", exclude_none=True)
        builtin = {name: p.model_dump(mode="json", exclude_none=True) for name, p in BUILTIN_PROFILES.items()}
        return json_response({**config, "builtin": builtin})

    def put_latency(self, request: Request) -> Response:
        data = _body(request)
        self.state.set_latency(_validate(LatencyConfig, data, request))
        return self.get_latency(request)

    def get_stats(self, request: Request) -> Response:
        return json_response(self.state.stats.snapshot(self.state.plan))

    def reset(self, request: Request) -> Response:
        self.state.reset()
        return json_response({"status": "reset"})

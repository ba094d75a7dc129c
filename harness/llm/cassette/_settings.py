"""Cassette settings: `[tool.harness.cassette]`, env `HARNESS_CASSETTE_*`, or the options of
`harness llm --record/--replay` and `@pytest.mark.cassette(...)`.

    [tool.harness.cassette]
    match = ["model", "messages", "tools"]   # what a replayed request must equal
    timing = "recorded"                      # the server's pace: recorded, none, scaled:F
    upstream = "https://api.openai.com/v1"   # where a recording goes (HARNESS_CASSETTE_RECORD=1)
    key_env = "OPENAI_API_KEY"               # its key; "" forwards the client's own

`HARNESS_CASSETTE_RECORD=1 pytest ...` re-records every `@pytest.mark.cassette` test against
`upstream` instead of replaying it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, model_validator
from pydantic_settings import SettingsConfigDict

from ..._config import HarnessSettings, build_settings
from ._match import DEFAULT_MATCH, parse_match
from ._timing import parse_timing

__all__ = ["CassetteConfig", "CassetteSettings", "load_cassette_settings"]


def _timing(value: Any) -> str:
    return str(parse_timing(value))


# One check each for the settings and the server's config: a bad value fails where it is read.
MatchFields = Annotated[tuple[str, ...], BeforeValidator(parse_match)]
Pace = Annotated[str, BeforeValidator(_timing)]


class CassetteSettings(HarnessSettings):
    model_config = SettingsConfigDict(
        env_prefix="HARNESS_CASSETTE_",
        extra="forbid",
        frozen=True,
        pyproject_toml_table_header=("tool", "harness", "cassette"),
    )

    record: bool = False
    match: MatchFields = DEFAULT_MATCH
    timing: Pace = "recorded"
    upstream: str = "https://api.openai.com/v1"
    key_env: str = "OPENAI_API_KEY"


def load_cassette_settings(pyproject: str | Path | None = None, **overrides: Any) -> CassetteSettings:
    return build_settings(CassetteSettings, pyproject, **overrides)


class CassetteConfig(BaseModel):
    """The mock LLM server's cassette: record through it to `upstream`, or replay it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["record", "replay"]
    path: str
    upstream: str | None = None
    key_env: str | None = None
    match: MatchFields = DEFAULT_MATCH
    timing: Pace = "recorded"

    @model_validator(mode="after")
    def _upstream_to_record(self) -> CassetteConfig:
        if self.mode == "record" and not self.upstream:
            raise ValueError("recording needs the real endpoint: give upstream (--upstream URL)")
        return self

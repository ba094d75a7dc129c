"""Redaction at write time: nothing secret or personal reaches a cassette file.

- Headers: none is stored but `X-Harness-Agent` (requests) and `content-type`, `retry-after`,
  `x-should-retry` (responses): an `Authorization` or `api-key` header never reaches the recorder's
  file, whatever its name or case.
- Secrets in bodies: API-key shapes and the very key the recorder was given become `[SECRET]`
  (`harness._secrets`, the finder the report uses too).
- PII: every string through `harness.pii.redact` (cards, emails, IBANs, phones, DNI/NIE).
  A streamed answer is redacted across its chunks: a card number split over three events is found
  in the joined text and masked where it lies, so no fragment of it stays in any chunk.

A replayed request is scrubbed the same way before it is matched, so a recording made from a
prompt holding an email still matches that prompt.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..._secrets import SECRET_TAG, scrub_secrets, secret_spans
from ...pii import find_pii, redact

__all__ = ["KEPT_REQUEST_HEADERS", "kept_headers", "scrub", "scrub_stream"]

KEPT_REQUEST_HEADERS = ("x-harness-agent",)
_KEPT_RESPONSE_HEADERS = ("content-type", "retry-after", "x-should-retry")


def kept_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The response headers worth replaying; every other one (cookies, ids, keys) is dropped."""
    return {name.lower(): value for name, value in headers if name.lower() in _KEPT_RESPONSE_HEADERS}


def scrub_text(text: str, secrets: Iterable[str] = ()) -> str:
    return redact(scrub_secrets(text, secrets))


def scrub(obj: Any, secrets: tuple[str, ...] = ()) -> Any:
    """`obj` (decoded JSON) with every string, keys too, scrubbed of secrets and PII."""
    if isinstance(obj, str):
        return scrub_text(obj, secrets)
    if isinstance(obj, Mapping):
        return {scrub_text(str(k), secrets): scrub(v, secrets) for k, v in obj.items()}
    if isinstance(obj, list):
        return [scrub(item, secrets) for item in obj]
    return obj


def scrub_stream(events: list[Any], secrets: tuple[str, ...] = ()) -> list[Any]:
    """The decoded events of a stream, scrubbed; text split across events is redacted as a whole."""
    for pieces in _split_texts(events):
        _mask_pieces(pieces, secrets)
    return [scrub(event, secrets) for event in events]


# A streamed text is a run of pieces: (the dict holding it, its key). Grouped by what they spell.
_Piece = tuple[dict[str, Any], str]


def _split_texts(events: list[Any]) -> list[list[_Piece]]:
    groups: dict[tuple[object, ...], list[_Piece]] = {}
    for event in events:
        choices = event.get("choices") if isinstance(event, dict) else None
        for choice in choices if isinstance(choices, list) else ():
            delta = choice.get("delta") if isinstance(choice, dict) else None
            if not isinstance(delta, dict):
                continue
            index = choice.get("index")
            for key in ("content", "refusal", "reasoning_content"):
                if isinstance(delta.get(key), str):
                    groups.setdefault((index, key), []).append((delta, key))
            for call in delta.get("tool_calls") or ():
                function = call.get("function") if isinstance(call, dict) else None
                if isinstance(function, dict) and isinstance(function.get("arguments"), str):
                    groups.setdefault((index, "tool", call.get("index")), []).append((function, "arguments"))
    return list(groups.values())


def _mask_pieces(pieces: list[_Piece], secrets: tuple[str, ...]) -> None:
    """Redact the text the pieces spell; each piece keeps what of it lies in its own span."""
    texts = [holder[key] for holder, key in pieces]
    joined = "".join(texts)
    spans = [(m.start, m.end, m.kind.tag) for m in find_pii(joined)]
    spans += [(begin, end, SECRET_TAG) for begin, end in secret_spans(joined, secrets)]
    if not spans:
        return
    start, merged = 0, _merged(spans)
    for (holder, key), text in zip(pieces, texts, strict=True):
        holder[key] = _masked(text, start, merged)
        start += len(text)


def _merged(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    for begin, end, tag in sorted(spans):
        if out and begin < out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]), out[-1][2])
        else:
            out.append((begin, end, tag))
    return out


def _masked(text: str, offset: int, spans: list[tuple[int, int, str]]) -> str:
    """`text` (at `offset` in the joined text) with the spans cut out; the piece where a span
    begins carries its tag."""
    out, pos = [], 0
    for begin, end, tag in spans:
        lo, hi = max(begin - offset, 0), min(end - offset, len(text))
        if lo >= len(text) or hi <= 0:
            continue
        out.append(text[pos:lo])
        out.append(tag if begin >= offset else "")
        pos = hi
    return "".join(out) + text[pos:]

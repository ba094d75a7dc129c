"""JSON the way Go's `encoding/json` reads and writes it, for byte-compatible answers.

Reading: only the first JSON value of a body counts, unknown keys are ignored, keys
match field names case-insensitively, `null` leaves a field alone, and a wrong type is
an error worded like Go's. Writing: compact, `<>&` escaped as `\\u003c`..., float32
printed in its shortest form (`1`, not `1.0`).
"""

from __future__ import annotations

import json
import math
import re
import struct
from decimal import Decimal
from typing import Any

__all__ = [
    "Float32",
    "GoJSONError",
    "Number",
    "Pairs",
    "decode",
    "format_float32",
    "kind",
    "marshal",
    "struct_fields",
]

_FLOAT32_MAX = 3.4028234663852886e38
_INT64 = (-(2**63), 2**63 - 1)


class GoJSONError(ValueError):
    """A body Go's decoder would reject; the message is Go's wording."""


class Pairs(list[tuple[str, Any]]):
    """A JSON object as its key/value pairs, in order, duplicates kept (Go applies each)."""


class Number:
    """A JSON number kept as its literal, so int/float checks and messages match Go's."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class Float32(float):
    """A float that marshals like Go's float32."""


_decoder = json.JSONDecoder(object_pairs_hook=Pairs, parse_float=Number, parse_int=Number)
_WS = re.compile(r"[ \t\n\r]*")


def decode(body: bytes) -> Any:
    """The first JSON value in `body`; raises GoJSONError worded as Go's decoder."""
    text = body.decode("utf-8", errors="replace")
    start = _WS.match(text, 0).end()  # type: ignore[union-attr]
    if start >= len(text):
        raise GoJSONError("EOF")
    try:
        value, _ = _decoder.raw_decode(text, start)
    except json.JSONDecodeError as err:
        raise GoJSONError(_go_syntax_error(err)) from None
    return value


def _go_syntax_error(err: json.JSONDecodeError) -> str:
    if err.pos >= len(err.doc) or err.msg.startswith("Unterminated string"):
        return "unexpected EOF"
    char = _quote_char(err.doc[err.pos])
    if err.msg.startswith("Expecting property name"):
        return f"invalid character {char} looking for beginning of object key string"
    if err.msg.startswith("Expecting ':'"):
        return f"invalid character {char} after object key"
    if err.msg.startswith("Expecting ','"):
        inside = "object key:value pair" if _innermost_open(err.doc, err.pos) == "{" else "array element"
        return f"invalid character {char} after {inside}"
    if err.msg.startswith("Invalid control character"):
        return f"invalid character {char} in string literal"
    if err.msg.startswith("Invalid \\escape"):
        escaped = _quote_char(err.doc[err.pos + 1 : err.pos + 2] or " ")
        return f"invalid character {escaped} in string escape code"
    return f"invalid character {char} looking for beginning of value"


def _innermost_open(doc: str, pos: int) -> str:
    """Whether `pos` sits in an object or an array (strings are skipped roughly, enough for a message)."""
    stack: list[str] = []
    in_string = escaped = False
    for ch in doc[:pos]:
        if in_string:
            escaped, in_string = (not escaped and ch == "\\"), (escaped or ch != '"')
        elif ch == '"':
            in_string = True
        elif ch in "{[":
            stack.append(ch)
        elif ch in "}]" and stack:
            stack.pop()
    return stack[-1] if stack else ""


def _quote_char(ch: str) -> str:
    if ch == "'":
        return "'\\''"
    if ch == '"':
        return "'\"'"
    if ch.isprintable():
        return f"'{ch}'"
    return "'" + json.dumps(ch)[1:-1] + "'"


def kind(value: Any) -> str:
    """Go's name for a JSON value in an UnmarshalTypeError."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Number):
        return "number"
    if isinstance(value, Pairs):
        return "object"
    return "array"


def struct_fields(value: Any, fields: dict[str, str], struct_name: str, go_type: str) -> dict[str, Any]:
    """Decode `value` into a Go struct with `fields` (name -> Go type); returns what was set."""
    if value is None:
        return {}
    if not isinstance(value, Pairs):
        raise GoJSONError(f"json: cannot unmarshal {kind(value)} into Go value of type {go_type}")
    folded = {name.casefold(): name for name in fields}
    found: dict[str, Any] = {}
    for key, item in value:
        name = key if key in fields else folded.get(key.casefold())
        if name is None or item is None:
            continue  # unknown keys and nulls leave the struct as it was, as in Go
        found[name] = convert(item, fields[name], f"{struct_name}.{name}")
    return found


def convert(value: Any, go_type: str, where: str) -> Any:
    """A JSON value as a Python value of the Go type; an object passes through as Pairs."""
    if go_type.startswith("object:"):  # a nested struct, named for messages: "object:pkg.Type"
        if isinstance(value, Pairs):
            return value
        raise _type_error(kind(value), go_type.partition(":")[2], where)
    if {"string": isinstance(value, str), "bool": isinstance(value, bool)}.get(go_type):
        return value
    if isinstance(value, Number) and go_type in ("int", "int64"):
        return _to_int(value, go_type, where)
    if isinstance(value, Number) and go_type == "float32":
        return _to_float32(value, where)
    raise _type_error(kind(value), go_type, where)


def _to_int(value: Number, go_type: str, where: str) -> int:
    if re.fullmatch(r"-?\d+", value.text) and _INT64[0] <= int(value.text) <= _INT64[1]:
        return int(value.text)
    raise _type_error(f"number {value.text}", go_type, where)


def _to_float32(value: Number, where: str) -> float:
    number = float(value.text)
    if math.isinf(number) or abs(number) > _FLOAT32_MAX:
        raise _type_error(f"number {value.text}", "float32", where)
    return struct.unpack("f", struct.pack("f", number))[0]  # type: ignore[no-any-return]


def _type_error(what: str, go_type: str, where: str) -> GoJSONError:
    return GoJSONError(f"json: cannot unmarshal {what} into Go struct field {where} of type {go_type}")


def marshal(value: Any) -> bytes:
    """Compact JSON as Go's json.Marshal writes it."""
    return _encode(value).encode()


def _encode(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Float32):
        return format_float32(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _encode_str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{_encode_str(k)}:{_encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_encode(v) for v in value) + "]"
    raise TypeError(f"cannot marshal {type(value).__name__} as Go JSON")


_HTML_SAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _encode_str(text: str) -> str:
    encoded = json.dumps(text, ensure_ascii=False)
    return re.sub("[<>&\u2028\u2029]", lambda m: _HTML_SAFE[m.group()], encoded)


def format_float32(value: float) -> str:
    """Shortest decimal that reads back as the same float32, in Go's 'f' or 'e' form."""
    f32 = struct.unpack("f", struct.pack("f", value))[0]
    digits = "0"
    for precision in range(1, 10):
        digits = f"{f32:.{precision}g}"
        if struct.unpack("f", struct.pack("f", float(digits)))[0] == f32:
            break
    if f32 != 0 and (abs(f32) < 1e-6 or abs(f32) >= 1e21):
        mantissa, _, exponent = f"{Decimal(digits):e}".partition("e")
        return f"{mantissa}e{int(exponent):+03d}".replace("e+0", "e+").replace("e-0", "e-")
    return format(Decimal(digits), "f")

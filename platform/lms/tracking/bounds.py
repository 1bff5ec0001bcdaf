"""What any stored value of an event may be: the bounds checked on every payload before
it reaches the database, whatever its source.

PostgreSQL refuses some values that JSON and Python allow: a NUL character in text or
jsonb, a lone UTF-16 surrogate (``"\\udcff"``, which ``json.loads`` accepts), and the
numbers ``NaN`` and ``Infinity`` (``json.loads`` accepts them too, and ``1e999`` becomes
infinity). One such value used to fail the whole batch's INSERT; checked here, it is a
per-event error and the rest of the batch is stored. The size bounds keep one event
from costing what a whole batch may cost:

- ``MAX_DEPTH``: containers nested inside a payload (the payload object itself is level 1);
- ``MAX_STRING_CHARS``: characters in any string of a payload, key or value;
- ``MAX_PAYLOAD_BYTES``: the payload as UTF-8 JSON, for browser events
  (``MAX_TRUSTED_PAYLOAD_BYTES`` for the server's own events and imports: a lab's graded
  tests are larger than anything a browser sends).

The whole request is bounded before parsing (:data:`MAX_BATCH_BYTES`, checked by
``apis``; parsing itself stops at Python's recursion limit: a 400).
"""

from __future__ import annotations

import math
from itertools import chain

MAX_BATCH_BYTES = 1024 * 1024  # a POST /api/events body
MAX_DEPTH = 16
MAX_STRING_CHARS = 4096
MAX_PAYLOAD_BYTES = 64 * 1024
MAX_TRUSTED_PAYLOAD_BYTES = 1024 * 1024
NUMBER_BYTES = 16  # what a number, true, false or null is counted as in the size estimate


class BoundError(ValueError):
    """A value an event may not carry; ``where`` is its path (``payload.a.0``)."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(message)
        self.where, self.message = where, message


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, or None. ASCII (nearly every string) costs
    one C-level test; other strings one UTF-8 encoding, which fails on a lone surrogate."""
    if len(value) > MAX_STRING_CHARS:
        return f"a string longer than {MAX_STRING_CHARS} characters ({len(value)})"
    if value.isascii():
        return "a NUL character (\\u0000)" if "\x00" in value else None
    if "\x00" in value:
        return "a NUL character (\\u0000)"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "a lone surrogate (an invalid Unicode character)"
    return None


def _path(where: object) -> str:
    """``("payload", "a"), 0`` nested pairs -> ``payload.a.0`` (built only for an error)."""
    parts = []
    while isinstance(where, tuple):
        where, key = where
        parts.append(str(key)[:40])
    return ".".join([str(where), *reversed(parts)])


def _finite_numbers(items: list) -> bool:
    """Whether ``items`` holds only finite numbers: one C-level ``sum`` for the common
    case (played segments, lists of scores); False sends the caller item by item."""
    try:
        return math.isfinite(sum(items))
    except (TypeError, OverflowError):  # not all numbers; an int too large for a float
        return False


def _finite_number_rows(items: list) -> bool:
    """Whether ``items`` is a list of lists of finite numbers ([start, end] segments)."""
    if set(map(type, items)) != {list}:
        return False
    try:
        return math.isfinite(sum(chain.from_iterable(items)))
    except (TypeError, OverflowError):
        return False


def payload_check(payload: dict, *, max_bytes: int = MAX_PAYLOAD_BYTES) -> None:
    """Raise ``BoundError`` for the first value of ``payload`` outside the bounds.

    Walks the payload once with an explicit stack (no recursion: the depth bound is
    what is being checked). The size is estimated on the way, as the JSON text would
    be: string lengths (times 3 beyond ASCII, UTF-8's bound for these characters) plus a
    few bytes per value, so no second serialization is needed on the hot path. Paths
    are kept as nested pairs and spelled out only for an error."""
    size = 0
    stack: list[tuple[object, object, int]] = [(payload, "payload", 1)]
    while stack:
        value, where, depth = stack.pop()
        kind = type(value)
        if kind is dict:
            if depth > MAX_DEPTH:
                raise BoundError(_path(where), f"nested deeper than {MAX_DEPTH} levels")
            for key, item in value.items():
                key = key if type(key) is str else str(key)  # json.loads keys are strings
                if not (len(key) <= MAX_STRING_CHARS and key.isascii() and "\x00" not in key):
                    problem = text_problem(key)  # the slow path only off the common case
                    if problem:
                        raise BoundError(_path(where), f"a key holds {problem}")
                size += len(key) + 4
                stack.append((item, (where, key), depth + 1))
        elif kind is list:
            if depth > MAX_DEPTH:
                raise BoundError(_path(where), f"nested deeper than {MAX_DEPTH} levels")
            rows = bool(value) and type(value[0]) is list
            if not rows and _finite_numbers(value):
                size += NUMBER_BYTES * len(value)
            elif rows and depth < MAX_DEPTH and _finite_number_rows(value):
                size += NUMBER_BYTES * sum(map(len, value)) + 2 * len(value)
            else:
                stack.extend((item, (where, position), depth + 1) for position, item in enumerate(value))
        elif kind is str:
            if len(value) <= MAX_STRING_CHARS and value.isascii() and "\x00" not in value:
                size += len(value) + 2
            else:
                problem = text_problem(value)
                if problem:
                    raise BoundError(_path(where), f"the value holds {problem}")
                size += 3 * len(value) + 2
        elif kind is float:
            if not math.isfinite(value):
                raise BoundError(_path(where), "numbers must be finite (no NaN or Infinity)")
            size += NUMBER_BYTES
        else:  # int, bool, None (and, from server code, other JSON-encodable scalars)
            size += NUMBER_BYTES
        if size > max_bytes:
            raise BoundError("payload", f"payload is larger than {max_bytes} bytes")

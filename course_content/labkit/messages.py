"""The one function every text shown to a learner goes through.

Test messages, hints, tracebacks, the notebook's error, the not-gradable reason and the
syntax error's source line can all carry the learner's own text (an exception message,
a returned string), and end up in PostgreSQL (JSON and text columns) and on every poll
of the lab page. PostgreSQL refuses ``\\x00`` and lone surrogates (``DataError``, an
encoding error), and an unbounded message is stored and re-sent forever. So
:func:`clean_text` bounds the length (with a visible marker) and replaces what cannot be
stored. ``labkit.grade`` applies it where results are built, and
``lms.labs.grading.feedback`` applies it again before anything is stored.

Standard library only: the output reader (``readback.py``) uses it too.
"""

from __future__ import annotations

import re

MAX_TEXT = 4_000  # a test message, a reason
MAX_TRACEBACK = 8_000  # a traceback, the notebook's error
MAX_HINT = 2_000
MAX_NAME = 200

# NUL and the other C0 controls but tab/newline/carriage return, DEL, and every
# surrogate code point (a Python str holding one cannot be encoded as UTF-8).
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def clean_text(text: object, limit: int = MAX_TEXT) -> str:
    """``text`` safe to store and show: controls and surrogates replaced by U+FFFD, at
    most ``limit`` characters, ending with "… (N more characters)" when cut.

    Anything that is not a ``str`` becomes "" (the callers hold strings; a stray None or
    number must not turn into an exception here).
    """
    if not isinstance(text, str):
        return ""
    if len(text) <= limit:
        return _UNSAFE.sub(REPLACEMENT, text)
    marker_room = 40  # "… (1,234,567,890 more characters)" fits
    keep = max(0, limit - marker_room)
    return _UNSAFE.sub(REPLACEMENT, text[:keep]) + f"… ({len(text) - keep:,} more characters)"

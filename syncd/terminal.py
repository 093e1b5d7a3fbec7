"""What a terminal may be shown of text syncd did not write: tracker data, plan names, errors."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` with ESC and every other control character (C0 but tab and newline, DEL, C1) as
    U+FFFD, so it cannot move the cursor, set a window title or hide what follows."""
    return _CONTROL.sub("\ufffd", text)

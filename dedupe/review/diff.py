"""Word diffs between two documents: shared passages and changed words, as plain data.

Opcodes come from rapidfuzz's Levenshtein alignment over the words (not characters), so a
copy edit reads as the few words that changed inside long shared passages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from rapidfuzz.distance import Levenshtein

DiffOp = Literal["equal", "delete", "insert", "replace"]
# Words of a long shared passage shown on each side of the elision in text renderings.
CONTEXT_WORDS = 12
_TOKEN = re.compile(r"\S+\s*")


@dataclass(frozen=True, slots=True)
class DiffSegment:
    """One run of the alignment: ``before`` (from the first text) and ``after`` (the second)."""

    op: DiffOp
    before: str
    after: str

    def to_dict(self) -> dict[str, str]:
        """Return the segment as JSON-ready data."""
        return {"op": self.op, "before": self.before, "after": self.after}


def word_diff(before: str, after: str) -> list[DiffSegment]:
    """Align two texts word by word; the segments rebuild both texts exactly.

    Example:
        >>> [s.op for s in word_diff("the old port", "the new port")]
        ['equal', 'replace', 'equal']
    """
    left = _TOKEN.findall(before)
    right = _TOKEN.findall(after)
    segments = []
    for code in Levenshtein.opcodes([t.strip() for t in left], [t.strip() for t in right]):
        op: DiffOp = code.tag  # type: ignore[assignment]  # rapidfuzz's tags are these four
        before = "".join(left[code.src_start : code.src_end])
        segments.append(DiffSegment(op, before, "".join(right[code.dest_start : code.dest_end])))
    return segments


def shorten(passage: str, context: int = CONTEXT_WORDS) -> str:
    """Keep the first and last ``context`` words of a long passage, with an elision between."""
    words = passage.split()
    if len(words) <= 2 * context + 3:
        return " ".join(words)
    hidden = len(words) - 2 * context
    head, tail = " ".join(words[:context]), " ".join(words[-context:])
    return f"{head} [... {hidden} shared words ...] {tail}"


def diff_text(segments: list[DiffSegment], context: int = CONTEXT_WORDS) -> str:
    """Render a diff as plain text: ``[-removed-]``, ``{+added+}``, long shared runs elided."""
    parts = []
    for segment in segments:
        if segment.op == "equal":
            parts.append(shorten(segment.before, context))
        if segment.op in ("delete", "replace"):
            parts.append(f"[-{' '.join(segment.before.split())}-]")
        if segment.op in ("insert", "replace"):
            parts.append(f"{{+{' '.join(segment.after.split())}+}}")
    return " ".join(part for part in parts if part)

"""Small text helpers shared by the terminal, HTML and CLI renderers."""

from __future__ import annotations


def counted(count: int, noun: str) -> str:
    """A count with its noun in the right number.

    >>> counted(1, "entry"), counted(3, "entry"), counted(2, "execution key")
    ('1 entry', '3 entries', '2 execution keys')
    """
    if count == 1:
        return f"{count} {noun}"
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "i", "o", "u"):
        return f"{count} {noun[:-1]}ies"
    return f"{count} {noun}s"

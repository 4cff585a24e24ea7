"""The one error type for mistakes a user can make in a sweep file or on the command line."""

from __future__ import annotations


class SweepError(Exception):
    """A user mistake: printed as one line (``file: key.path: what is wrong``), exit status 2.

    ``where`` is the file (or ``--set``) and ``path`` the dotted key path inside it, so every
    message says which file, which key, what it got and what is allowed.
    """

    def __init__(self, message: str, *, where: str | None = None, path: str | None = None):
        self.message = message
        self.where = where
        self.path = path
        super().__init__(str(self))

    def located(self, where: str) -> "SweepError":
        """The same error attributed to ``where`` unless it already names a place."""
        return SweepError(self.message, where=self.where or where, path=self.path)

    def __str__(self) -> str:
        parts = [p for p in (self.where, self.path) if p]
        return one_line(": ".join([*parts, self.message]))


# What str.splitlines breaks at. Key paths and some messages quote a user's keys as written, and
# a key may hold any of these; escaped, the error still prints as one line.
_LINE_BREAKS = {ord(c): c.encode("unicode_escape").decode("ascii") for c in "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"}


def one_line(text: str) -> str:
    """``text`` with its line breaks escaped (a newline becomes the two characters \\n)."""
    return text.translate(_LINE_BREAKS)


def first_line(error: BaseException) -> str:
    """An exception's message cut to its first line (its type name when it has none)."""
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def show(value: object, limit: int = 60) -> str:
    """A short, single-line rendering of a user's value for an error message."""
    text = repr(value).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."

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
        return ": ".join([*parts, self.message])


def first_line(error: BaseException) -> str:
    """An exception's message cut to its first line (its type name when it has none)."""
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def show(value: object, limit: int = 60) -> str:
    """A short, single-line rendering of a user's value for an error message."""
    text = repr(value).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."

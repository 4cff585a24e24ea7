"""The one error type for mistakes a user can make in a sweep file or on the command line."""

from __future__ import annotations

import difflib
from typing import Any


class SweepError(Exception):
    """A user mistake: printed as one line (``file:line:column: key.path: what is wrong``), exit
    status 2.

    ``where`` is the file (or ``--set``), ``path`` the dotted key path inside it and ``position``
    the key's line and column in the file where it is known, so every message says which file,
    which key, what it got and what is allowed.
    """

    def __init__(
        self,
        message: str,
        *,
        where: str | None = None,
        path: str | None = None,
        position: tuple[int, int] | None = None,
    ):
        self.message = message
        self.where = where
        self.path = path
        self.position = position
        super().__init__(str(self))

    def located(self, where: str) -> SweepError:
        """The same error attributed to ``where`` unless it already names a place."""
        return SweepError(
            self.message, where=self.where or where, path=self.path, position=self.position
        )

    def placed(self, positions: dict[str, tuple[int, int]]) -> SweepError:
        """The same error with the line and column of its key (or of the nearest enclosing key)."""
        path = self.path
        while path and path not in positions:
            path = path[: max(path.rfind("."), path.rfind("["), 0)]
        position = positions.get(path) if path else None
        return SweepError(
            self.message, where=self.where, path=self.path, position=self.position or position
        )

    @property
    def errors(self) -> list[SweepError]:
        """The mistakes to show (for several, at most ``MAX_REPORTED``)."""
        return [self]

    @property
    def every(self) -> list[SweepError]:
        """All of the mistakes found."""
        return [self]

    def __str__(self) -> str:
        where = self.where
        if where and self.position:
            where = f"{where}:{self.position[0]}:{self.position[1]}"
        parts = [p for p in (where, self.path) if p]
        return one_line(": ".join([*parts, self.message]))


MAX_REPORTED = 20


class SweepErrors(SweepError):
    """Several mistakes found in one pass, printed one a line (the first ``MAX_REPORTED``)."""

    def __init__(self, errors: list[SweepError]):
        self._every = errors
        first = errors[0]
        super().__init__(first.message, where=first.where, path=first.path, position=first.position)

    @property
    def errors(self) -> list[SweepError]:
        return self._every[:MAX_REPORTED]

    @property
    def every(self) -> list[SweepError]:
        return self._every

    @property
    def total(self) -> int:
        return len(self._every)

    def located(self, where: str) -> SweepErrors:
        return SweepErrors([error.located(where) for error in self._every])

    def placed(self, positions: dict[str, tuple[int, int]]) -> SweepErrors:
        return SweepErrors([error.placed(positions) for error in self._every])

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)


def summary(error: SweepError, source: str | None = None) -> list[str]:
    """The lines a launcher prints: each mistake, then (for several) how many there are."""
    lines = [str(one) for one in error.errors]
    if isinstance(error, SweepErrors) and error.total > 1:
        shown = (
            "" if error.total <= len(error.errors) else f" (the first {len(error.errors)} shown)"
        )
        lines.append(
            f"{error.total} mistakes{' in ' + source if source else ''}{shown}; nothing was started"
        )
    return lines


class Mistakes:
    """Collects the mistakes of independent checks, so that one pass reports them all.

    mistakes = Mistakes()
    name = mistakes.attempt(check_name, raw["name"])   # None when it failed
    mistakes.raise_if_any()
    """

    def __init__(self) -> None:
        self.found: list[SweepError] = []

    def add(self, error: SweepError) -> None:
        for one in error.every:
            if all(
                str(one) != str(seen) for seen in self.found
            ):  # the same mistake made twice is one line
                self.found.append(one)

    def attempt(self, check: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return check(*args, **kwargs)
        except SweepError as error:
            self.add(error)
            return None

    def __bool__(self) -> bool:
        return bool(self.found)

    def raise_if_any(self) -> None:
        if len(self.found) == 1:
            raise self.found[0]
        if self.found:
            raise SweepErrors(self.found)


def did_you_mean(word: Any, options: Any) -> str:
    """``; did you mean depth?`` for a misspelt key or name, or nothing when none is close."""
    close = difflib.get_close_matches(
        str(word), [str(option) for option in options], n=2, cutoff=0.6
    )
    return f"; did you mean {' or '.join(close)}?" if close else ""


# What str.splitlines breaks at. Key paths and some messages quote a user's keys as written, and
# a key may hold any of these; escaped, the error still prints as one line.
_LINE_BREAKS = {
    ord(c): c.encode("unicode_escape").decode("ascii")
    for c in "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
}


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

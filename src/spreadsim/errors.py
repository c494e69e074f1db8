"""The project's exception types.

Anything a user can cause (a bad file, key, value or folder) raises :class:`SpreadsimError` or a
subclass; the CLI prints it without a traceback and exits with status 2. Any other exception is a
bug and keeps its traceback (exit status 1).
"""

from __future__ import annotations

from dataclasses import dataclass


class SpreadsimError(Exception):
    """A problem with the user's input or environment, reported without a traceback."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem found in an input file.

    Attributes:
        key: Dotted key path (``hubs.0.core_fte``), or ``""`` for the whole file.
        expected: What was expected, in words.
        got: What came (shown with ``repr``); ``None`` when there is nothing to show.
        hint: Optional extra advice such as a did-you-mean.
    """

    key: str
    expected: str
    got: object = None
    hint: str = ""

    def __str__(self) -> str:
        text = f"{self.key}: " if self.key else ""
        text += f"expected {self.expected}"
        if self.got is not None:
            text += f", got {self.got!r}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class ScenarioError(SpreadsimError, ValueError):
    """An invalid scenario, experiment or data file; holds every problem found at once."""

    def __init__(self, path: str | None, problems: list[Problem] | list[str] | str) -> None:
        if isinstance(problems, str):
            problems = [problems]
        self.path = path
        self.problems = list(problems)
        super().__init__(self._format())

    def _format(self) -> str:
        where = self.path or "<input>"
        if len(self.problems) == 1:
            return f"{where}: {self.problems[0]}"
        lines = [f"{where}: {len(self.problems)} problems"]
        lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)

"""Errors and validation problems.

Every error a user can cause is a :class:`DezmapError`. Data problems are collected as
:class:`Problem` records (file, place, severity, message) in a :class:`Report`, so that a
validator can tell the user about every problem at once; a loader that meets an error raises a
:class:`DataError` carrying the whole report.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]


class DezmapError(Exception):
    """Base class of every error dezmap raises on purpose."""


class UsageError(DezmapError):
    """A command or function was called the wrong way (bad option, missing file)."""


class EditError(DezmapError):
    """An edit of the zones names something that is not there (an unknown zone or version).

    The command line exits 1 for it, like any other input it cannot use.
    """


class ConflictError(DezmapError):
    """The file changed on disk since the edit was loaded: saving would overwrite a change.

    Attributes
    ----------
    path
        The file.
    expected
        The sha256 the edit was based on (None: the edit expected no file).
    current
        The file's sha256 now (None: there is no file).
    """

    def __init__(self, path: str | Path, expected: str | None, current: str | None) -> None:
        self.path, self.expected, self.current = str(path), expected, current
        if current is None:
            what = "was removed since it was loaded"
        elif expected is None:
            what = "exists, but the edit was not based on it (no loaded version was given)"
        else:
            what = (
                f"changed on disk since it was loaded (sha256 {expected[:12]} when loaded, "
                f"{current[:12]} now): another editor, a second browser tab or a `git pull` "
                "saved it meanwhile"
            )
        super().__init__(
            f"{self.path}: {what}; nothing was saved. Reload the file and apply the edit "
            "again to the current version."
        )


@dataclass(frozen=True, order=True)
class Problem:
    """One problem found in a data file.

    Parameters
    ----------
    path
        The file, as the user named it.
    where
        The place in the file, in words: ``feature 3 (zone_id=eastern-ghouta), line 40`` or
        ``row 12, column occurred``; empty for the file as a whole.
    severity
        ``"error"`` (the data cannot be used as it is) or ``"warning"``.
    message
        What is wrong, the bad value and what to do.
    code
        A short stable name for the kind of problem (``"winding"``, ``"unknown-zone"``), for
        tests and tooling.
    """

    path: str
    where: str
    severity: Severity
    message: str
    code: str = field(default="", compare=False)

    def __str__(self) -> str:
        place = f"{self.path}:{self.where}" if self.where else self.path
        return f"{place}: {self.severity}: {self.message}"


@dataclass
class Report:
    """The problems found by one validation run, in the order they were found."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, path: str, where: str, severity: Severity, message: str, code: str = "") -> None:
        """Record one problem."""
        self.problems.append(Problem(path, where, severity, message, code))

    def error(self, path: str, where: str, message: str, code: str = "") -> None:
        """Record an error."""
        self.add(path, where, "error", message, code)

    def warning(self, path: str, where: str, message: str, code: str = "") -> None:
        """Record a warning."""
        self.add(path, where, "warning", message, code)

    def extend(self, problems: Iterable[Problem]) -> None:
        """Record several problems."""
        self.problems.extend(problems)

    @property
    def errors(self) -> list[Problem]:
        """The problems of severity error."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """The problems of severity warning."""
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings are allowed)."""
        return not self.errors

    def codes(self) -> set[str]:
        """The set of problem codes, for tests and tooling."""
        return {p.code for p in self.problems}

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.problems)

    def __len__(self) -> int:
        return len(self.problems)

    def summary(self) -> str:
        """One line that counts errors and warnings."""
        n_err, n_warn = len(self.errors), len(self.warnings)
        return f"{n_err} error{'s' * (n_err != 1)}, {n_warn} warning{'s' * (n_warn != 1)}"


class DataError(DezmapError):
    """Data that cannot be used; carries the validation problems that say why."""

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        self.problems = list(problems)
        lines = [message] + [str(p) for p in self.problems if p.severity == "error"]
        super().__init__("\n".join(lines))
        self.message = message


class ZoneFileError(DataError):
    """A zones GeoJSON file cannot be used."""


class RecordError(DataError):
    """An agreements or violations CSV file cannot be used."""


class GeometryError(DataError):
    """A geometry is unusable (not a polygon, invalid, out of range)."""


class ImportFileError(DataError):
    """An external data set (UCDP, ACLED, PA-X) cannot be imported."""

"""Problems found in curation or output, reported all at once with file, line, record and field."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong, located precisely enough for a curator to fix it.

    >>> str(Problem("curation/facts/s1p.yaml", 12, "CF0201", "claims[c2].object", "unknown entity key 'S1PR9'"))
    "curation/facts/s1p.yaml:12: CF0201 claims[c2].object: unknown entity key 'S1PR9'"
    """

    file: str
    line: int
    record: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        what = " ".join(part for part in (self.record, self.field) if part)
        return f"{where}: {what}: {self.message}" if what else f"{where}: {self.message}"


class Reported(Exception):
    """A failure whose :meth:`report` is what the user reads (the command line prints it, exit 1)."""

    def report(self) -> str:
        return str(self)


class ProblemsFound(Reported):
    """Raised when a stage finds problems; carries all of them."""

    def __init__(self, stage: str, problems: list[Problem]):
        self.stage = stage
        self.problems = sorted(set(problems))
        super().__init__(f"{stage}: {len(self.problems)} problem(s)")

    def report(self) -> str:
        lines = [f"{self.stage} failed with {len(self.problems)} problem(s):"]
        lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)

"""Errors of a policy file, each pointing at the line that caused it."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class PolicyProblem:
    line: int | None
    path: str
    message: str

    def as_dict(self) -> dict:
        return asdict(self)

    def format(self, filename: str) -> str:
        return f"{filename}:{self.line or 0}: {self.message} ({self.path})" if self.path else (
            f"{filename}:{self.line or 0}: {self.message}"
        )


class PolicyError(Exception):
    """A policy that cannot be used; `problems` lists every mistake found, by line."""

    def __init__(self, problems: list[PolicyProblem], filename: str = "rules.yaml") -> None:
        self.problems = problems
        self.filename = filename
        super().__init__("\n".join(p.format(filename) for p in problems))

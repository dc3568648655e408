"""The result of one doctor check: ``ok``, ``warning`` or ``error``, with what was found and the fix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Status = Literal["ok", "warning", "error"]


@dataclass(frozen=True)
class Check:
    """The result of one check."""

    name: str
    status: Status
    detail: str
    fix: str = ""

    def line(self) -> str:
        """``status  name: detail -> fix``."""
        text = f"{self.status:<7} {self.name}: {self.detail}"
        return f"{text} -> {self.fix}" if self.fix else text


def ok(name: str, detail: str) -> Check:
    """A passed check."""
    return Check(name, "ok", detail)


def warning(name: str, detail: str, fix: str) -> Check:
    """Works, but should be fixed."""
    return Check(name, "warning", detail, fix)


def error(name: str, detail: str, fix: str) -> Check:
    """Does not work until fixed."""
    return Check(name, "error", detail, fix)

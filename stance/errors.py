"""User-facing errors: one line naming where the problem is and how to fix it."""

from __future__ import annotations


class StanceError(Exception):
    """A problem with the user's input, configuration or files (not a bug in stance).

    The CLI prints `str(error)` as a single line and exits non-zero without a traceback.
    """

    def __init__(self, message: str, *, where: str | None = None, fix: str | None = None) -> None:
        self.message = message
        self.where = where
        self.fix = fix
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.fix:
            text = f"{text} -> fix: {self.fix}"
        return " ".join(text.split())


def check_setting(ok: bool, where: str, value: object, allowed: str) -> None:
    """Refuse a setting's value in one line when `ok` is false: `allowed` says what the setting takes."""
    if not ok:
        raise StanceError(f"{value!r} is not allowed", where=where, fix=f"set {where} to {allowed}")

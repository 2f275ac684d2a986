"""Every domain error groupgov raises. The web layer maps them to HTTP in one place (api/errors.py).

Messages meant for users are Chinese; diagram errors name the BPMN element id.
"""

from __future__ import annotations

from dataclasses import dataclass


class AppError(Exception):
    """Base of all application errors. ``message`` is shown to the user as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(AppError):
    """The thing asked for does not exist (or is hidden from the caller)."""


class NotAuthenticated(AppError):
    """No valid credentials."""


class Forbidden(AppError):
    """The caller is known but may not do this."""


class Unavailable(AppError):
    """An optional part of the server (LibreOffice, the scheduler) is not there, or the database stayed busy;
    try again or another way (503)."""


class Conflict(AppError):
    """The state changed meanwhile (task already completed, instance moved on)."""


class TooSoon(AppError):
    """The same action was taken too recently (催办 at most once an hour); ``retry_after`` is in seconds (429)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class FieldError:
    field: str
    message: str


class InvalidInput(AppError):
    """Input that fails validation; ``errors`` lists the fields and what is wrong with each."""

    def __init__(self, message: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


@dataclass
class DiagramError:
    """One problem in a BPMN file, tied to the element (``element_id``) a process owner must change."""

    element_id: str
    message: str
    file: str = ""

    def __str__(self) -> str:
        where = f"{self.file}: " if self.file else ""
        return f"{where}[{self.element_id}] {self.message}"


class InvalidDiagram(AppError):
    """A diagram that cannot be deployed; nothing of the deployment was applied."""

    def __init__(self, errors: list[DiagramError]) -> None:
        super().__init__("流程图校验未通过：" + "；".join(str(e) for e in errors))
        self.errors = errors


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"第{self.row}行「{self.column}」：{self.message}"


class InvalidImport(AppError):
    """An org import file with bad rows; nothing was imported."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("导入失败，未导入任何数据：\n" + "\n".join(str(e) for e in errors))
        self.errors = errors


class EngineFailure(AppError):
    """A service task or timer failed inside an instance; recorded as an incident."""

"""The handlers a diagram's service tasks may call, registered by name (``camunda:topic``).

A handler is ``fn(ctx: HandlerContext, **inputs) -> dict | None``; what it returns is merged into the task
data. Handlers open no sessions and commit nothing: the use case that runs the engine owns the transaction
and hands each call a context (instance facts, data, the operations it may perform, the clock).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


class Operations(Protocol):
    """What handlers may change; implemented by the use-case layer over the current transaction."""

    def find_similar_groups(self, unit_id: int, name: str, function: str) -> list[dict[str, Any]]: ...
    def file_group(self, ctx: "HandlerContext", fields: dict[str, Any]) -> dict[str, Any]: ...
    def notify(self, ctx: "HandlerContext", kind: str, role: str | None, message: str) -> int: ...
    def record(self, ctx: "HandlerContext", action: str, details: dict[str, Any]) -> None: ...

    @property
    def registry(self) -> Any:
        """Registry changes of the other processes (workflows/services/registry_ops.py)."""

    @property
    def documents(self) -> Any:
        """Render and store the measures' forms (workflows/services/document_ops.py)."""


@dataclass
class HandlerContext:
    """What a handler sees of the instance it runs in."""

    instance_id: int
    process_key: str
    element_id: str
    unit_id: int | None
    starter_id: int | None
    data: dict[str, Any]
    now: datetime
    ops: Operations
    extra: dict[str, Any] = field(default_factory=dict)


Handler = Callable[..., dict[str, Any] | None]


@dataclass
class HandlerInfo:
    name: str
    fn: Handler
    title: str
    params: tuple[str, ...] = ()
    # False: the handler only reads, so the engine need not wrap it in a SAVEPOINT (nothing to undo)
    writes: bool = True


class HandlerRegistry:
    """Name -> handler. ``validate`` and the modeler list what is registered here."""

    def __init__(self) -> None:
        self._handlers: dict[str, HandlerInfo] = {}

    def register(self, name: str, title: str, params: tuple[str, ...] = (), *, writes: bool = True) -> Callable[[Handler], Handler]:
        def decorator(fn: Handler) -> Handler:
            if name in self._handlers:
                raise ValueError(f"handler {name} registered twice")
            self._handlers[name] = HandlerInfo(name, fn, title, params, writes)
            return fn
        return decorator

    def get(self, name: str) -> HandlerInfo | None:
        return self._handlers.get(name)

    def names(self) -> list[str]:
        return sorted(self._handlers)

    def infos(self) -> list[HandlerInfo]:
        return [self._handlers[n] for n in self.names()]


REGISTRY = HandlerRegistry()

"""Live workflows kept between transactions, so a step on a warm instance skips deserialization.

Contract: an entry is keyed by instance id and the instance row's ``revision`` as committed. :meth:`take`
removes the entry (the caller owns the workflow and may change it); :meth:`put` is called only after the
transaction that saved that revision committed. A transaction that rolls back never puts, so a workflow
changed by a failed step is never reused; another process that saved the instance bumped the revision, so a
stale entry is never returned. Thread-safe; least recently used entries go first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any


class WorkflowCache:
    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._entries: OrderedDict[int, tuple[int, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def take(self, instance_id: int, revision: int) -> Any | None:
        """The workflow saved as ``revision`` of ``instance_id``, removed from the cache; None if absent."""
        with self._lock:
            entry = self._entries.pop(instance_id, None)
            if entry is not None and entry[0] == revision:
                self.hits += 1
                return entry[1]
            self.misses += 1
            return None

    def put(self, instance_id: int, revision: int, workflow: Any) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._entries[instance_id] = (revision, workflow)
            self._entries.move_to_end(instance_id)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def discard(self, instance_id: int) -> None:
        with self._lock:
            self._entries.pop(instance_id, None)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, instance_id: object) -> bool:
        return instance_id in self._entries

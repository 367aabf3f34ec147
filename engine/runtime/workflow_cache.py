"""Live workflows kept in memory between commands, keyed by instance id and version.

A command *takes* the workflow out (so no other thread can see it half-changed) and puts it back only after its
transaction committed; a failed command simply drops it and the next command restores from the snapshot.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any


class WorkflowCache:
    def __init__(self, capacity: int = 2000):
        self.capacity = capacity
        self._items: OrderedDict[int, tuple[int, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, instance_id: int, version: int) -> Any | None:
        with self._lock:
            item = self._items.pop(instance_id, None)
        if item is None or item[0] != version:
            return None
        return item[1]

    def put(self, instance_id: int, version: int, workflow: Any) -> None:
        if self.capacity <= 0:
            return
        with self._lock:
            self._items[instance_id] = (version, workflow)
            self._items.move_to_end(instance_id)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

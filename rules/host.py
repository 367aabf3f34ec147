"""The one durable-rules host of this process, and the only module that touches durable-rules.

durable-rules is unmaintained and has sharp edges; this module is where they are handled, measured on 2.0.28:

* Per-session state lives in C and runs out after 1,024 session ids (``MemoryError``). Every evaluation uses a
  fresh sid and deletes its state straight after, so nothing accumulates.
* A *posted event* is consumed by the first rule that matches it; other matching rules never see it. Facts are
  seen by every matching rule, so incident facts are asserted as a fact (``assert_fact``), never posted.
* A fact that matches no rule leaves its session behind (and counts towards the 1,024) and ``delete_state`` on
  it segfaults. Every compiled ruleset therefore carries a sentinel rule that matches every message (see
  ``compiler.MARKER``), so each assert creates exactly one session, which is then deleted.
* ``$neq`` is false whenever the fact is null; the compiler writes ``!=`` as equality with the other values.
* ``$ex``/``$nex`` on a field the session state lacks re-match the state document and loop forever; the
  compiler never emits them.
* ``durable.lang.get_host()`` starts timer threads that call ``start_action`` on every ruleset every 0.2 s,
  outside any lock of ours: one could take an action queued by ``assert_fact`` before our thread runs it. This
  host is a ``durable.engine.Host`` with those timers switched off; it has no timers or pending work to
  dispatch.
* The engine is not thread-safe. One lock serialises every call; the fired-rule sink is only touched under it.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from durable import engine as durable_engine

from rules.errors import RulesEngineError


class Evaluates(Protocol):
    """What evaluation needs from a host (a test or the benchmark may wrap the real one)."""

    def evaluate(self, name: str, message: Mapping[str, Any]) -> list[int]: ...


class _SynchronousHost(durable_engine.Host):  # type: ignore[misc]  # durable-rules ships no types, so Host is Any here
    """A durable host without the background dispatch timers (see the module docstring)."""

    def _run(self) -> None:
        return None


class RulesHost:
    """Registers compiled rulesets once and evaluates one message at a time against them."""

    def __init__(self) -> None:
        self._host = _SynchronousHost()
        self._lock = threading.Lock()
        self._registered: set[str] = set()
        self._fired: list[int] = []
        self._sids = itertools.count(1)

    def register(self, name: str, rules: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """Register a ruleset (``rules``: durable rule name and JSON condition) unless already registered.

        Rule number ``i`` reports itself as ``i`` when it fires; names are only for debugging.
        """
        with self._lock:
            if name in self._registered:
                return
            definition = {rule_name: dict(body, run=self._action(i)) for i, (rule_name, body) in enumerate(rules)}
            try:
                self._host.register_rulesets({name: definition})
            except Exception as exc:  # durable raises bare Exception for bad definitions
                raise RulesEngineError(f"durable-rules refused ruleset {name!r}: {exc}") from exc
            self._registered.add(name)

    def _action(self, index: int) -> Callable[[Any], None]:
        sink = self._fired

        def fired(_closure: Any) -> None:
            sink.append(index)

        return fired

    def evaluate(self, name: str, message: Mapping[str, Any]) -> list[int]:
        """Assert ``message`` as a fact in a fresh session, delete it, and return the rules that fired."""
        with self._lock:
            sid = str(next(self._sids))
            fact = dict(message)
            fact["sid"] = sid
            self._fired.clear()
            try:
                self._host.assert_fact(name, fact)
            except durable_engine.MessageNotHandledException as exc:
                # Cannot happen while the sentinel rule is present; the session may now be leaked, so say so.
                raise RulesEngineError(f"ruleset {name!r} did not handle the facts (sentinel rule missing?)") from exc
            except Exception as exc:
                raise RulesEngineError(f"durable-rules failed on ruleset {name!r}: {exc}") from exc
            self._host.delete_state(name, sid)
            return list(self._fired)

    def durable_host(self) -> durable_engine.Host:
        """The durable-rules host itself, for the benchmark's raw baseline only (it bypasses the lock)."""
        return self._host


_HOST: RulesHost | None = None
_HOST_LOCK = threading.Lock()


def get_host() -> RulesHost:
    """The process-wide host (durable-rules state is process-global; one host keeps names unique)."""
    global _HOST
    if _HOST is None:
        with _HOST_LOCK:
            if _HOST is None:
                _HOST = RulesHost()
    return _HOST


def clear_caches() -> None:
    """Forget the process-wide host and what it registered: the next ``get_host()`` registers rulesets afresh.

    Layer names come from the rulesets' sha256, not from the compiled rules, so a host kept across tests would
    go on evaluating whatever was compiled first. Evaluations already holding the old host finish on it.
    """
    global _HOST
    with _HOST_LOCK:
        _HOST = None

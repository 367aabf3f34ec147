"""The only script engine emflow gives SpiffWorkflow: diagram code runs in the sandbox, service tasks call engine
services by topic.

SpiffWorkflow's default script engine runs any Python a diagram contains. Every path by which SpiffWorkflow runs
diagram code (gateways, scripts, timers, loop and completion conditions, message correlations) goes through the
environment's ``evaluate``/``execute``, some of them bypassing the script engine, so the sandbox's check
(``engine.sandbox``) is applied in the environment, not in the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from engine.errors import EmflowError
from engine.sandbox import ALLOWED_FUNCTIONS, GUARDS, compile_checked


class SandboxedEnvironment(TaskDataEnvironment):
    """SpiffWorkflow's task-data environment with the allow-list enforced on every evaluate and execute.

    Every path by which SpiffWorkflow runs diagram code (gateways, scripts, timers, loop and completion
    conditions, message correlations) goes through ``evaluate``/``execute`` here, some of them bypassing the
    script engine, so the check lives in the environment, not in the engine.
    """

    def __init__(self, functions: Mapping[str, Callable[..., Any]] | None = None):
        functions = dict(functions or {})
        for name, fn in functions.items():
            if not name.isidentifier() or name.startswith("_"):
                raise ValueError(f"function name {name!r} must be an identifier not starting with '_'")
            if name in ALLOWED_FUNCTIONS:
                raise ValueError(f"function name {name!r} would shadow the built-in allow-list")
            if not callable(fn):
                raise ValueError(f"{name!r} is not callable")
        # Host functions live in the globals (as SpiffWorkflow expects: task data may not overwrite them);
        # the guards are globals too, so they are stripped from task data after every script.
        super().__init__({**functions, **GUARDS})
        self.callable_names = frozenset(ALLOWED_FUNCTIONS) | frozenset(functions)
        # Applied last to every namespace: task data (say a submitted "__builtins__") cannot replace them.
        self._protected = {"__builtins__": dict(ALLOWED_FUNCTIONS), **GUARDS}

    def evaluate(self, expression: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> Any:
        code = compile_checked(expression, "eval", self.callable_names)
        namespace = dict(self.globals)
        namespace.update(external_context or {})
        namespace.update(context)
        namespace.update(self._protected)
        return eval(code, namespace)  # checked and rewritten by _compile

    def execute(self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> bool:
        code = compile_checked(script if script is not None else "", "exec", self.callable_names)
        external_context = external_context or {}
        self.check_for_overwrite(context, external_context)
        context.update(self.globals)
        context.update(external_context)
        context.update(self._protected)
        try:
            exec(code, context)  # checked and rewritten by _compile
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
            for name in self._protected:
                context.pop(name, None)
        return True


def make_script_engine(functions: Mapping[str, Callable[..., Any]] | None = None) -> PythonScriptEngine:
    """A bare sandboxed script engine (no engine services), e.g. for tests and benchmarks of diagram code.

    ``functions`` adds host callables to the allow-list (e.g. service-task hooks); pass the same names to the
    validator (``check(..., functions=...)``) so diagrams calling them deploy.
    """
    return PythonScriptEngine(environment=SandboxedEnvironment(functions))


class EmflowScriptEngine(PythonScriptEngine):
    """The sandboxed script engine plus the engine services service tasks call by topic."""

    def __init__(self, environment: Any, services: dict[str, Any], rulesets: Any = None):
        super().__init__(environment=environment)
        self.services = services
        self.rulesets = rulesets  # engine.runtime.rulesets.RulesetService: the rules in force

    def call_service(
        self, task: Any, topic: str | None = None, properties: dict[str, str] | None = None, **_: Any
    ) -> None:
        handler = self.services.get(topic or "")
        if handler is None:
            raise WorkflowTaskException(f"no engine service for topic {topic!r}", task=task)
        try:
            handler(task, properties or {})
        except WorkflowTaskException:
            raise
        except Exception as exc:  # a failing service fails its task, with the element named
            if isinstance(exc, EmflowError):
                raise
            raise WorkflowTaskException(f"service {topic} failed: {exc}", task=task, exception=exc) from exc

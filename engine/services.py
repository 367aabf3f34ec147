"""The engine's services wired together (the composition root); the API, the CLI and the worker each build one.

This is where SpiffWorkflow's corrections are installed (``engine.bpmn.install``) and where the definitions learn
which engine services and host functions diagrams may call. See docs/ARCHITECTURE.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine import bpmn
from engine.clock import Clock, SystemClock
from engine.definitions.service import DefinitionInfo, DefinitionService
from engine.runtime.instances import InstanceService
from engine.runtime.rulesets import RulesetService
from engine.runtime.service_tasks import FUNCTIONS, SERVICES
from engine.runtime.timers import TimerService
from engine.runtime.users import UserService
from engine.runtime.workflow_cache import WorkflowCache
from engine.store.db import Database

BUNDLED_PROCESSES = Path(__file__).resolve().parent.parent / "processes"


@dataclass
class Services:
    db: Database
    clock: Clock
    definitions: DefinitionService
    instances: InstanceService
    users: UserService
    timers: TimerService
    rulesets: RulesetService

    def close(self) -> None:
        self.db.dispose()


def build_services(database_url: str | None = None, clock: Clock | None = None, cache_size: int = 2000) -> Services:
    bpmn.install()
    db = Database(database_url)
    clock = clock or SystemClock()
    definitions = DefinitionService(db, clock, FUNCTIONS, SERVICES)
    rulesets = RulesetService(db, clock)
    instances = InstanceService(db, definitions, clock, WorkflowCache(cache_size), rulesets)
    return Services(
        db, clock, definitions, instances, UserService(db, clock), TimerService(db, instances, clock), rulesets
    )


def deploy_paths(services: Services, paths: list[Path], actor: str) -> list[tuple[Path, DefinitionInfo, bool]]:
    """Deploy every .bpmn file under the given files or folders (identical ones are no-ops)."""
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.rglob("*.bpmn")) if path.is_dir() else [path])
    return [(f, *services.definitions.deploy(f.read_bytes(), actor)) for f in files]

"""The ``emflow`` command line: a thin door into the engine services, like the HTTP API.

It lives in ``api/`` because ``serve`` composes the Flask app; the engine itself never imports Flask.
Every command honours DATABASE_URL (default: SQLite under var/).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import click

from engine.actors import SYSTEM
from engine.errors import EmflowError
from engine.names import USER_ROLES
from engine.services import BUNDLED_PROCESSES, build_services, deploy_paths
from engine.store.db import default_database_url, normalise_url
from engine.store.migrate import upgrade


def _url() -> str:
    return normalise_url(default_database_url())


@click.group()
def main() -> None:
    """emflow — environmental emergency workflow and rules engine (环境应急流程与规则引擎)."""


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply all schema migrations (alembic)."""
    upgrade(_url())
    click.echo(f"database at head: {_safe(_url())}")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def deploy(paths: tuple[Path, ...]) -> None:
    """Deploy BPMN files or folders of them (identical versions are no-ops)."""
    upgrade(_url())
    services = build_services(_url())
    failed = False
    for path in _expand(paths):
        try:
            [(_, info, created)] = deploy_paths(services, [path], "cli")
            click.echo(f"{path}: {info.key} v{info.version} {'deployed' if created else 'unchanged'}")
        except EmflowError as exc:
            failed = True
            click.echo(f"{path}: {exc.message}", err=True)
            for problem in exc.details or []:
                click.echo(
                    f"  line {problem.get('line')}: {problem.get('element_id')}: {problem.get('message')}", err=True
                )
    services.close()
    sys.exit(1 if failed else 0)


def _expand(paths: tuple[Path, ...]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        out.extend(sorted(path.rglob("*.bpmn")) if path.is_dir() else [path])
    return out


@main.group()
def rules() -> None:
    """Escalation rulesets and decisions."""


@rules.command("evaluate")
@click.argument("facts_file", type=click.File("r", encoding="utf-8"))
@click.option("--ruleset", default=None, help="baseline name (default cn-national-2015)")
@click.option("--version", type=int, default=None)
def rules_evaluate(facts_file: click.File, ruleset: str | None, version: int | None) -> None:
    """Print the decision for the incident facts in FACTS_FILE (JSON; '-' for standard input)."""
    upgrade(_url())
    services = build_services(_url())
    try:
        facts = json.load(facts_file)  # type: ignore[arg-type]  # click.File opens a text stream
        decision = services.rulesets.decide(facts, ruleset, version)
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"not JSON: {exc}") from None
    except EmflowError as exc:
        raise click.ClickException(f"{exc.message} {json.dumps(exc.details, ensure_ascii=False)}") from None
    finally:
        services.close()
    click.echo(json.dumps(decision, ensure_ascii=False, indent=2))


@rules.command("deploy")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def rules_deploy(paths: tuple[Path, ...]) -> None:
    """Deploy ruleset files (YAML or JSON); a version already deployed identically is unchanged."""
    upgrade(_url())
    services = build_services(_url())
    failed = False
    for path in paths:
        try:
            info, created = services.rulesets.deploy(path.read_bytes(), "cli")
            click.echo(f"{path}: {info.name} v{info.version} ({info.kind}) {'deployed' if created else 'unchanged'}")
        except EmflowError as exc:
            failed = True
            click.echo(f"{path}: {exc.message}", err=True)
    services.close()
    sys.exit(1 if failed else 0)


@main.group()
def users() -> None:
    """API users and tokens."""


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice([str(r) for r in USER_ROLES]))
@click.option("--lane", "lanes", multiple=True, help="lane id a responder works in (repeatable)")
def users_add(name: str, role: str, lanes: tuple[str, ...]) -> None:
    """Create a user and print its token once, alone on the last line."""
    upgrade(_url())
    services = build_services(_url())
    try:
        info, token = services.users.add(name, role, list(lanes))
    except EmflowError as exc:
        raise click.ClickException(f"{exc.message} {json.dumps(exc.details, ensure_ascii=False)}") from None
    finally:
        services.close()
    click.echo(f"created {info.role} '{info.name}'" + (f" (lanes: {', '.join(info.lanes)})" if info.lanes else ""))
    click.echo("token (shown once; store it safely):")
    click.echo(token)


@users.command("list")
def users_list() -> None:
    """List users (tokens are never shown again)."""
    services = build_services(_url())
    for user in services.users.list():
        click.echo(f"{user.name}\t{user.role}\t{','.join(user.lanes)}")
    services.close()


@main.command()
def worker() -> None:
    """Fire due timers (run any number of these against PostgreSQL; each timer fires once)."""
    import signal

    from engine.runtime.timers import Scheduler

    url = _url()
    upgrade(url)
    services = build_services(url)
    scheduler = Scheduler(services.timers)
    signal.signal(signal.SIGTERM, lambda *_: scheduler.stop())
    click.echo(f"emflow worker {services.timers.worker} firing timers (database {_safe(url)})")
    scheduler.start()
    try:
        while scheduler.is_alive():
            scheduler.join(0.5)
    except KeyboardInterrupt:
        scheduler.stop()
        scheduler.join(5)
    services.close()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int, help="gunicorn worker processes")
@click.option("--threads", default=8, show_default=True, type=int, help="threads per worker")
@click.option("--no-deploy", is_flag=True, help="do not deploy the bundled processes/ at start")
@click.option("--no-scheduler", is_flag=True, help="do not fire timers in the server (run `emflow worker`)")
def serve(host: str, port: int, workers: int, threads: int, no_deploy: bool, no_scheduler: bool) -> None:
    """Migrate the database, deploy the bundled processes and serve the API with gunicorn."""
    url = _url()
    upgrade(url)
    services = build_services(url)
    if not no_deploy and BUNDLED_PROCESSES.is_dir():
        for path, info, created in deploy_paths(services, [BUNDLED_PROCESSES], SYSTEM.name):
            click.echo(f"{path.name}: {info.key} v{info.version} {'deployed' if created else 'unchanged'}")
    for info, created in services.rulesets.deploy_bundled():
        click.echo(f"ruleset {info.name} v{info.version} {'deployed' if created else 'unchanged'}")
    if services.users.count() == 0:
        click.echo(
            "No users yet. Create the first administrator and take its token from the last line:\n"
            "  emflow users add admin --role administrator"
        )
    services.close()
    click.echo(f"emflow listening on http://{host}:{port} (database {_safe(url)})")
    _gunicorn(host, port, workers, threads, url, scheduler=not no_scheduler)


def _gunicorn(host: str, port: int, workers: int, threads: int, url: str, scheduler: bool) -> None:
    from gunicorn.app.base import BaseApplication

    from api import create_app

    class _App(BaseApplication):  # type: ignore[misc]  # gunicorn ships no types
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("accesslog", "-")
            self.cfg.set("timeout", 120)

        def load(self):  # type: ignore[no-untyped-def]  # overrides gunicorn's untyped hook
            app = create_app({"DATABASE_URL": url})
            if scheduler:  # one per worker process, started after the fork
                from engine.runtime.timers import Scheduler

                Scheduler(app.extensions["emflow"].timers).start()
            return app

    _App().run()


def _safe(url: str) -> str:
    """The URL without its password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':')[0]}:***@{host}"
    return url


@main.group()
def audit() -> None:
    """Audit the history: verify the hash chains, replay the recorded commands (read only)."""


def _audit_targets(instance_id: int | None, all_: bool, ids: Callable[[], list[int]]) -> list[int]:
    if instance_id is not None and all_:
        raise click.UsageError("give an instance id or --all, not both")
    return [instance_id] if instance_id is not None else ids()


def _audit_run(label: str, targets: list[int], check: Callable[[int], str | None], show_bar: bool) -> list[str]:
    """Run ``check`` on every instance (a progress bar on stderr for --all); the problems it reports."""
    problems: list[str] = []
    if not show_bar:
        for instance_id in targets:
            problem = check(instance_id)
            if problem:
                problems.append(problem)
        return problems
    with click.progressbar(targets, label=label, file=sys.stderr, show_pos=True) as bar:
        for instance_id in bar:
            problem = check(instance_id)
            if problem:
                problems.append(problem)
    return problems


@audit.command("verify")
@click.option("--instance", "instance_id", type=int, help="verify one instance (default: all)")
@click.option("--all", "all_", is_flag=True, help="verify every instance")
def audit_verify(instance_id: int | None, all_: bool) -> None:
    """Recompute the hash chains; name the first edited, deleted or reordered event. Exit 1 if any is broken."""
    from engine.audit.verify import ChainVerifier

    services = build_services(_url())
    verifier = ChainVerifier(services.db)
    try:
        targets = _audit_targets(instance_id, all_, verifier.instance_ids)

        def check(iid: int) -> str | None:
            report = verifier.verify(iid)
            if report.problem is None:
                return None
            p = report.problem
            return f"instance {iid}: seq {p.seq} {p.kind}: {p.message}"

        problems = _audit_run("verifying", targets, check, show_bar=instance_id is None)
    except EmflowError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        services.close()
    for line in problems:
        click.echo(line)
    click.echo(f"verified {len(targets)} instance(s): {len(targets) - len(problems)} intact, {len(problems)} broken")
    sys.exit(1 if problems else 0)


@audit.command("replay")
@click.argument("instance_id", type=int, required=False)
@click.option("--all", "all_", is_flag=True, help="replay every instance")
def audit_replay(instance_id: int | None, all_: bool) -> None:
    """Re-execute the whole history and check it reproduces the stored state. Exit 1 on any divergence."""
    from engine.audit.replay import Replayer

    if instance_id is None and not all_:
        raise click.UsageError("give an instance id or --all")
    services = build_services(_url())
    replayer = Replayer(services.instances)
    try:
        targets = _audit_targets(instance_id, all_, replayer.instance_ids)

        def check(iid: int) -> str | None:
            result = replayer.replay(iid)
            d = result.divergence
            if d is None:
                return None
            return f"instance {iid}: diverges at seq {d.seq} ({d.kind}): {d.message}"

        problems = _audit_run("replaying", targets, check, show_bar=all_)
    except EmflowError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        services.close()
    for line in problems:
        click.echo(line)
    click.echo(
        f"replayed {len(targets)} instance(s): {len(targets) - len(problems)} reproduce their stored "
        f"state, {len(problems)} diverge"
    )
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()

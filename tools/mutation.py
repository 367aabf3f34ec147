#!/usr/bin/env python3
"""Mutation testing of the core modules with mutmut 3.8 (``make mutation``; opt-in, not part of ``make test``).

mutmut copies the packages below into ``mutants/``, plants every mutant of the target modules there behind a
switch, and runs, for each mutant, the SQLite tests that cover the mutated function (``TESTS`` with
``PYTEST_ARGS``). A mutant is *killed* when a test fails, times out or crashes with it; it *survives* when the
tests pass (or no selected test reaches it). This script then prints, per target module: mutants, killed,
survived, excluded, score = killed / (mutants - excluded), and PASS/FAIL against ``THRESHOLD``; it exits 1 when
any module is below.

Excluded ("error-message-only") mutants: a mutant whose only change is the text of a string literal that is
the message of an error, wherever such a mutant was killed or not (so exclusion never raises a score by
dropping only survivors). A string literal is an error message when it is (possibly inside an f-string or a
``+`` concatenation)

* the first argument of an exception built in a ``raise`` statement (``raise ValueError("must be ...")``);
* the value of a ``"message"`` key in a dict literal (``{"field": ..., "message": "..."}``);
* an argument at a message position of a reporting helper (``MESSAGE_ARGUMENTS``), e.g. the second argument
  of ``ConditionParser._fail(path, message)``;
* the separator of a ``", ".join(...)`` inside such a message;
* a value of the field-to-message mapping of ``DataInvalid`` or of ``errors[...] = "..."`` in engine/definitions/forms.

Field names, paths, keys, values compared with or returned are never excluded, nor is any mutant that also
changes something else (``None`` for a message, a dropped argument): those change behaviour.

Usage::

    python tools/mutation.py                   # fresh run over every target (deletes mutants/ first), table
    python tools/mutation.py --only 'rules/*'  # only targets matching a glob
    python tools/mutation.py --report          # the table for the last run, without running anything
    python tools/mutation.py --survivors       # ... and every counted survivor as a diff (what no test checks)
    python tools/mutation.py --keep            # reuse mutants/: test what has no verdict (changed functions),
                                               # then re-test the survivors (after new tests)
"""

from __future__ import annotations

import argparse
import ast
import difflib
import fnmatch
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# ---- what is measured: change these lists when modules move -------------------------------------------------
TARGETS = [
    "engine/definitions/forms.py",
    "engine/sandbox.py",
    "rules/*.py",  # each module of rules/ separately
]
THRESHOLD = 80.0  # percent, per module
# Copied into mutants/ so the tests import the whole tree from there (the mutated targets among it).
PACKAGES = ["engine", "rules", "api"]
ALSO_COPY = ["processes"]  # data the tests read, besides tests/ (mutmut copies that itself)
# The tests mutmut may run for a target: (test paths, test files left out) of the first pattern that matches it;
# a run selects the union of the paths and leaves out only files every one of its targets leaves out. SQLite
# only, no browser, no scenario or slow tests. Every test clears the rules caches, so each one reparses the
# bundled rulesets and compiles and registers them with durable-rules: with tests/engine selected a surviving
# mutant of rules/ reran ~900 tests. The rules layer imports nothing from engine; tests/rules is its
# specification. tests/rules/test_volume.py (eight threads deciding at once, ~20 s) only for the host, whose lock
# and sessions it is about. Directories, not lists of files: a new test file must not change mutmut's test
# selection (that discards every verdict of the run, and --keep would re-test nothing).
TESTS: dict[str, tuple[list[str], list[str]]] = {
    "engine/definitions/forms.py": (["tests/engine"], []),
    "engine/sandbox.py": (["tests/engine"], []),
    "rules/host.py": (["tests/rules"], []),
    "rules/*.py": (["tests/rules"], ["tests/rules/test_volume.py"]),
}
PYTEST_ARGS = [
    *("-m", "not postgres and not slow", "-p", "no:cacheprovider"),
    # imports rules in a child interpreter, which mutmut's switch does not reach (it fails there in every run)
    "--deselect=tests/rules/test_ruleset.py::test_rules_imports_neither_engine_nor_api_nor_web_or_database_libraries",
]
# Reporting helpers whose argument at this position is an error message (see the module docstring).
MESSAGE_ARGUMENTS = {
    "_fail": 1,  # rules.conditions.ConditionParser._fail(path, message)
    "_positive_int": 1,  # rules.outputs._positive_int(value, what) -> "<what> must be a positive integer"
    "problem": 2,  # rules.ruleset: problem(rule, field, message)
    "OutputProblem": 0,  # rules.outputs.OutputProblem(message, path)
    "_refuse": 1,  # engine.sandbox._refuse(node, message)
    "_too_big": 0,  # engine.sandbox._too_big(what) -> "<what> exceeds the sandbox limit"
    "ForbiddenExpression": 0,  # engine.sandbox.ForbiddenExpression(message, line, column)
}
FIELD_MESSAGE_MAPPINGS = {"DataInvalid"}  # DataInvalid({field: message})
ERROR_DICTS = {"errors"}  # errors[field] = message
# --------------------------------------------------------------------------------------------------------------

MUTANTS = ROOT / "mutants"
KILLED = {"killed", "timeout", "segfault"}  # the tests did not pass with the mutant
SURVIVED = {"survived", "no tests"}  # the tests passed, or none of the selected tests reaches the mutant


def target_files(only: list[str] | None = None) -> list[str]:
    """The target modules, each path relative to the repository, in ``TARGETS`` order."""
    found: list[str] = []
    for pattern in TARGETS:
        for path in sorted(ROOT.glob(pattern)):
            rel = path.relative_to(ROOT).as_posix()
            if rel not in found and (not only or any(fnmatch.fnmatch(rel, p) for p in only)):
                found.append(rel)
    return found


# ---- running mutmut ------------------------------------------------------------------------------------------


def test_selection(targets: list[str]) -> list[str]:
    """pytest's test selection for a run over ``targets`` (see ``TESTS``)."""
    paths: list[str] = []
    ignored: set[str] | None = None
    for target in targets:
        entry = next((tests for pattern, tests in TESTS.items() if fnmatch.fnmatch(target, pattern)), None)
        if entry is None:
            raise SystemExit(f"no TESTS entry for target {target}")
        paths += [path for path in entry[0] if path not in paths]
        ignored = set(entry[1]) if ignored is None else ignored & set(entry[1])
    return [*paths, *(f"--ignore={path}" for path in sorted(ignored or ()))]


def _mutmut_settings(targets: list[str]) -> dict[str, object]:
    return {
        "source_paths": PACKAGES,
        "only_mutate": targets,
        "also_copy": ALSO_COPY,
        "pytest_add_cli_args_test_selection": test_selection(targets),
        "pytest_add_cli_args": PYTEST_ARGS,
        # the workers fork from a server that has imported pytest and collected the tests once
        "process_isolation": "forkserver",
        "forkserver_warmup": "collect",
        "use_git_change_detection": False,
        "debug": bool(os.environ.get("MUTATION_DEBUG")),  # mutmut shows every pytest run
    }


def _run_mutmut_here(targets: list[str], mutant_names: list[str], max_children: int) -> int:
    """Run ``mutmut run`` in this process with the settings above (the project keeps no [mutmut] config)."""
    import mutmut.configuration

    settings = _mutmut_settings(targets)

    def reader() -> object:
        return lambda key, default: settings.get(key, default)

    mutmut.configuration._config_reader = reader  # type: ignore[assignment]  # the only config source
    mutmut.configuration.reset_config()
    from mutmut.__main__ import cli

    os.chdir(ROOT)
    try:
        cli.main(["run", "--max-children", str(max_children), *mutant_names], standalone_mode=False)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def run_mutmut(targets: list[str], mutant_names: list[str], max_children: int) -> int:
    # a separate interpreter: mutmut forks workers and changes directory and sys.path
    command = [sys.executable, __file__, "--internal-run", f"--max-children={max_children}", "--targets", *targets]
    if mutant_names:
        command += ["--mutants", *mutant_names]
    return subprocess.run(command, cwd=ROOT, check=False).returncode


# ---- reading and classifying the results ---------------------------------------------------------------------


@dataclass
class ModuleResult:
    path: str
    killed: list[str] = field(default_factory=list)
    survived: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)  # not checked, skipped, suspicious, interrupted
    excluded: list[str] = field(default_factory=list)  # error-message-only, whatever their status

    @property
    def total(self) -> int:
        return len(self.killed) + len(self.survived) + len(self.other) + len(self.excluded)

    @property
    def counted(self) -> int:
        return self.total - len(self.excluded)

    @property
    def score(self) -> float | None:
        return 100.0 * len(self.killed) / self.counted if self.counted else None


def _status(exit_code: int | None) -> str:
    from mutmut.stats import status_by_exit_code

    return status_by_exit_code[exit_code]


class MutatedFile:
    """The functions of ``mutants/<path>``: each original is ``<name>__mutmut_orig``, each mutant its own."""

    def __init__(self, path: str):
        self.source = (MUTANTS / path).read_text(encoding="utf-8")
        self.functions = {
            node.name: node
            for node in ast.walk(ast.parse(self.source))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        }

    def pair(self, mutant_key: str) -> tuple[ast.AST, ast.AST]:
        name = mutant_key.rsplit(".", 1)[1]
        return self.functions[name.rsplit("__mutmut_", 1)[0] + "__mutmut_orig"], self.functions[name]

    def diff(self, mutant_key: str) -> str:
        original, mutant = (ast.get_source_segment(self.source, node) or "" for node in self.pair(mutant_key))
        lines = difflib.unified_diff(original.splitlines(), mutant.splitlines(), lineterm="", n=1)
        return "\n".join(line for line in list(lines)[2:] if not line.startswith("@@"))


def _changed_strings(a: ast.AST, b: ast.AST, out: list[ast.Constant]) -> bool:
    """Collect the string constants of ``a`` that differ in ``b``; False when anything else differs."""
    if type(a) is not type(b):
        return False
    if isinstance(a, ast.Constant):
        assert isinstance(b, ast.Constant)
        if a.value == b.value and type(a.value) is type(b.value):
            return True
        if isinstance(a.value, str) and isinstance(b.value, str):
            out.append(a)
            return True
        return False
    for name, value in ast.iter_fields(a):
        if name == "name" and isinstance(a, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue  # x_f__mutmut_orig / x_f__mutmut_3
        other = getattr(b, name)
        if isinstance(value, list):
            if not isinstance(other, list) or len(value) != len(other):
                return False
            for x, y in zip(value, other, strict=True):
                if isinstance(x, ast.AST):
                    if not _changed_strings(x, y, out):
                        return False
                elif x != y:
                    return False
        elif isinstance(value, ast.AST):
            if not _changed_strings(value, other, out):
                return False
        elif value != other:
            return False
    return True


def _callee(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _is_message(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """Whether a string constant is (part of) the text of an error message; see the module docstring."""
    while True:  # climb out of f-strings, "+" and ", ".join(...) to the whole message expression
        parent = parents.get(node)
        if isinstance(parent, (ast.JoinedStr, ast.FormattedValue)):
            node = parent
        elif isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Add):
            node = parent
        elif isinstance(parent, ast.Attribute) and parent.attr == "join" and parent.value is node:
            node = parents[parent]  # the separator of a join: its call
        else:
            break
    parent = parents.get(node)
    if isinstance(parent, ast.Dict) and node in parent.values:
        key = parent.keys[parent.values.index(node)]
        if isinstance(key, ast.Constant) and key.value == "message":
            return True
        holder = parents.get(parent)  # DataInvalid({field: message})
        return isinstance(holder, ast.Call) and _callee(holder) in FIELD_MESSAGE_MAPPINGS and holder.args[0] is parent
    if isinstance(parent, ast.Call) and node in parent.args:
        index = parent.args.index(node)
        callee = _callee(parent)
        if callee in MESSAGE_ARGUMENTS and MESSAGE_ARGUMENTS[callee] == index:
            return True
        raised = parents.get(parent)
        return index == 0 and isinstance(raised, ast.Raise) and raised.exc is parent
    if isinstance(parent, ast.Assign) and parent.value is node and len(parent.targets) == 1:
        target = parent.targets[0]  # errors[field] = message
        return (
            isinstance(target, ast.Subscript)
            and isinstance(target.value, ast.Name)
            and (target.value.id in ERROR_DICTS)
        )
    return False


def message_only(mutated: MutatedFile, mutant_key: str) -> bool:
    original, mutant = mutated.pair(mutant_key)
    changed: list[ast.Constant] = []
    if not _changed_strings(original, mutant, changed) or not changed:
        return False
    parents = {child: node for node in ast.walk(original) for child in ast.iter_child_nodes(node)}
    return all(_is_message(node, parents) for node in changed)


def results(targets: list[str]) -> list[ModuleResult]:
    out = []
    for path in targets:
        result = ModuleResult(path)
        meta = MUTANTS / (path + ".meta")
        if not meta.exists():
            out.append(result)
            continue
        mutated = MutatedFile(path)
        for key, exit_code in json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"].items():
            status = _status(exit_code)
            if message_only(mutated, key):
                result.excluded.append(key)
            elif status in KILLED:
                result.killed.append(key)
            elif status in SURVIVED:
                result.survived.append(key)
            else:
                result.other.append(f"{key} ({status})")
        out.append(result)
    return out


def print_table(rows: list[ModuleResult]) -> bool:
    """Print the table; True when every module with mutants reaches the threshold."""
    header = f"{'module':<22} {'mutants':>7} {'killed':>6} {'survived':>8} {'excluded':>8} {'score':>7}  result"
    print(header)
    print("-" * len(header))
    ok = True
    for r in rows:
        if r.total == 0:
            print(f"{r.path:<22} {0:>7} {'':>6} {'':>8} {'':>8} {'':>7}  no mutants")
            continue
        score = r.score
        passed = score is not None and score >= THRESHOLD and not r.other
        ok = ok and passed
        shown = f"{score:6.1f}%" if score is not None else "    n/a"
        print(
            f"{r.path:<22} {r.total:>7} {len(r.killed):>6} {len(r.survived) + len(r.other):>8} "
            f"{len(r.excluded):>8} {shown}  {'PASS' if passed else 'FAIL'}"
        )
    print(
        f"\nscore = killed / (mutants - excluded); PASS at >= {THRESHOLD:.0f}%. Excluded: error-message-only "
        "mutants (only the text of an error message changes), killed or not; see tools/mutation.py."
    )
    unchecked = [o for r in rows for o in r.other]
    if unchecked:
        print(f"{len(unchecked)} mutants have no verdict (counted as survivors): {', '.join(unchecked[:10])}")
    return ok


def print_survivors(rows: list[ModuleResult]) -> None:
    for r in rows:
        if not r.survived:
            continue
        mutated = MutatedFile(r.path)
        print(f"\n==== {r.path}: {len(r.survived)} survivors")
        for key in r.survived:
            print(f"\n--- {key}\n{mutated.diff(key)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", metavar="GLOB", help="only the targets matching these globs")
    parser.add_argument("--report", action="store_true", help="print the table of the last run; run nothing")
    parser.add_argument("--survivors", action="store_true", help="also print each counted survivor as a diff")
    parser.add_argument("--keep", action="store_true", help="reuse mutants/: test changed code, re-test survivors")
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--internal-run", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--targets", nargs="*", default=[], help=argparse.SUPPRESS)
    parser.add_argument("--mutants", nargs="*", default=[], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.internal_run:
        return _run_mutmut_here(args.targets, args.mutants, args.max_children)

    targets = target_files(args.only)
    if not targets:
        parser.error(f"no target matches {args.only}")
    if not args.report:
        if not args.keep and MUTANTS.exists():
            shutil.rmtree(MUTANTS)
        # Without names mutmut runs only mutants that have no verdict: all of them in a fresh run; with --keep,
        # those of functions changed since (mutmut regenerates them and drops their verdicts) and any left
        # unchecked. Then --keep names the survivors, which mutmut re-tests although they have a verdict.
        code = run_mutmut(targets, [], args.max_children)
        retest = [key for r in results(targets) for key in r.survived] if args.keep and not code else []
        if retest:
            code = run_mutmut(targets, retest, args.max_children)
        if code:
            print(f"mutmut failed (exit code {code})", file=sys.stderr)
            return code
    rows = results(targets)
    if args.survivors:
        print_survivors(rows)
        print()
    return 0 if print_table(rows) else 1


if __name__ == "__main__":
    sys.exit(main())

"""The repository documents itself: no comment, docstring or diagram documentation sends a reader outside it.

The project's reference documents are in ``docs/``: the escalation contract (docs/ESCALATION.md), the project's
decisions D1–D22 (docs/DECISIONS.md), the bundled procedures (docs/PROCEDURES.md) and the map of the code
(docs/ARCHITECTURE.md). The requirements they were first written from live outside the repository, in a shared
folder beside it; a reference to those (a path into that folder, their file names without ``docs/``, a section of
the outside regulations file) is a dead end for anyone who has only the repository, so it fails here with the file
and line. One line is reported once, with the first pattern it matches.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTHON_DIRS = ("engine", "rules", "api", "tests", "bench", "tools")
SKIPPED_DIRS = frozenset({"node_modules", ".venv", "__pycache__"})

# Written as patterns so that this file does not trip over its own list.
OUTSIDE_REFERENCES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\.\./shared\b"), "a path outside the repository"),
    (re.compile(r"shared[/]domain\b"), "a path outside the repository"),
    (re.compile(r"REGULATIONS\.md"), "cite docs/ESCALATION.md or docs/DECISIONS.md"),
    (re.compile(r"REGULATIONS\s*§"), "cite docs/ESCALATION.md (e.g. §Facts) or docs/DECISIONS.md"),
    (re.compile(r"STYLE\.md"), "the style rules are in the repository's docs/ or pyproject.toml"),
    (re.compile(r"(?<!docs/)PROCEDURES\.md"), "cite docs/PROCEDURES.md"),
    (re.compile(r"(?<!docs/)ARCHITECTURE\.md"), "cite docs/ARCHITECTURE.md"),
)


def checked_files(root: Path) -> list[Path]:
    """The ``.py`` files under the code and test folders of ``root`` and the diagrams ``processes/*.bpmn``."""
    files = []
    for folder in PYTHON_DIRS:
        for path in sorted((root / folder).rglob("*.py")):
            if not SKIPPED_DIRS.intersection(path.relative_to(root).parts):
                files.append(path)
    files.extend(sorted((root / "processes").glob("*.bpmn")))
    return files


def outside_references(root: Path) -> list[str]:
    """``path:line: text (hint)`` for every reference to a document outside the repository."""
    found = []
    for path in checked_files(root):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for pattern, hint in OUTSIDE_REFERENCES:
                match = pattern.search(line)
                if match:
                    found.append(f"{path.relative_to(root)}:{number}: {match.group(0)!r} ({hint})")
                    break
    return found


def test_no_file_cites_a_document_outside_the_repository() -> None:
    found = outside_references(ROOT)
    assert found == [], "references to documents outside the repository:\n" + "\n".join(found)


def test_the_check_reads_the_code_the_tests_and_the_diagrams() -> None:
    checked = {path.relative_to(ROOT).as_posix() for path in checked_files(ROOT)}
    expected = {
        "engine/services.py",
        "rules/facts.py",
        "api/rules_schemas.py",
        "tests/processes/test_diagrams.py",
        "tests/architecture/test_self_documented.py",
        "processes/five_firsts.bpmn",
        "processes/investigation_accountability.bpmn",
        "processes/plan_revision.bpmn",
    }
    assert expected <= checked
    assert not [path for path in checked if "node_modules" in path]


# Each planted line holds one outside reference; the pieces are joined so that this file itself stays clean.
PLANTED = [
    "see " + "../" + "shared/" + "domain/ for the source",
    "from /work/shared" + "/domain/sources",
    "REGULATIONS" + ".md section 9",
    "the facts of REGULATIONS" + " §9",
    "REGULATIONS" + "§1a grading",
    "STYLE" + ".md says so",
    "faithful to PROCEDURES" + ".md §1",
    "the layers of ../ARCHITECTURE" + ".md",
    "ARCHITECTURE" + ".md",
]
ALLOWED = [
    "see docs/PROCEDURES.md, section 1",
    "docs/ARCHITECTURE.md describes the layers",
    "(docs/ESCALATION.md, §Facts) and D16 of docs/DECISIONS.md",
    "NP2014 §4.1 response levels",
]


@pytest.mark.parametrize("line", PLANTED)
@pytest.mark.parametrize("where", ["engine/planted.py", "tests/deep/planted.py", "processes/planted.bpmn"])
def test_a_planted_outside_reference_is_caught(tmp_path: Path, where: str, line: str) -> None:
    planted = tmp_path / where
    planted.parent.mkdir(parents=True)
    planted.write_text('"""A module."""\n\n# ' + line + "\nX = 1\n", encoding="utf-8")
    found = outside_references(tmp_path)
    assert len(found) == 1, found
    assert found[0].startswith(f"{where}:3: ")


def test_in_repository_references_and_other_files_pass(tmp_path: Path) -> None:
    for where in ("rules/ok.py", "processes/ok.bpmn"):
        (tmp_path / where).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / where).write_text("\n".join(ALLOWED) + "\n", encoding="utf-8")
    for where in ("api/web/node_modules/pkg/setup.py", "rules/rulesets/notes.md", "docs/x.py"):
        (tmp_path / where).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / where).write_text(PLANTED[0] + "\n", encoding="utf-8")
    assert outside_references(tmp_path) == []

"""A ruleset's identity: loading a file, its reference, equality and hashing by sha256, its repr."""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path

from rules import Ruleset, bundled, default_ruleset
from rules.ruleset import BUNDLED_DIR, canonical_json


def test_load_reads_and_validates_a_file(tmp_path: Path) -> None:
    path = BUNDLED_DIR / "cn-national-2015-v2.yaml"
    loaded = Ruleset.load(path)
    assert loaded == default_ruleset()
    assert Ruleset.load(str(path)).sha256 == loaded.sha256
    chinese = tmp_path / "local.yaml"
    text = path.read_text(encoding="utf-8").replace("cn-national-2015", "local-2015", 1)
    chinese.write_bytes(text.encode("utf-8"))  # the file is read as UTF-8 whatever the locale
    assert Ruleset.load(chinese).name == "local-2015"


def test_ref_names_name_version_and_sha256() -> None:
    base = default_ruleset()
    assert base.ref() == {"name": "cn-national-2015", "version": base.version, "sha256": base.sha256}
    assert base.sha256 == hashlib.sha256(canonical_json(base.body).encode()).hexdigest()
    assert base.canonical_json() == canonical_json(base.body)


def test_rulesets_are_equal_and_hash_alike_exactly_when_their_sha256_is() -> None:
    base = default_ruleset()
    again = Ruleset.parse(copy.deepcopy(dict(base.body)))
    assert again is not base
    assert again == base and not (again != base)
    assert hash(again) == hash(base) == hash(base.sha256)
    assert len({base, again}) == 1
    overlay = bundled("city-60-30")
    assert overlay != base
    assert base != base.sha256  # not a Ruleset
    other = copy.deepcopy(dict(base.body))
    other["description"] += " (copy)"
    assert Ruleset.parse(other) != base


def test_repr_shows_name_version_kind_and_short_sha256() -> None:
    base = default_ruleset()
    assert repr(base) == f"<Ruleset cn-national-2015 v{base.version} baseline {base.sha256[:12]}>"
    overlay = bundled("city-60-30")
    assert repr(overlay) == f"<Ruleset city-60-30 v{overlay.version} overlay {overlay.sha256[:12]}>"

"""The compiled-rulebase cache can never change a decision: damage or a foreign entry means a rebuild."""
import os

from warrant.pipeline.rulebase import _cache_path, _read_cache, load_rulebase, rule_files
from helpers import vocabulary_text

RULES = '''source s { publisher "P" title "T" }
permit p for Item "s" cites s when flag
'''


def _rulebase_folder(tmp_path, name: str, extra: str = ""):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "r.warrant").write_text(RULES + extra + vocabulary_text().split("field public_interest")[0] +
                                      'field flag: boolean "f"\n', encoding="utf-8")
    return folder


def test_every_single_byte_flip_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("WARRANT_CACHE", str(tmp_path / "cache"))
    folder = _rulebase_folder(tmp_path, "a")
    load_rulebase([str(folder)])
    path = _cache_path(rule_files([str(folder)]))
    data = open(path, "rb").read()
    assert _read_cache(path) is not None
    for index in range(len(data)):
        damaged = bytearray(data)
        damaged[index] ^= 0xFF
        with open(path, "wb") as handle:
            handle.write(damaged)
        assert _read_cache(path) is None, index
    for cut in (0, 10, len(data) // 2, len(data) - 1):
        with open(path, "wb") as handle:
            handle.write(data[:cut])
        assert _read_cache(path) is None, cut


def test_a_foreign_entry_under_this_key_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("WARRANT_CACHE", str(tmp_path / "cache"))
    permitting, refusing = _rulebase_folder(tmp_path, "a"), _rulebase_folder(tmp_path, "b", "forbid q for Item "
                                                                                         '"s" cites s when flag\n')
    load_rulebase([str(permitting)])
    load_rulebase([str(refusing)])
    mine, theirs = (_cache_path(rule_files([str(f)])) for f in (permitting, refusing))
    os.replace(theirs, mine)                    # another rulebase's entry, copied under this key
    assert _read_cache(mine) is None
    rulebase = load_rulebase([str(permitting)])
    assert not any(r.kind == "forbid" for r in rulebase.program.rules.values())


def test_grammar_cache_lives_in_our_own_folder(tmp_path, monkeypatch):
    import stat
    from warrant.pipeline.parse import cache_folder
    monkeypatch.setenv("WARRANT_CACHE", str(tmp_path / "cache"))
    folder = cache_folder()
    assert folder == str(tmp_path / "cache") and not os.stat(folder).st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    os.chmod(folder, 0o777)                      # writable by others: never trusted
    assert cache_folder() is None

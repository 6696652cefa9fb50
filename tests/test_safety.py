"""No rule or request text can run code or make Warrant read outside the rules folder."""
import os
import subprocess
import sys

import pytest
from helpers import vocabulary_text

from warrant.pipeline.errors import WarrantError
from warrant.pipeline.rulebase import load_rulebase

ROOT = os.path.join(os.path.dirname(__file__), "..")
CANARY = "/tmp/warrant-canary-should-not-exist"

PAYLOADS = [
    f'source s {{ publisher "__import__(\'os\').system(\'touch {CANARY}\')" title "t" }}\n'
    f'forbid f for Item "{{__import__(\'os\').system(\'touch {CANARY}\')}}" cites s when holder(nhs_digital)\n',
    f'source s {{ publisher "p" title "t" }}\nset x = {{a}}\n'
    f'forbid f for Item "s" cites s "\'); import os; os.system(\'touch {CANARY}\') #" when Item in x\n',
    'forbid __import__ for Item "s" when holder(x)\n',
    'forbid f for Item "s" when eval("1")\n',
    "forbid f for Item \"s\" when holder(X) <= os.system('touch /tmp/x')\n",
    'define p(X) as r "s" cites s when +q(X) & ~r(X)\n',
]


@pytest.mark.parametrize("text", PAYLOADS)
def test_code_in_rule_text_runs_nothing(tmp_path, text):
    if os.path.exists(CANARY):
        os.unlink(CANARY)
    (tmp_path / "evil.warrant").write_text(text)
    try:
        rulebase = load_rulebase([str(tmp_path)])
        from warrant.pipeline.decide import decide
        from helpers import request_from_data
        decide(rulebase, request_from_data({"date": "2018-01-01", "requester": "home_office",
                                            "holder": "nhs_digital", "purpose": "tracing", "items": ["name"]}))
    except WarrantError:
        pass
    assert not os.path.exists(CANARY)


def test_request_strings_are_data():
    from helpers import request_from_data
    with pytest.raises(WarrantError):
        request_from_data({"date": "2018-01-01", "requester": "__import__('os')", "holder": "nhs_digital",
                           "purpose": "tracing", "items": ["name"]})


def test_link_outside_rules_folder_is_refused(tmp_path):
    outside = tmp_path / "outside.warrant"
    outside.write_text('set x = {a}\n')
    rules = tmp_path / "rules"
    rules.mkdir()
    os.symlink(outside, rules / "sneaky.warrant")
    with pytest.raises(WarrantError) as caught:
        load_rulebase([str(rules)])
    assert caught.value.first.code == "W005"


def test_only_warrant_files_are_read(tmp_path):
    (tmp_path / "passwd").write_text("root:x:0:0")
    (tmp_path / "a.warrant").write_text('source s { publisher "p" title "t" }\n'
                                        'forbid f for Item "s" cites s when holder(nhs_digital)\n' + vocabulary_text())
    rulebase = load_rulebase([str(tmp_path)])
    assert [os.path.basename(f) for f in rulebase.files] == ["a.warrant"]


def test_engine_never_calls_load_or_ask():
    import re
    for name in os.listdir(os.path.join(ROOT, "engine")):
        if name.endswith(".py"):
            text = open(os.path.join(ROOT, "engine", name), encoding="utf-8").read()
            assert not re.search(r"pyDatalog\.(load|ask)\(|\beval\(|\bexec\(", text), name


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_output_identical_across_hash_seeds(fmt):
    case = os.path.join(ROOT, "tests", "golden", "decisions", "clinical_alongside.yaml")
    outputs = set()
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run([sys.executable, os.path.join(ROOT, "cli.py"), "decide", case, "--format", fmt],
                                capture_output=True, env=env, cwd=ROOT)
        assert result.returncode == 1, result.stderr
        outputs.add(result.stdout)
    assert len(outputs) == 1


@pytest.mark.parametrize("args", [
    ["check", "--format", "json"],
    ["impact", "examples/batches/synthetic_400.jsonl", "--at", "2018-05-08", "--at", "2018-05-09", "--format", "json"],
    ["compare", "tests/golden/decisions/sentence_11_months.yaml", "--at", "2018-05-08", "--at", "2018-07-01"],
    ["decide", "tests/golden/decisions/restriction_first_day_overstayer.yaml", "--format", "json"],
    ["decide", "--batch", "examples/batches/synthetic_400.jsonl", "--trace", "all"],
], ids=["check", "impact", "compare", "counterfactuals", "batch"])
def test_commands_identical_across_hash_seeds(args):
    outputs = set()
    for seed in ("0", "7", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run([sys.executable, os.path.join(ROOT, "cli.py"), *args],
                                capture_output=True, env=env, cwd=ROOT)
        assert result.returncode in (0, 1), result.stderr
        outputs.add(result.stdout)
    assert len(outputs) == 1

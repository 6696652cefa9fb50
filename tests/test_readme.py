"""README's worked example is the real output of the command it shows."""
import os
import re

from typer.testing import CliRunner

from cli import app

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def test_worked_example_is_current(monkeypatch):
    monkeypatch.chdir(ROOT)
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    block = re.search(r"\$ warrant decide examples/requests/readme_debt_exactly_500.yaml\n(.*?)\$ echo \$\?\n(\d)",
                      readme, re.S)
    assert block, "the worked example is missing from README.md"
    result = CliRunner().invoke(app, ["decide", "examples/requests/readme_debt_exactly_500.yaml"])
    assert result.output == block.group(1)
    assert str(result.exit_code) == block.group(2)


def test_use_from_python_runs_as_written(monkeypatch):
    """README's "Use from Python" examples are doctests: run them, from the checkout's top folder."""
    import doctest
    monkeypatch.chdir(ROOT)
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    section = readme[readme.index("## Use from Python"):readme.index("## Layout")]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) >= 3
    test = doctest.DocTestParser().get_doctest("\n".join(blocks), {}, "README", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.summarize(verbose=False) == (0, len(test.examples)) and test.examples


def test_api_reference_is_current():
    from warrant.apidoc import reference
    assert open(os.path.join(ROOT, "docs", "API.md"), encoding="utf-8").read() == reference(), \
        "docs/API.md is stale: python -m warrant.apidoc > docs/API.md"


def test_module_docstring_examples_run(monkeypatch):
    import doctest
    import warrant
    import warrant.api
    monkeypatch.chdir(ROOT)
    for module in (warrant, warrant.api):
        failed, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert failed == 0 and attempted > 0, module.__name__

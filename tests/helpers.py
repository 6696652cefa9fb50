"""One helper for every bad input: it must raise our error, with the right code and a real span."""
from __future__ import annotations

from warrant.pipeline.errors import WarrantError

HEADER = '''source s {
    publisher "P"
    title "T"
}
'''


def assert_warrant_error(function, code: str, line: int | None = None, column: int | None = None):
    try:
        function()
    except WarrantError as exc:
        codes = [d.code for d in exc.diagnostics]
        assert code in codes, f"expected {code}, got {codes}: {exc}"
        found = next(d for d in exc.diagnostics if d.code == code)
        if line is not None:
            assert found.span is not None and found.span.line == line, f"{found.span} != line {line}"
        if column is not None:
            assert found.span.column == column, f"{found.span} != column {column}"
        if found.span is not None:
            assert found.span.line >= 1 and found.span.column >= 1
            assert (found.span.end_line, found.span.end_column) >= (found.span.line, found.span.column)
        return found
    raise AssertionError(f"expected WarrantError {code}, nothing was raised")


def shipped_vocabulary():
    """The shipped rulebase's declared request vocabulary (loaded once)."""
    from warrant.pipeline.rulebase import load_rulebase
    if not _SHIPPED:
        _SHIPPED.append(load_rulebase().vocabulary)
    return _SHIPPED[0]


_SHIPPED: list = []


def request_from_data(data, file=None, text=None, default_id="request", vocabulary=None):
    """engine.pipeline.request.request_from_data against the shipped vocabulary unless another is given."""
    from warrant.pipeline import request
    return request.request_from_data(data, file, text, default_id, vocabulary=vocabulary or shipped_vocabulary())


def load_request(path, vocabulary=None):
    from warrant.pipeline import request
    return request.load_request(path, vocabulary or shipped_vocabulary())


import functools


@functools.lru_cache(maxsize=1)
def vocabulary_file():
    """The shipped rulebase's vocabulary file, parsed: rule texts written in tests check against it."""
    from warrant.pipeline.parse import parse_text
    return parse_text(vocabulary_text(), "vocabulary.warrant")


def vocabulary_text() -> str:
    """The shipped `enum` and `field` declarations as text, to prepend to a generated rulebase."""
    import os
    with open(os.path.join(os.path.dirname(__file__), "..", "rules", "vocabulary.warrant"), encoding="utf-8") as f:
        text = f.read()
    return text[text.index("enum "):]


def assert_checks_clean(rules: str, invariants: int) -> None:
    """`warrant check --rules RULES`: exit 0, no finding, and every invariant proved for every request."""
    from typer.testing import CliRunner

    from cli import app
    result = CliRunner().invoke(app, ["check", "--rules", rules])
    assert result.exit_code == 0, result.output
    assert "0 error(s), 0 warning(s)" in result.output
    assert f"invariants: {invariants} of {invariants} proved for every request" in result.output, result.output


def scaffolded_law(parent, file_name: str, text: str):
    """A `warrant init` rulebase in `parent/law`, without its golden cases, with one more rule file."""
    import shutil

    from typer.testing import CliRunner

    from cli import app
    root = parent / "law"
    assert CliRunner().invoke(app, ["init", str(root)]).exit_code == 0
    shutil.rmtree(root / "cases")
    (root / file_name).write_text(text, encoding="utf-8")
    return root


def checks_and_formats(folder, file_name: str, invariants: bool = True) -> str:
    """Assert the law checks clean and its canonical layout is a fixed point; the text of `file_name` after."""
    import warrant
    report = warrant.check(folder, invariants=invariants)
    assert report.ok, report.render()
    warrant.format_files(folder)
    assert warrant.format_files(folder, write=False).changed == ()
    return (folder / file_name).read_text(encoding="utf-8")


def law_with(folder, tmp_path, file_name: str, text: str):
    """A copy of the law in `folder` (in `tmp_path/law`) with one more rule file."""
    import shutil
    root = tmp_path / "law"
    shutil.copytree(folder, root)
    (root / file_name).write_text(text, encoding="utf-8")
    return root


def law_folder(law: str, tmp_path, size: int) -> str:
    """The folder of a law a test names: "shipped" (rules/), an example rulebase, or "generated" (the
    law-scaling benchmark's law of `size`, written to `tmp_path`)."""
    import os
    from bench.law_scaling import law_files
    root = os.path.join(os.path.dirname(__file__), "..")
    if law == "generated":
        for name, text in law_files(size).items():
            (tmp_path / name).write_text(text, encoding="utf-8")
        return str(tmp_path)
    return os.path.join(root, "rules") if law == "shipped" else os.path.join(root, "examples", "rulebases", law)

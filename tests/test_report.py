"""The HTML decision report: self-contained, escaped, and it opens in a real headless browser."""
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest
from typer.testing import CliRunner

from cli import app
from warrant.pipeline.rulebase import DEFAULT_RULES

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
REQUESTS = ["examples/requests/readme_debt_exactly_500.yaml", "examples/requests/mou_tracing.json",
            "examples/requests/nhs_digital_mou_2017_refused.yaml"]
runner = CliRunner()


class _Tags(HTMLParser):
    VOID = {"meta", "br", "link", "img", "hr", "input"}

    def __init__(self):
        super().__init__()
        self.stack, self.seen, self.problems = [], [], []

    def handle_starttag(self, tag, attrs):
        self.seen.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(tag)


def _report(tmp_path, *args) -> str:
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["decide", *args, "--format", "html", "--out", str(out)])
    assert result.exit_code in (0, 1), result.output
    return out.read_text(encoding="utf-8")


def test_report_is_self_contained_and_holds_every_section(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    requests = [r for r in REQUESTS if os.path.exists(r)]
    text = _report(tmp_path, *requests)
    parser = _Tags()
    parser.feed(text)
    assert not parser.problems and not parser.stack                    # every element closed in order
    tags = [t for t, _ in parser.seen]
    assert "script" not in tags and "img" not in tags and "link" not in tags     # nothing to fetch or run
    assert not re.search(r"(src|href)=\"(https?:)?//", text)
    for words in ("Partially permitted", "Why not", "What would have to change", "Assumptions this decision rests on",
                  "Decision record", "request sha256", "Sources", "debt_threshold_inclusive"):
        assert words in text, words
    assert re.search(r'<li id="note-1">.+, para', text)                 # numbered notes with paragraphs
    assert _report(tmp_path, *requests) == text                         # deterministic


def test_hostile_statement_is_text(tmp_path, monkeypatch):
    rules = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES, rules)
    path = rules / "general.warrant"
    path.write_text(path.read_text().replace('"Clinical information is never released',
                                             '"<script>alert(1)</script> & Clinical information is never released'))
    monkeypatch.chdir(ROOT)
    text = _report(tmp_path, "--rules", str(rules), REQUESTS[0])
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in text


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]


@pytest.mark.skipif(CHROMIUM is None, reason="no headless browser: install Debian's chromium "
                                             "(apt-get install chromium) to open the report in a real browser")
def test_report_opens_in_a_headless_browser_without_console_errors(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    text = _report(tmp_path, *[r for r in REQUESTS if os.path.exists(r)])
    page = tmp_path / "report.html"
    profile = tmp_path / "profile"
    base = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0"]
    dom = subprocess.run(base + ["--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "Decision record" in dom.stdout and "Partially permitted" in dom.stdout   # the browser built the page
    shot = tmp_path / "report.png"
    run = subprocess.run(base + ["--window-size=1100,1500", f"--screenshot={shot}", page.as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    console = [l for l in (dom.stderr + run.stderr).splitlines() if "CONSOLE" in l or "Uncaught" in l]
    assert not console, console
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000     # a real picture, not a blank page
    assert text.count("<h2>") >= 3

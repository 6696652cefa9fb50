"""The VS Code extension (editors/vscode): its TextMate grammar against golden scopes, and its packaging.

Every rule file of the shipped rulebases (rules/, examples/rulebases/*/)
and tests/golden/textmate/every_construct.warrant (every construct of
grammar/warrant.lark once) is tokenized under node with vscode-textmate and
vscode-oniguruma, as VS Code does, and compared with its golden file in
tests/golden/textmate/ (`pytest --update-golden` rewrites them; review with
`git diff`). Then `vsce package` builds the .vsix.

node and npm are needed (Debian: `apt-get install nodejs npm`, which .ci/run
does); without them these tests skip and say so, or fail under CI. The npm packages (package-lock.json) are
installed once into editors/vscode/node_modules, kept out of git, and
installed again only when the lock file changes.
"""
import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import zipfile

import pytest

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))
EXTENSION = os.path.join(ROOT, "editors", "vscode")
GOLDEN = os.path.join(ROOT, "tests", "golden", "textmate")
EXAMPLES = os.path.join(ROOT, "examples", "rulebases")
NODE, NPM = shutil.which("node"), shutil.which("npm")

MISSING = ("node and npm are not installed (Debian: apt-get install nodejs npm); the TextMate grammar and the "
           ".vsix are not tested")


def rule_files():
    """(golden name, path) of every shipped rule file and the every-construct sample."""
    found = [("every_construct", os.path.join(GOLDEN, "every_construct.warrant"))]
    folders = [("rules", os.path.join(ROOT, "rules"))] + [
        (name, os.path.join(EXAMPLES, name)) for name in sorted(os.listdir(EXAMPLES))]
    for label, folder in folders:
        for name in sorted(os.listdir(folder)):
            if name.endswith(".warrant"):
                found.append((f"{label}/{name[:-len('.warrant')]}", os.path.join(folder, name)))
    return found


def _lock_digest():
    with open(os.path.join(EXTENSION, "package-lock.json"), "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


@contextlib.contextmanager
def _exclusive(path):
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)          # pytest-xdist workers install once, one at a time
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="module")
def node_modules():
    """editors/vscode/node_modules as package-lock.json says (`npm ci`, once per lock file)."""
    if NODE is None or NPM is None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the VS Code extension's tests: {MISSING}")     # .ci/run installs them
        pytest.skip(MISSING)
    stamp = os.path.join(EXTENSION, "node_modules", ".warrant-lock.sha256")
    with _exclusive(os.path.join(EXTENSION, ".install.lock")):
        digest = _lock_digest()
        if not (os.path.exists(stamp) and open(stamp).read() == digest):
            done = subprocess.run([NPM, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--omit=optional"],
                                  cwd=EXTENSION, capture_output=True, text=True, timeout=600)
            if done.returncode != 0 and re.search(r"ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ENETUNREACH",
                                                  done.stderr):
                pytest.skip(f"npm cannot reach its registry: {done.stderr.strip().splitlines()[-1]}")
            assert done.returncode == 0, done.stderr
            with open(stamp, "w") as handle:
                handle.write(digest)
    return os.path.join(EXTENSION, "node_modules")


def tokenized(paths):
    done = subprocess.run([NODE, os.path.join(EXTENSION, "test", "tokenize.js"), *paths], cwd=EXTENSION,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_every_shipped_rule_file_is_coloured_as_its_golden_scopes_say(node_modules, update_golden):
    files = rule_files()
    found = tokenized([path for _, path in files])
    changed = []
    for name, path in files:
        golden = os.path.join(GOLDEN, name + ".scopes")
        text = found[path]
        if update_golden:
            os.makedirs(os.path.dirname(golden), exist_ok=True)
            with open(golden, "w", encoding="utf-8") as handle:
                handle.write(text)
            continue
        assert os.path.exists(golden), f"no golden scopes for {name}: run pytest {__file__} --update-golden"
        with open(golden, encoding="utf-8") as handle:
            if handle.read() != text:
                changed.append(name)
    assert not changed, f"scopes differ from tests/golden/textmate for {changed}: review, then --update-golden"


def test_every_token_of_the_language_has_a_scope_and_none_is_invalid(node_modules):
    """'Colours every construct': no piece of a shipped rule file is left with the root scope alone or
    marked invalid, and every keyword of grammar/warrant.lark is a keyword or storage scope somewhere."""
    found = tokenized([path for _, path in rule_files()])
    bare, invalid, scoped = [], [], {}
    for path, text in found.items():
        for line in text.splitlines():
            if not line.startswith("  "):
                continue
            piece, scopes = line.strip().split("\t")
            if scopes == "-":
                bare.append((path, piece))
            if "invalid" in scopes:
                invalid.append((path, piece))
            scoped.setdefault(piece, set()).update(scopes.split())
    assert not bare and not invalid, (bare[:5], invalid[:5])
    with open(os.path.join(ROOT, "grammar", "warrant.lark"), encoding="utf-8") as handle:
        lark = handle.read()
    keywords = set(re.findall(r'"([a-z]+)"', re.sub(r"//[^\n]*", "", lark)))      # "when", MANY: "many" ...
    assert len(keywords) > 30
    plain = {word for word in keywords
             if not any(s.startswith(("keyword.", "storage.")) for s in scoped.get(word, ()))}
    assert not plain, f"keywords of warrant.lark without a keyword scope: {sorted(plain)}"


def test_the_extension_packages_into_a_vsix(node_modules, tmp_path):
    with open(os.path.join(EXTENSION, "package.json"), encoding="utf-8") as handle:
        manifest = json.load(handle)
    import warrant
    assert manifest["version"] == warrant.__version__
    out = tmp_path / "warrant.vsix"
    vsce = os.path.join(node_modules, ".bin", "vsce")
    done = subprocess.run([vsce, "package", "--skip-license", "--allow-missing-repository", "--no-git-tag-version",
                           "--out", str(out)], cwd=EXTENSION, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    with zipfile.ZipFile(out) as vsix:
        names = set(vsix.namelist())
        packaged = json.loads(vsix.read("extension/package.json"))
    assert {"extension/package.json", "extension/extension.js", "extension/language-configuration.json",
            "extension/syntaxes/warrant.tmLanguage.json", "extension.vsixmanifest",
            "extension/node_modules/vscode-languageclient/package.json"} <= names
    assert not any(n.startswith(("extension/node_modules/vscode-textmate/", "extension/node_modules/@vscode/vsce/",
                                 "extension/test/")) for n in names), "the .vsix carries only what VS Code runs"
    assert packaged["contributes"]["languages"][0]["extensions"] == [".warrant"]

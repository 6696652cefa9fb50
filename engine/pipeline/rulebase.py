"""A loaded rulebase: parse -> check -> compile -> engine, for a folder or files.

`load_rulebase(paths)` is the pipeline's front half in a dozen lines. Only
`*.warrant` files under the given folders are read, and a file that resolves
(through a link) to somewhere outside its folder is refused (W005): a rules
folder can never make Warrant read anything else.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property

from warrant.pipeline import syntax as S
from warrant.pipeline.check import Checked
from warrant.pipeline.datalog import Program
from warrant.pipeline.errors import Diagnostic, WarrantError
from warrant.pipeline.files import walk_files
from warrant.pipeline.trace import Cite

from warrant.pipeline.places import DEFAULT_RULES, GRAMMAR
RULES_VARIABLE = "WARRANT_RULES"


def resolve_rules(paths: list[str] | None) -> list[str]:
    """Which rulebase answers, the same rule for every command.

    `--rules DIR` (given as `paths`), else the folder in $WARRANT_RULES, else
    `./rules` when it holds rule files, else the shipped rulebase.
    """
    if paths:
        return list(paths)
    chosen = os.environ.get(RULES_VARIABLE, "").strip()
    if chosen:
        return [chosen]
    if os.path.isdir("rules") and _holds_rule_files("rules"):
        return ["rules"]
    return [DEFAULT_RULES]


def default_cases(paths: list[str]) -> str:
    """Where the golden cases of a rulebase live: `cases/` in its folder (the shipped one keeps them in tests/)."""
    folder = paths[0] if os.path.isdir(paths[0]) else os.path.dirname(paths[0]) or "."
    if os.path.realpath(folder) == os.path.realpath(DEFAULT_RULES):
        return os.path.join(os.path.dirname(DEFAULT_RULES), "tests", "golden", "decisions")
    return os.path.join(folder, "cases")


@dataclass
class Rulebase:
    checked: Checked
    program: Program
    files: list[str] = field(default_factory=list)
    folder: str | None = None      # the rulebase's folder: its distribution.yaml and cases/ live there

    @cached_property
    def engine(self):
        from warrant.pipeline.evaluate import Engine
        return Engine(self.program)

    @property
    def vocabulary(self):
        """The declared request vocabulary (engine/pipeline/vocabulary.py)."""
        return self.program.vocabulary

    def with_digest(self, digest: dict) -> "Rulebase":
        """Record the digest its decisions and reports state, when the files are read from elsewhere (a git
        revision, whose folder is gone by the time a report is written); returns itself."""
        self.__dict__["_record_digest"] = dict(digest)
        return self

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.checked.diagnostics if d.severity != "error"]

    def cite(self, citation: S.Citation) -> Cite:
        source = self.checked.sources.get(citation.source)
        if source is None:
            return Cite(citation.source, citation.locator, citation.source)
        parts = [source.get("publisher"), source.get("title")]
        date = source.get("date")
        if date is not None:
            parts.append(date.isoformat())
        label = ", ".join(str(p) for p in parts if p)
        return Cite(citation.source, citation.locator, label)

    def source_rule(self, rule_id: str) -> S.Rule | None:
        return self.checked.rules.get(rule_id)

    def _memo(self, kind: str, rule_id: str, make):
        """What a trace says of a rule is the same for every request: worked out once per rule."""
        memo = self.__dict__.setdefault("_rule_memo", {})
        key = (kind, rule_id, os.getcwd() if kind == "location" else None)
        found = memo.get(key)
        if found is None:
            found = memo[key] = make(rule_id)
        return found

    def rule_assumptions(self, rule_id: str) -> tuple[str, ...]:
        """Assumptions a rule rests on: its own `assumes`, its policy's, and its `assuming` conditions."""
        return self._memo("assumptions", rule_id, self._rule_assumptions)

    def rule_citations(self, rule_id: str) -> tuple[Cite, ...]:
        return self._memo("citations", rule_id, self._rule_citations)

    def rule_obligations(self, rule_id: str) -> tuple:
        """The obligations a permission carries (`requires`), as `Duty`s with their citations; a conditional
        one (`requires "..." when ...`) with its conditions as written (`Duty.condition`)."""
        def make(rule_id):
            from warrant.pipeline.wording import condition_text
            from warrant.pipeline.datalog import duty_id
            from warrant.pipeline.trace import Duty
            rule = self.checked.rules.get(rule_id)
            return tuple(Duty(o.text, rule_id, tuple(self.cite(c) for c in o.cites),
                              " and ".join(condition_text(c) for c in o.when) or None,
                              duty_id(rule_id, n) if o.when else None)
                         for n, o in enumerate(rule.obligations if rule is not None else (), 1))
        return self._memo("obligations", rule_id, make)

    def conditional_obligations(self) -> bool:
        """Whether any permission carries an obligation with `when` conditions (asked per decision only then)."""
        return any(o.when for r in self.checked.rules.values() for o in r.obligations)

    def item_obligations(self, rule_id: str, item, held, because=None) -> tuple:
        """The obligations permission `rule_id` gives `item`: each unconditional one, and each conditional one
        whose conditions hold of it (`held`: the (item, clause) pairs the engine derived for `w_duty`).
        `because(duty)`, given, says what held (a trace's words) and is kept in `Duty.because`."""
        import dataclasses
        out = []
        for duty in self.rule_obligations(rule_id):
            if duty.clause is None:
                out.append(duty)
            elif (item, duty.clause) in held:
                out.append(dataclasses.replace(duty, because=because(duty)) if because else duty)
        return tuple(out)

    def duty_obligation(self, clause: str):
        """The permission and `Obligation` a compiled `w_duty` clause stands for: (rule, obligation)."""
        rule_id, _, index = clause.rpartition("__requires_")
        rule = self.checked.rules[rule_id]
        return rule, rule.obligations[int(index) - 1]

    def rule_location(self, rule_id: str) -> str | None:
        return self._memo("location", rule_id, self._rule_location) or None

    def _rule_assumptions(self, rule_id: str) -> tuple[str, ...]:
        compiled = self.program.rules[rule_id]
        names: list[str] = []
        policy = self.checked.policies.get(compiled.policy) if compiled.policy else None
        if policy:
            names.extend(policy.assumes)
        rule = self.checked.rules.get(rule_id)
        if rule:
            names.extend(rule.assumes)
            names.extend(c.name for c in rule.body if isinstance(c, S.Assuming))
        return tuple(dict.fromkeys(names))

    def value_clause(self, rule_id: str):
        """The dated set's or value's period a compiled `value` rule stands for (compile.ValueClause)."""
        clauses = self.__dict__.get("_value_clauses")
        if clauses is None:
            from warrant.pipeline.compile import value_clauses
            clauses = self.__dict__["_value_clauses"] = {c.rule_id: c for c in value_clauses(self.checked)}
        return clauses[rule_id]

    def _rule_citations(self, rule_id: str) -> tuple[Cite, ...]:
        compiled = self.program.rules[rule_id]
        rule = self.checked.rules.get(rule_id)
        if rule is not None:
            return tuple(self.cite(c) for c in rule.cites)
        if compiled.kind == "duty":
            return tuple(self.cite(c) for c in self.duty_obligation(rule_id)[1].cites)
        if compiled.kind == "value":
            return tuple(self.cite(c) for c in self.value_clause(rule_id).period.cites)
        policy = self.checked.policies.get(compiled.policy)
        return tuple(self.cite(c) for c in policy.cites) if policy else ()

    def _rule_location(self, rule_id: str) -> str:
        rule = self.checked.rules.get(rule_id)
        if rule is not None and rule.span:
            return self.place(rule)
        if self.program.rules[rule_id].kind == "value":
            return self.place(self.value_clause(rule_id).period) or ""
        if self.program.rules[rule_id].kind == "duty":
            return self.place(self.duty_obligation(rule_id)[1]) or ""
        return self.place(self.checked.policies.get(self.program.rules[rule_id].policy)) or ""

    def place(self, decl) -> str | None:
        """Where a declaration stands, as traces show it: `FOLDER/FILE:LINE` (see `shown_names`)."""
        if decl is None or decl.span is None:
            return None
        shown = self.__dict__.get("_shown")
        if shown is None:
            shown = self.__dict__["_shown"] = shown_names(self.files, self.folder, self.__dict__.get("built_as"))
        return f"{shown.get(decl.span.file, decl.span.file)}:{decl.span.line}"


def shown_names(files: list[str], folder: str | None, built_as: list[str] | None = None) -> dict:
    """How traces name each rule file: the rulebase folder's own name, then the path inside it.

    `rules/general.warrant`, `uk_gdpr/bases.warrant`: the same from any
    working folder and with the cache on or off, so golden files are
    portable. `built_as` are the names the files had when the (cached)
    rulebase was built, in the same order; their spans are mapped too.
    """
    from warrant.pipeline.record import rulebase_base, rulebase_name
    base = rulebase_base(files, folder) or os.getcwd()
    label = rulebase_name(files, base)
    shown = {}
    for index, path in enumerate(files):
        inside = os.path.relpath(os.path.abspath(path), base).replace(os.sep, "/")
        name = f"{label}/{inside}"
        shown[path] = name
        if built_as is not None and index < len(built_as):
            shown[built_as[index]] = name
    return shown


def _holds_rule_files(folder: str) -> bool:
    try:
        return any(name.endswith(".warrant") for _, names in walk_files(folder) for name in names)
    except WarrantError:
        return True              # a folder too deep or unreadable: loading it says so, with its place


def rule_files(paths: list[str]) -> list[str]:
    """The *.warrant files named or found under the folders named, sorted."""
    found: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            root = os.path.realpath(path)
            for folder, names in walk_files(path):
                for name in names:
                    if not name.endswith(".warrant"):
                        continue
                    full = os.path.join(folder, name)
                    real = os.path.realpath(full)
                    if os.path.commonpath([root, real]) != root:
                        raise WarrantError.at("W005", f"{full} points outside the rules folder ({real}); "
                                                      "it is not read")
                    found.append(full)
        elif os.path.exists(path):
            found.append(path)
        else:
            raise WarrantError.at("W004", f"no such rule file or folder: {path}")
    import stat
    for path in found:
        try:
            mode = os.stat(path).st_mode
        except OSError as exc:
            raise WarrantError.at("W004", f"cannot read {path}: {exc.strerror}") from None
        if not stat.S_ISREG(mode):
            raise WarrantError.at("W004", f"{path} is not a regular file (a pipe, device or socket); it is not read")
    if not found:
        raise WarrantError.at("W004", f"no .warrant rule files in {', '.join(paths)}")
    return found


@dataclass(frozen=True)
class FrontHalf:
    """The front half of the pipeline run over some rule files: parsed, then checked, diagnostics kept.

    `diagnostics` holds every file's syntax error when any file does not
    parse (then nothing is checked: what follows from a broken file
    elsewhere would only be noise), else every finding of the check."""

    files: tuple[str, ...]
    diagnostics: tuple[Diagnostic, ...]
    checked: Checked | None

    @property
    def errors(self) -> bool:
        return any(d.severity == "error" for d in self.diagnostics)


def front_half(files: list[str], texts: dict[str, str] | None = None) -> FrontHalf:
    """Parse every rule file and, when all parse, check them together; never raises for the author's errors.

    `texts` holds the text of some files as an editor has it, unsaved: read
    instead of the disk (a file named only there is added). `load_rulebase`
    raises what this collects; `warrant check` reports it."""
    from warrant.pipeline.check import check
    from warrant.pipeline.parse import parse_file, parse_held
    texts = texts or {}
    files = list(files) + [path for path in texts if path not in files]
    parsed, broken = [], []
    for path in files:
        try:
            parsed.append(parse_held(texts[path], path) if path in texts else parse_file(path))
        except WarrantError as exc:
            broken.extend(exc.diagnostics)
    if broken:
        return FrontHalf(tuple(files), tuple(broken), None)
    checked = check(parsed)
    return FrontHalf(tuple(files), tuple(checked.diagnostics), checked)


def load_rulebase(paths: list[str] | None = None, cache: bool = True,
                  texts: dict[str, str] | None = None) -> Rulebase:
    """Parse, check and compile rule files. Raises WarrantError with every error found.

    The compiled result is cached on disk (see `_cache_path`), keyed by the
    exact bytes of every rule file, the grammar and Warrant's own source, so
    any change to any of them means a fresh parse. Set WARRANT_CACHE=off to
    disable. A rulebase with errors is never cached, nor one read with
    `texts` (an editor's unsaved texts, as `front_half` reads them).
    """
    chosen = resolve_rules(paths)
    files = rule_files(chosen)
    folder = chosen[0] if os.path.isdir(chosen[0]) else None
    if texts:
        files = files + [path for path in texts if path not in files]
    target = _cache_path(files) if cache and not texts else None
    if target is not None:
        cached = _read_cache(target)
        if cached is not None:
            # as named now (the entry may come from another folder); spans keep the names it was built with
            cached.built_as, cached.folder, cached.files = cached.files, folder, files
            return cached
    from warrant.pipeline.compile import compile_rulebase
    front = front_half(files, texts)
    if front.errors:
        raise WarrantError(front.diagnostics)
    rulebase = Rulebase(front.checked, compile_rulebase(front.checked), files, folder)
    if target is not None:
        _write_cache(target, rulebase)
    return rulebase


def _cache_path(files: list[str]) -> str | None:
    """Where the compiled form of exactly these files (and this Warrant) is kept, or None if caching is off."""
    setting = os.environ.get("WARRANT_CACHE", "")
    if setting.lower() in ("off", "0", "no", "false"):
        return None
    import hashlib
    digest = hashlib.sha256()
    engine = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    own = sorted(os.path.join(folder, n) for folder, _, names in os.walk(engine) for n in names if n.endswith(".py"))
    own.append(GRAMMAR)
    try:
        for path in own + files:
            digest.update(os.path.abspath(path).encode() + b"\0")
            with open(path, "rb") as handle:
                digest.update(handle.read())
            digest.update(b"\0")
    except OSError:
        return None
    from warrant.pipeline.places import cache_folder
    folder = cache_folder()
    return os.path.join(folder, digest.hexdigest() + ".pickle") if folder else None


_MAGIC = b"warrant-rulebase-cache 1\n"


def _read_cache(path: str) -> Rulebase | None:
    """The cached rulebase, only when its header names exactly this key and its payload is intact.

    Header: magic, the key (the digest of the rule files and Warrant's source
    the entry was built from, which is also its file name) and the sha256 of
    the payload. A damaged, truncated or foreign entry is never unpickled;
    the rulebase is simply rebuilt.
    """
    import hashlib
    import pickle
    key = os.path.basename(path).removesuffix(".pickle").encode()
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    header_length = len(_MAGIC) + len(key) + 1 + 64 + 1
    header, payload = data[:header_length], data[header_length:]
    expected = _MAGIC + key + b" " + hashlib.sha256(payload).hexdigest().encode() + b"\n"
    if header != expected:
        _debug(f"cache entry {path} is damaged or foreign; rebuilding")
        return None
    try:
        rulebase = pickle.loads(payload)
    except Exception:  # noqa: BLE001 - an intact payload that still fails to load is rebuilt, never trusted
        return None
    return rulebase if isinstance(rulebase, Rulebase) else None


def _debug(message: str) -> None:
    if os.environ.get("WARRANT_DEBUG"):
        import sys
        print(f"debug: {message}", file=sys.stderr)


def _write_cache(path: str, rulebase: Rulebase) -> None:
    """Best effort: a cache that cannot be written is simply not used."""
    import hashlib
    import pickle
    try:
        from warrant.pipeline.files import write_atomic_bytes
        payload = pickle.dumps(Rulebase(rulebase.checked, rulebase.program, rulebase.files),
                               protocol=pickle.HIGHEST_PROTOCOL)
        key = os.path.basename(path).removesuffix(".pickle").encode()
        write_atomic_bytes(path, _MAGIC + key + b" " + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
    except (OSError, pickle.PicklingError, RecursionError):
        pass

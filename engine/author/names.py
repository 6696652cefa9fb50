"""The names of a rulebase: where each is declared, where each is used, and what it is.

In: parsed rule files (`syntax.RuleFile`) and their texts. Out: a
`NameIndex`: every declaration (`Name`: kind, name, the span of the name
itself, the span of the whole declaration, a one-line detail and a Markdown
description) and every use of a name (`NameUse`, a declaration's own name
included), each with the exact span of the name's token. Raises nothing: a
name it cannot resolve is recorded under the kind its place implies.

The AST keeps spans of constructs, not of every name inside them; the names'
own spans come from the tokens of the text inside each construct's span, so
the index agrees with the parser about what a construct is and with the text
about where each name stands. Kinds: source, assumption, reading (of an
assumption: `container`), set, value, enum, enum value (`container`: its
enumeration), field (named by its predicate), definition (a concept `define`
rules conclude), rule, policy, lineage (the NAME of `version of NAME`),
invariant.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field, replace

from warrant.pipeline import syntax as S
from warrant.pipeline.errors import Span

KEYWORDS = frozenset("""source assumption set value from until enum field many required fixed judgement records as
policy version of draft in force invariant never permit forbid define for when cites requires assumes and not
assuming months month""".split())

KINDS = ("source", "assumption", "reading", "set", "value", "enum", "enum value", "field", "definition", "rule",
         "policy", "lineage", "invariant")

_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"?|#[^\n]*|£[0-9]+(?:\.[0-9]+)?|[0-9]{4}-[0-9]{2}-[0-9]{2}|[A-Za-z_][A-Za-z0-9_]*'
                    r'|[0-9]+|>=|<=|!=|\S')
_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")


@dataclass(frozen=True)
class Name:
    """A declared name: what it is, where its name stands (`span`) and the whole declaration (`extent`)."""

    kind: str
    name: str
    span: Span
    extent: Span
    container: str | None = None      # a rule's policy, a reading's assumption, an enum value's enumeration
    detail: str = ""                  # one line: a statement, title or doc
    doc: str = ""                     # Markdown: what a reader hovering over the name wants to know
    values: tuple[str, ...] = ()      # what it holds or takes: an enumeration's values (also a field's of an
    #                                   enumeration type), a set's members, an assumption's readings

    @property
    def key(self) -> tuple[str, str]:
        """What identifies the name: (kind, name), a reading's name qualified by its assumption's."""
        return _key(self.kind, self.name, self.container)

    def to_json(self) -> dict:
        """The name as JSON data (its Markdown `doc` left out)."""
        return {"kind": self.kind, "name": self.name, "container": self.container, "detail": self.detail,
                "values": list(self.values), "span": _span_json(self.span), "extent": _span_json(self.extent)}


@dataclass(frozen=True)
class NameUse:
    """One occurrence of a name in the text (its declaration too, with `declaration` true)."""

    kind: str
    name: str
    span: Span
    container: str | None = None
    declaration: bool = False

    @property
    def key(self) -> tuple[str, str]:
        """What identifies the name: (kind, name), a reading's name qualified by its assumption's."""
        return _key(self.kind, self.name, self.container)

    def to_json(self) -> dict:
        """The occurrence as JSON data."""
        return {"kind": self.kind, "name": self.name, "container": self.container,
                "declaration": self.declaration, "span": _span_json(self.span)}


def _key(kind: str, name: str, container: str | None) -> tuple[str, str]:
    return (kind, f"{container}.{name}" if kind == "reading" else name)


def _span_json(span: Span) -> dict:
    return {"file": span.file, "line": span.line, "column": span.column, "end_line": span.end_line,
            "end_column": span.end_column}


@dataclass(frozen=True)
class NameIndex:
    """Every name of a rulebase's files that parse; `unparsed` lists the files that do not."""

    names: tuple[Name, ...]
    uses: tuple[NameUse, ...]
    unparsed: tuple[str, ...] = ()
    KEYWORDS = KEYWORDS                 # the words no name may be (the grammar's keywords)
    _by_key: dict = field(default_factory=dict, repr=False, compare=False)
    _by_file: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        for use in self.uses:
            self._by_key.setdefault(use.key, []).append(use)
            self._by_file.setdefault(use.span.file, []).append(use)
        for found in self._by_file.values():
            found.sort(key=lambda u: (u.span.line, u.span.column))

    def at(self, file: str, line: int, column: int) -> NameUse | None:
        """The name whose token covers a position (1-based line and column), if any."""
        for use in self._by_file.get(file, ()):
            s = use.span
            if s.line == line and s.column <= column <= s.end_column + 1:
                return use
        return None

    def declared(self, kind: str, name: str, container: str | None = None) -> tuple[Name, ...]:
        """The declarations of one name (a definition has one per `define` rule; a reading needs its
        assumption as `container`)."""
        key = _key(kind, name, container)
        return tuple(n for n in self.names if n.key == key)

    def uses_of(self, kind: str, name: str, container: str | None = None) -> tuple[NameUse, ...]:
        """Every occurrence of one name, declarations included, in file and text order."""
        return tuple(sorted(self._by_key.get(_key(kind, name, container), ()),
                            key=lambda u: (u.span.file, u.span.line, u.span.column)))

    def in_file(self, file: str) -> tuple[Name, ...]:
        """The names declared in one file, in the order written: the file's outline."""
        return tuple(n for n in self.names if n.span.file == file)

    def to_json(self) -> dict:
        """The index as JSON data: names, uses (each with its span) and the files that did not parse."""
        return {"names": [n.to_json() for n in self.names], "uses": [u.to_json() for u in self.uses],
                "unparsed": list(self.unparsed)}


class _Tokens:
    """The tokens of one file's text outside strings and comments, in order: (line, column, text)."""

    def __init__(self, text: str):
        self.tokens: list[tuple[int, int, str]] = []
        for number, line in enumerate(text.split("\n"), 1):
            for match in _TOKEN.finditer(line):
                word = match.group()
                if word[0] not in '"#':
                    self.tokens.append((number, match.start() + 1, word))
        self.keys = [(t[0], t[1]) for t in self.tokens]

    def within(self, span: Span | None) -> list[tuple[int, int, str]]:
        if span is None:
            return []
        start = bisect.bisect_left(self.keys, (span.line, span.column))
        end = bisect.bisect_right(self.keys, (span.end_line, span.end_column))
        return self.tokens[start:end]


def _names(tokens) -> list[tuple[int, int, str]]:
    return [t for t in tokens if _NAME.match(t[2]) and t[2] not in KEYWORDS]


class _Builder:
    def __init__(self):
        self.names: list[Name] = []
        self.uses: list[NameUse] = []      # kinds "predicate", "symbol" and "in force" are resolved at the end
        self.file = ""
        self.tokens: _Tokens | None = None
        self.field_types: dict[str, list[str]] = {}

    def span_of(self, token) -> Span:
        line, column, text = token
        return Span(self.file, line, column, line, column + len(text) - 1)

    def declare(self, kind, token, extent, container=None, detail="", doc="", values=()):
        if token is None:
            return
        span = self.span_of(token)
        self.names.append(Name(kind, token[2], span, extent or span, container, detail, doc, tuple(values)))
        self.uses.append(NameUse(kind, token[2], span, container, True))

    def use(self, kind, token, container=None):
        if token is not None:
            self.uses.append(NameUse(kind, token[2], self.span_of(token), container))

    def first(self, span, name=None, after=None):
        """The first name token inside `span` (equal to `name`; after the keyword `after`)."""
        tokens = self.tokens.within(span)
        if after is not None:
            index = next((i for i, t in enumerate(tokens) if t[2] == after), None)
            if index is None:
                return None
            tokens = tokens[index + 1:]
        return next((t for t in _names(tokens) if name is None or t[2] == name), None)

    # ---- declarations ---------------------------------------------------------
    def file_(self, rule_file: S.RuleFile, text: str) -> None:
        self.file, self.tokens = rule_file.path, _Tokens(text)
        for decl in rule_file.declarations:
            getattr(self, "decl_" + type(decl).__name__)(decl)

    def decl_SourceDecl(self, decl: S.SourceDecl):
        self.declare("source", self.first(decl.span, decl.name), decl.span, detail=str(decl.get("title") or ""),
                     doc=source_doc(decl))

    def decl_AssumptionDecl(self, decl: S.AssumptionDecl):
        self.declare("assumption", self.first(decl.span, decl.name), decl.span,
                     detail=str(decl.get("question") or ""), doc=assumption_doc(decl),
                     values=[p.label for p in decl.readings])
        for prop in decl.properties:
            if prop.label is not None:
                names = _names(self.tokens.within(prop.span))
                label = next((t for t in names[1:] if t[2] == prop.label), None)
                self.declare("reading", label, prop.span, decl.name, str(prop.value),
                             f"reading `{prop.label}` of assumption `{decl.name}`\n\n{prop.value}")
            elif prop.key == "default" and prop.is_word and decl.has_readings:
                self.use("reading", self.first(prop.span, str(prop.value)), decl.name)
            self.cites(prop.cites)

    def decl_SetDecl(self, decl: S.SetDecl):
        members = decl.members + tuple(m for p in decl.periods for m in p.value + p.added)
        self.declare("set", self.first(decl.span, decl.name), decl.span, detail=decl.description or "",
                     doc=set_doc(decl), values=dict.fromkeys(members))
        for span in decl.member_spans or ():
            self.use("symbol", self.first(span))
        for period in decl.periods:
            for span in period.member_spans or ():
                self.use("symbol", self.first(span))
            self.cites(period.cites)

    def decl_ValueDecl(self, decl: S.ValueDecl):
        self.declare("value", self.first(decl.span, decl.name), decl.span, detail=decl.description or "",
                     doc=value_doc(decl))
        for period in decl.periods:
            self.term(period.value)
            self.cites(period.cites)

    def decl_EnumDecl(self, decl: S.EnumDecl):
        self.declare("enum", self.first(decl.span, decl.name), decl.span, detail=decl.doc or "",
                     doc=f"enumeration `{decl.name}`" + (f": {decl.doc}" if decl.doc else "") + "\n\n" +
                     "\n".join(f"- `{v.name}`" + (f": {v.doc}" if v.doc else "") for v in decl.values),
                     values=[v.name for v in decl.values])
        for value in decl.values:
            self.declare("enum value", self.first(value.span, value.name), value.span, decl.name, value.doc or "",
                         f"`{value.name}`, a value of enumeration `{decl.name}`" + (f"\n\n{value.doc}" if value.doc
                                                                                   else ""))

    def decl_FieldDecl(self, decl: S.FieldDecl):
        tokens = self.tokens.within(decl.span)
        colon = next((i for i, t in enumerate(tokens) if t[2] == ":"), len(tokens))
        path = _names(tokens[:colon])
        after_as = next((i for i, t in enumerate(tokens) if t[2] == "as"), None)
        token = (_names(tokens[after_as + 1:after_as + 2]) or [None])[0] if after_as is not None else \
            (path[-1] if path else None)
        self.declare("field", token, decl.span, detail=decl.doc, doc=field_doc(decl))
        self.field_types[token[2] if token else decl.predicate] = \
            [decl.type] if decl.type is not None else [c.type for c in decl.columns]
        if decl.type is not None:
            self.use("type", self.first(decl.type_span, decl.type))
        for column in decl.columns:
            names = _names(self.tokens.within(column.span))
            if len(names) > 1:
                self.use("type", names[-1])

    def decl_PolicyDecl(self, decl: S.PolicyDecl):
        tokens = self.tokens.within(decl.span)
        brace = next((i for i, t in enumerate(tokens) if t[2] == "{"), len(tokens))
        head = tokens[:brace]
        name = next((t for t in _names(head) if t[2] == decl.name), None)
        self.declare("policy", name, decl.span, detail=decl.title, doc=policy_doc(decl))
        if decl.family:
            index = next((i for i, t in enumerate(head) if t[2] == "of"), None)
            if index is not None and index + 1 < len(head):
                self.use("lineage", head[index + 1])
        self.assumes(head)
        self.cites(decl.cites)
        for rule in decl.rules:
            self.decl_Rule(rule, decl)

    def decl_Invariant(self, decl: S.Invariant):
        self.declare("invariant", self.first(decl.id_span, decl.name), decl.span, detail=decl.statement,
                     doc=f"invariant `{decl.name}`: never permit {decl.item_var} when ...\n\n{decl.statement}" +
                     _cites_text(decl.cites))
        self.cites(decl.cites)
        self.body(decl.body)

    def decl_Rule(self, rule: S.Rule, policy: S.PolicyDecl | None = None):
        self.declare("rule", self.first(rule.id_span, rule.id), rule.span, rule.policy, rule.statement,
                     rule_doc(rule, policy))
        if rule.head is not None:
            self.declare("definition", self.first(rule.head.span, rule.head.predicate), rule.span, None,
                         rule.statement, "")       # its doc lists every way: filled in at the end
            for arg in rule.head.args:
                self.term(arg)
        tokens = self.tokens.within(rule.span)
        when = next((i for i, t in enumerate(tokens) if t[2] == "when"), len(tokens))
        self.assumes(tokens[:when])
        self.cites(rule.cites)
        for obligation in rule.obligations:
            self.cites(obligation.cites)
        self.body(rule.body)

    # ---- uses -------------------------------------------------------------------
    def assumes(self, tokens):
        index = next((i for i, t in enumerate(tokens) if t[2] == "assumes"), None)
        while index is not None and index + 1 < len(tokens) and _NAME.match(tokens[index + 1][2]) \
                and tokens[index + 1][2] not in KEYWORDS:
            self.use("assumption", tokens[index + 1])
            index = index + 2 if index + 2 < len(tokens) and tokens[index + 2][2] == "," else None

    def cites(self, citations):
        for citation in citations:
            self.use("source", self.first(citation.span, citation.source))

    def term(self, term):
        if isinstance(term, S.Constant) and isinstance(term.value, str):
            self.use("symbol", self.first(term.span, term.value))

    def body(self, conditions):
        for cond in conditions:
            if isinstance(cond, (S.Positive, S.Negative)):
                self.use("predicate", self.first(cond.atom.span, cond.atom.predicate))
                for arg in cond.atom.args:
                    self.term(arg)
            elif isinstance(cond, S.Comparison):
                self.term(cond.left)
                self.term(cond.right)
            elif isinstance(cond, S.Member):
                self.term(cond.term)
                found = [t for t in _names(self.tokens.within(cond.span)) if t[2] == cond.set_name]
                self.use("set", found[-1] if found else None)
            elif isinstance(cond, S.Assuming):
                name = self.first(cond.span, cond.name, after="assuming")
                self.use("assumption", name)
                if cond.reading is not None and name is not None:
                    tokens = self.tokens.within(cond.span)
                    index = tokens.index(name)
                    reading = next((t for t in _names(tokens[index + 1:]) if t[2] == cond.reading), None)
                    self.use("reading", reading, cond.name)
            elif isinstance(cond, S.InForce):
                self.use("in force", self.first(cond.span, cond.name, after="("))


def build_index(files: list[tuple[S.RuleFile, str]], unparsed: tuple[str, ...] = ()) -> NameIndex:
    """The names of some parsed files (each with its text): declarations, then every use resolved."""
    builder = _Builder()
    for rule_file, text in files:
        builder.file_(rule_file, text)
    declared = {}
    for name in builder.names:
        declared.setdefault(name.kind, set()).add(name.name)
    fields, defined = declared.get("field", set()), declared.get("definition", set())
    values, enum_values = declared.get("value", set()), declared.get("enum value", set())
    policies = declared.get("policy", set())
    uses = []
    for use in builder.uses:
        kind = use.kind
        if kind == "predicate":
            kind = "field" if use.name in fields or use.name not in defined else "definition"
        elif kind == "symbol":
            if use.name in values:
                kind = "value"
            elif use.name in enum_values:
                kind = "enum value"
            else:
                continue                      # a plain symbol: nothing declares it
        elif kind == "in force":
            kind = "policy" if use.name in policies else "lineage"
        elif kind == "type":
            if use.name not in declared.get("enum", set()):
                continue                      # a built-in type
            kind = "enum"
        uses.append(use if kind == use.kind else NameUse(kind, use.name, use.span, use.container, use.declaration))
    names = _with_definition_docs(builder.names, files)
    enum_members = {n.name: n.values for n in names if n.kind == "enum"}
    names = [replace(n, values=tuple(dict.fromkeys(v for t in builder.field_types.get(n.name, ())
                                                    for v in enum_members.get(t, ()))))
             if n.kind == "field" else n for n in names]
    lineages = {}
    for use in uses:
        if use.kind == "lineage" and use.name not in lineages:
            lineages[use.name] = use
    for lineage, first in lineages.items():
        versions = sorted(n.name for n in names if n.kind == "policy" and _family(files, n.name) == lineage)
        names.append(Name("lineage", lineage, first.span, first.span, None, f"versions: {', '.join(versions)}",
                          f"lineage `{lineage}`: its versions are " + ", ".join(f"`{v}`" for v in versions)))
    enum_of = {(n.name): n.container for n in names if n.kind == "enum value"}
    uses = [NameUse(u.kind, u.name, u.span, enum_of.get(u.name), u.declaration)
            if u.kind == "enum value" and u.container is None else u for u in uses]
    return NameIndex(tuple(names), tuple(uses), tuple(unparsed))


def _family(files, policy_name: str) -> str | None:
    for rule_file, _ in files:
        for decl in rule_file.declarations:
            if isinstance(decl, S.PolicyDecl) and decl.name == policy_name:
                return decl.family
    return None


def _with_definition_docs(names: list[Name], files) -> list[Name]:
    """A definition's description lists every way of concluding it (each `define` rule)."""
    ways: dict[str, list[S.Rule]] = {}
    for rule_file, _ in files:
        for decl in rule_file.declarations:
            rules = decl.rules if isinstance(decl, S.PolicyDecl) else (decl,)
            for rule in rules:
                if isinstance(rule, S.Rule) and rule.head is not None:
                    ways.setdefault(rule.head.predicate, []).append(rule)
    out = []
    for name in names:
        if name.kind == "definition":
            rules = ways.get(name.name, [])
            doc = f"definition `{name.name}`: {len(rules)} way(s) of concluding it\n\n" + "\n".join(
                f"- `{r.id}`: {r.statement}" for r in rules)
            name = Name(name.kind, name.name, name.span, name.extent, name.container, name.detail, doc)
        out.append(name)
    return out


# ---- descriptions ----------------------------------------------------------------


def _cites_text(cites) -> str:
    if not cites:
        return ""
    return "\n\ncites " + ", ".join(f"`{c.source}`" + (f" {c.locator}" if c.locator else "") for c in cites)


def source_doc(decl: S.SourceDecl) -> str:
    lines = [f"source `{decl.name}`", ""]
    lines += [f"- {p.key}: {p.value}" for p in decl.properties]
    return "\n".join(lines)


def assumption_doc(decl: S.AssumptionDecl) -> str:
    lines = [f"assumption `{decl.name}`", ""]
    if decl.get("question"):
        lines += [f"**{decl.get('question')}**", ""]
    if decl.has_readings:
        default = decl.default_setting()
        lines += [f"- reading `{p.label}`{' (default)' if p.label == default else ''}: {p.value}"
                  for p in decl.readings]
    else:
        lines.append(f"- position (on): {decl.get('position') or ''}")
        if decl.get("off"):
            lines.append(f"- off: {decl.get('off')}")
        lines.append(f"- default: {'on' if decl.default_setting() else 'off'}")
        lines += [f"- reading: {p.value}" for p in decl.properties if p.key == "reading"]
    if decl.get("reason"):
        lines += ["", f"Reason: {decl.get('reason')}"]
    return "\n".join(lines)


def _period(period) -> str:
    return S.effect_text(period.start, period.end)


def set_doc(decl: S.SetDecl) -> str:
    head = f"set `{decl.name}`" + (f": {decl.description}" if decl.description else "")
    if not decl.dated:
        return head + "\n\n{" + ", ".join(decl.members) + "}"
    return head + "\n\n" + "\n".join(f"- {_period(p)}: {{{', '.join(p.value)}}}" + _cites_text(p.cites).replace(
        "\n\n", " ") for p in decl.periods)


def value_doc(decl: S.ValueDecl) -> str:
    head = f"value `{decl.name}`" + (f": {decl.description}" if decl.description else "")
    return head + "\n\n" + "\n".join(f"- {_period(p)}: {S.period_value_text(decl, p)}" +
                                     _cites_text(p.cites).replace("\n\n", " ") for p in decl.periods)


def field_doc(decl: S.FieldDecl) -> str:
    kind = decl.type if decl.type is not None else \
        "records { " + ", ".join(f"{c.name}: {c.type}" for c in decl.columns) + " }"
    flags = [w for w, on in (("many", decl.many), ("required", decl.required), ("fixed", decl.fixed),
                             ("judgement", decl.judgement)) if on]
    where = f"{decl.span.file}:{decl.span.line}" if decl.span else ""
    return (f"field `{decl.path}`: {' '.join(flags + [kind])} (as `{decl.predicate}`)\n\n{decl.doc}\n\n"
            f"declared at {where}")


def policy_doc(decl: S.PolicyDecl) -> str:
    period = decl.period
    when = S.effect_text(period.start, period.end) if period else "always"
    lines = [f"{'draft ' if decl.draft else ''}policy `{decl.name}`: {decl.title}", "", f"in force {when}"]
    if decl.family:
        lines.append(f"a version of `{decl.family}`")
    if decl.assumes:
        lines.append("assumes " + ", ".join(f"`{a}`" for a in decl.assumes))
    lines.append(f"{len(decl.rules)} rule(s)")
    return "\n".join(lines) + _cites_text(decl.cites)


def rule_doc(rule: S.Rule, policy: S.PolicyDecl | None) -> str:
    head = {"permit": "permission", "forbid": "prohibition", "define": "definition"}.get(rule.kind, rule.kind)
    concludes = f" of `{rule.head.predicate}`" if rule.head is not None else ""
    lines = [f"{head}{concludes} `{rule.id}`", "", rule.statement]
    doc = "\n".join(lines) + _cites_text(rule.cites)
    assumed = list(rule.assumes) + [c.name for c in rule.body if isinstance(c, S.Assuming)]
    if policy is not None:
        assumed = list(policy.assumes) + assumed
        period = policy.period
        doc += f"\n\npolicy `{policy.name}`, in force {S.effect_text(period.start, period.end) if period else 'always'}"
    if assumed:
        doc += "\n\nassumes " + ", ".join(f"`{a}`" for a in dict.fromkeys(assumed))
    for obligation in rule.obligations:
        doc += f"\n\nrequires: {obligation.text}"
    return doc

"""The canonical layout of a rule file: parse, then print the AST.

`format_text(text)` gives the one layout every rule file converges on, so
`format_text(format_text(t)) == format_text(t)` and both parse to the same
AST. Comments are not in the AST, so they are re-attached by position:
a comment on a line of its own goes above the next thing it precedes (a
declaration, property, rule or condition) at that thing's indentation, or
before the closing brace of the block it sits in; a comment after code on
a line goes at the end of the printed line of the last thing that started
before it. A blank line after a comment in the source is kept.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

from warrant.pipeline import syntax as S
from warrant.pipeline.parse import parse_text
from warrant.pipeline.wording import atom_text, condition_text, term_text  # noqa: F401 - the formatter's words

INDENT = "    "
WIDTH = 100


def format_text(text: str, file: str = "<text>") -> str:
    """The canonical text of a rule file. Raises WarrantError if it does not parse."""
    return _Printer(parse_text(text, file), text).render()


def quote(text: str) -> str:
    """A string literal the grammar reads back as `text`."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


@dataclass
class _Comments:
    leading: list = field(default_factory=list)    # (text, blank_line_after)
    trailing: list = field(default_factory=list)   # text


class _Printer:
    def __init__(self, rule_file: S.RuleFile, text: str):
        self.file = rule_file
        self.source_lines = text.splitlines()
        self.out: list[str] = []
        self.attached: dict[int, _Comments] = {}
        self.tails: dict[int, list] = {}
        self.file_tail: list = []
        self._attach_comments()

    # -- comments ---------------------------------------------------------------

    def _anchors(self):
        """(position, node) of everything a comment can attach to, in source order."""
        anchors, containers = [], []
        for decl in self.file.declarations:
            anchors.append(decl)
            if isinstance(decl, (S.SourceDecl, S.AssumptionDecl)):
                containers.append(decl)
                anchors += decl.properties
            elif isinstance(decl, S.SetDecl):
                containers.append(decl)
                anchors += decl.periods
            elif isinstance(decl, S.ValueDecl):
                containers.append(decl)
                anchors += [p for p in decl.periods if p.start or p.end]
            elif isinstance(decl, S.EnumDecl):
                containers.append(decl)
                anchors += decl.values
            elif isinstance(decl, S.PolicyDecl):
                containers.append(decl)
                for rule in decl.rules:
                    anchors.append(rule)
                    anchors += rule.body
                    anchors += [c for o in rule.obligations for c in o.when]
            elif isinstance(decl, (S.Rule, S.Invariant)):
                anchors += decl.body
                anchors += [c for o in getattr(decl, "obligations", ()) for c in o.when]
        anchors = [(node.span.line, node.span.column, node) for node in anchors]
        return anchors, containers

    def _attach_comments(self) -> None:
        """Give each comment a home; binary search keeps this linear-logarithmic in the file's size."""
        import bisect
        anchors, containers = self._anchors()
        anchors.sort(key=lambda a: (a[0], a[1]))            # stable: source order among equal positions
        positions = [(l, c) for l, c, _ in anchors]
        starts = [c.span.line for c in containers]
        for line, column, text in self.file.comments:
            own_line = not self._line(line)[: column - 1].strip()
            if own_line:
                index = bisect.bisect_right(positions, (line, column))
                after = anchors[index][2] if index < len(anchors) else None
                inside = bisect.bisect_right(starts, line) - 1
                box = containers[inside] if inside >= 0 and line <= containers[inside].span.end_line else None
                if box is not None and (after is None or after.span.line > box.span.end_line):
                    self.tails.setdefault(id(box), []).append(self._leading(line, text))
                elif after is None:
                    self.file_tail.append(self._leading(line, text))
                else:
                    self._slot(after).leading.append(self._leading(line, text))
            else:
                index = bisect.bisect_left(positions, (line, column))
                if index:
                    self._slot(anchors[index - 1][2]).trailing.append(text)
                else:  # pragma: no cover - code always starts with an anchor
                    self.file_tail.append((text, False))

    def _line(self, number: int) -> str:
        return self.source_lines[number - 1] if 0 < number <= len(self.source_lines) else ""

    def _leading(self, line: int, text: str):
        return text, line < len(self.source_lines) and not self._line(line + 1).strip()

    def _slot(self, node) -> _Comments:
        return self.attached.setdefault(id(node), _Comments())

    def _emit_leading(self, node, indent: str) -> None:
        for text, blank in self.attached.get(id(node), _Comments()).leading:
            self.out.append(indent + text)
            if blank:
                self.out.append("")

    def _emit_tail(self, node, indent: str) -> None:
        for text, blank in self.tails.get(id(node), []):
            self.out.append(indent + text)

    def _line_out(self, text: str, node=None) -> None:
        """Append a printed line; the node's trailing comments go at its end."""
        trailing = self.attached.get(id(node), _Comments()).trailing if node is not None else []
        self.out.append(text + "".join("  " + t for t in trailing))

    # -- declarations -----------------------------------------------------------

    def render(self) -> str:
        previous = None
        for decl in self.file.declarations:
            # consecutive fields read as one table; every other declaration stands apart
            if previous is not None and not (isinstance(decl, S.FieldDecl) and isinstance(previous, S.FieldDecl)
                                             and not self.attached.get(id(decl), _Comments()).leading):
                self.out.append("")
            previous = decl
            self._emit_leading(decl, "")
            if isinstance(decl, (S.SourceDecl, S.AssumptionDecl)):
                self._block(decl)
            elif isinstance(decl, S.SetDecl):
                self._set(decl)
            elif isinstance(decl, S.ValueDecl):
                self._value_decl(decl)
            elif isinstance(decl, S.EnumDecl):
                self._enum(decl)
            elif isinstance(decl, S.FieldDecl):
                self._field(decl)
            elif isinstance(decl, S.PolicyDecl):
                self._policy(decl)
            elif isinstance(decl, S.Invariant):
                self._invariant(decl)
            else:
                self._rule(decl, "")
        if self.file_tail:
            if self.out:
                self.out.append("")
            self.out += [text for text, _ in self.file_tail]
        while self.out and not self.out[-1]:
            self.out.pop()
        return "\n".join(self.out) + "\n" if self.out else ""

    def _block(self, decl) -> None:
        keyword = "source" if isinstance(decl, S.SourceDecl) else "assumption"
        self._line_out(f"{keyword} {decl.name} {{", decl)
        for prop in decl.properties:
            self._emit_leading(prop, INDENT)
            label = f" {prop.label}" if prop.label else ""      # a named reading: `reading NAME "text"`
            head = f"{INDENT}{prop.key}{label} {self._value(prop)}"
            if len(head + self._cites(prop.cites, " ")) <= WIDTH or not prop.cites:
                self._line_out(head + self._cites(prop.cites, " "), prop)
            else:                                   # the citations on their own line, as a long `requires`
                self._line_out(head, prop)
                self.out.append(INDENT * 2 + self._cites(prop.cites, ""))
        self._emit_tail(decl, INDENT)
        self.out.append("}")

    @staticmethod
    def _value(prop: S.Property) -> str:
        if prop.is_word:
            return str(prop.value)
        if isinstance(prop.value, _dt.date):
            return prop.value.isoformat()
        return quote(str(prop.value))

    def _dated(self, decl) -> None:
        """A dated set's or value's periods, one to a line after the head: `from D [until D] = VALUE [cites]`."""
        for period in decl.periods:
            self._emit_leading(period, INDENT)
            when = f"from {period.start.isoformat()}" + (f" until {period.end.isoformat()}" if period.end else "")
            cites = self._cites(period.cites, " ")
            if isinstance(decl, S.ValueDecl):
                self._line_out(f"{INDENT}{when} = {term_text(period.value)}{cites}", period)
                continue
            if period.change:
                changes = " ".join(f"{word} {{{', '.join(names)}}}" for word, names
                                   in (("add", period.added), ("remove", period.removed)) if names)
                line = f"{INDENT}{when} {changes}{cites}"
                if len(line) <= WIDTH or not cites:
                    self._line_out(line, period)
                else:                               # the citations on a line of their own
                    self.out.append(f"{INDENT}{when} {changes}")
                    self._line_out(INDENT * 2 + cites.strip(), period)
                continue
            line = f"{INDENT}{when} = {{{', '.join(period.value)}}}{cites}"
            if len(line) <= WIDTH:
                self._line_out(line, period)
                continue
            self.out.append(f"{INDENT}{when} = {{")
            saved, self.out = self.out, []
            self._packed(period.value)
            saved += [INDENT + line for line in self.out]
            self.out = saved
            self._line_out(f"{INDENT}}}{cites}", period)
        self._emit_tail(decl, INDENT)

    def _value_decl(self, decl: S.ValueDecl) -> None:
        head = f"value {decl.name}" + (f" {quote(decl.description)}" if decl.description is not None else "")
        if not decl.dated:
            self._line_out(f"{head} = {term_text(decl.periods[0].value)}", decl)
            return
        self._line_out(head, decl)
        self._dated(decl)

    def _set(self, decl: S.SetDecl) -> None:
        if decl.dated:
            self._line_out(f"set {decl.name}" + (f" {quote(decl.description)}" if decl.description is not None
                                                 else ""), decl)
            self._dated(decl)
            return
        head = f"set {decl.name}" + (f" {quote(decl.description)}" if decl.description is not None else "") + " = {"
        if not decl.members and id(decl) not in self.tails:
            self._line_out(head + "}", decl)
            return
        self._line_out(head, decl)
        self._packed(decl.members)
        self._emit_tail(decl, INDENT)
        self.out.append("}")

    def _packed(self, names) -> None:
        """Names separated by commas, as many to a line as fit in WIDTH."""
        line = INDENT
        for index, name in enumerate(names):
            piece = name + ("," if index < len(names) - 1 else "")
            if line.strip() and len(line) + 1 + len(piece) > WIDTH:
                self.out.append(line.rstrip())
                line = INDENT
            line += (" " if line.strip() else "") + piece
        if line.strip():
            self.out.append(line)

    def _enum(self, decl: S.EnumDecl) -> None:
        """Values one to a line when any has a doc line or a comment; otherwise packed like a set's members."""
        self._line_out(f"enum {decl.name}" + (f" {quote(decl.doc)}" if decl.doc is not None else "") + " {", decl)
        last = len(decl.values) - 1
        if any(v.doc is not None or id(v) in self.attached for v in decl.values):
            for index, value in enumerate(decl.values):
                self._emit_leading(value, INDENT)
                doc = f" {quote(value.doc)}" if value.doc is not None else ""
                self._line_out(f"{INDENT}{value.name}{doc}{',' if index < last else ''}", value)
        else:
            self._packed([v.name for v in decl.values])
        self._emit_tail(decl, INDENT)
        self.out.append("}")

    def _field(self, decl: S.FieldDecl) -> None:
        """`field PATH: TYPE [flags] [as P] "doc"`, the doc on its own line when the whole would be too wide."""
        kind = decl.type if not decl.columns else \
            "records { " + ", ".join(f"{c.name}: {c.type}" for c in decl.columns) + " }"
        parts = [f"field {decl.path}:", "many" if decl.many and not decl.columns else "", kind,
                 "required" if decl.required else "", "fixed" if decl.fixed else "",
                 "judgement" if decl.judgement else "", f"log {decl.mask}" if decl.mask else "",
                 f"as {decl.predicate}" if decl.predicate != decl.path.rsplit(".", 1)[-1] else ""]
        head = " ".join(p for p in parts if p)
        if len(head) + 1 + len(quote(decl.doc)) <= WIDTH:
            self._line_out(f"{head} {quote(decl.doc)}", decl)
        else:
            self._line_out(head, decl)
            self.out.append(f"{INDENT}{quote(decl.doc)}")

    def _policy(self, decl: S.PolicyDecl) -> None:
        draft = "draft " if decl.draft else ""
        self._line_out(f"{draft}policy {decl.name} {quote(decl.title)}", decl)
        if decl.family:
            self.out.append(f"{INDENT}version of {decl.family}")
        if decl.period is not None:
            period = decl.period
            text = "in force"
            if period.start is not None:
                text += f" from {period.start.isoformat()}"
            if period.end is not None:
                text += f" until {period.end.isoformat()}"
            self.out.append(INDENT + text)
        if decl.assumes:
            self.out.append(f"{INDENT}assumes {', '.join(decl.assumes)}")
        if decl.cites:
            self.out.append(INDENT + self._cites(decl.cites, ""))
        self.out.append("{")
        for index, rule in enumerate(decl.rules):
            if index:
                self.out.append("")
            self._emit_leading(rule, INDENT)
            self._rule(rule, INDENT)
        self._emit_tail(decl, INDENT)
        self.out.append("}")

    def _invariant(self, decl: S.Invariant) -> None:
        self._line_out(f"invariant {decl.name}", decl)
        self.out.append(INDENT + quote(decl.statement))
        if decl.cites:
            self.out.append(INDENT + self._cites(decl.cites, ""))
        self.out.append(f"{INDENT}never permit {decl.item_var}" + (f" by {decl.by}" if decl.by else ""))
        self._body(decl.body, INDENT)

    # -- rules ------------------------------------------------------------------

    def _rule(self, rule: S.Rule, indent: str) -> None:
        if rule.kind == "define":
            head = f"define {atom_text(rule.head)} as {rule.id}"
        else:
            head = f"{rule.kind} {rule.id} for {rule.item_var}"
        self._line_out(indent + head, rule)
        inner = indent + INDENT
        self.out.append(inner + quote(rule.statement))
        if rule.cites:
            self.out.append(inner + self._cites(rule.cites, ""))
        if rule.assumes:
            self.out.append(f"{inner}assumes {', '.join(rule.assumes)}")
        for obligation in rule.obligations:
            when = " when " + " and ".join(condition_text(c) for c in obligation.when) if obligation.when else ""
            line = f"{inner}requires {quote(obligation.text)}{when} {self._cites(obligation.cites, '')}"
            if obligation.when and (len(line) > WIDTH or any(id(c) in self.attached for c in obligation.when)):
                self._line_out(f"{inner}requires {quote(obligation.text)}", obligation)
                self._body(obligation.when, inner + INDENT)
                self.out.append(inner + INDENT + self._cites(obligation.cites, ""))
            elif len(line) <= WIDTH:
                self._line_out(line, obligation)
            else:                                   # the citations on their own line, as a long doc string
                self._line_out(f"{inner}requires {quote(obligation.text)}", obligation)
                self.out.append(inner + INDENT + self._cites(obligation.cites, ""))
        self._body(rule.body, inner)

    def _body(self, body, inner: str) -> None:
        for index, condition in enumerate(body):
            self._emit_leading(condition, inner + " ")
            keyword = "when" if index == 0 else " and"
            self._line_out(f"{inner}{keyword} {condition_text(condition)}", condition)

    @staticmethod
    def _cites(cites, prefix: str) -> str:
        if not cites:
            return ""
        parts = [c.source + (f" {quote(c.locator)}" if c.locator is not None else "") for c in cites]
        return f"{prefix}cites {', '.join(parts)}"


@dataclass
class FormatReport:
    changed: list = field(default_factory=list)   # (path, unified diff)
    unchanged: int = 0
    errors: list = field(default_factory=list)    # Diagnostics of files that do not parse (left untouched)


def format_paths(paths: list[str], write: bool, diff: bool = False) -> FormatReport:
    """Format every rule file under `paths`; write (atomically) only when asked and only what changed.

    The unified diff is computed only when asked for (`diff`): difflib is
    quadratic on long runs of similar lines, the formatting itself is not.
    """
    import difflib

    from warrant.pipeline.errors import WarrantError
    from warrant.pipeline.files import write_atomic
    from warrant.pipeline.rulebase import rule_files

    report = FormatReport()
    for path in rule_files(paths):
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise WarrantError.at("W004", f"cannot read {path}: {exc}") from None
        try:
            formatted = format_text(text, path)
        except WarrantError as exc:
            report.errors.extend(exc.diagnostics)
            continue
        if formatted == text:
            report.unchanged += 1
            continue
        patch = "".join(difflib.unified_diff(text.splitlines(True), formatted.splitlines(True),
                                             fromfile=path, tofile=f"{path} (formatted)")) if diff else ""
        report.changed.append((path, patch))
        if write:
            write_atomic(path, formatted)
    return report

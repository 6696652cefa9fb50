"""Parse stage: rule-file text -> `syntax.RuleFile`.

In: text and a file name. Out: frozen AST nodes with spans. Raises
`WarrantError` (codes W001-W004) located at the offending token; Lark's own
exceptions never leave this module. Parsing stops at the first syntax error;
the checker, later, reports every problem it finds.
"""
from __future__ import annotations

import re
import os
from functools import lru_cache

from lark import Lark, Transformer, v_args
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from warrant.pipeline import syntax as S
from warrant.pipeline.limits import MAX_CONDITIONS, MAX_RULE_FILE_BYTES
from warrant.pipeline.places import GRAMMAR, cache_folder
from warrant.pipeline.errors import SOURCES, Span, WarrantError, source_lines
from warrant.pipeline.values import Months, parse_date, parse_money


@lru_cache(maxsize=1)
def parser() -> Lark:
    """The LALR parser, built once per process; its tables are cached in Warrant's own cache folder."""
    folder = cache_folder()
    if folder:
        import hashlib
        with open(GRAMMAR, "rb") as handle:
            cache = os.path.join(folder, f"grammar-{hashlib.sha256(handle.read()).hexdigest()[:16]}.lark")
    else:
        cache = False
    return Lark.open(GRAMMAR, parser="lalr", propagate_positions=True, cache=cache)


LOWER_CASE_NAMES = "names are lower case: only variables (`Item`, `Body`) start with a capital letter"

# Known mistakes: (code, message, example snippets that produce the same parser state).
# tests/test_parse.py walks this table.
SYNTAX_ERRORS: list[tuple[str, str, list[str]]] = [
    ("W002", "a rule needs `when` before its conditions",
     ['permit r for Item "s" known(x)', 'forbid r for Item "s" cites a known(x)']),
    ("W002", "conditions are joined with `and`",
     ['permit r for Item "s" when known(x) known(y)', 'permit r for Item "s" when known(x), known(y)']),
    ("W002", "a permit or forbid rule names its item variable: `permit ID for Item \"statement\"`",
     ['permit r "s" when known(x)', 'forbid r "s" when known(x)']),
    ("W002", "a rule needs a one-line plain statement in double quotes after its head",
     ['permit r for Item when known(x)', 'define p as r when q']),
    ("W002", "a policy needs a title in double quotes: `policy ID \"title\" in force from DATE { ... }`",
     ['policy p { }', 'policy p in force from 2017-01-01 { }']),
    ("W002", "a condition is missing after `and`",
     ['permit r for Item "s" when known(x) and', 'permit r for Item "s" when known(x) and }']),
    ("W002", LOWER_CASE_NAMES,
     ['permit Rule for Item "s" when known(x)', 'forbid A_rule for Item "s" when known(x)',
      'define p as Rule "s" when known(x)', 'set Things = {a}', 'policy Pol "t" in force from 2017-01-01 { }',
      'forbid judicialProcess for Item "s" when known(x)']),
]


def _span(file: str, meta_or_token) -> Span:
    m = meta_or_token
    return Span(file, m.line, m.column, m.end_line, max(m.column, m.end_column - 1))


_ESCAPE = re.compile(r'\\(["\\n])')


def _unquote(token: str) -> str:
    """The text of a STRING token: the grammar allows exactly the escapes \\" \\\\ and \\n."""
    return _ESCAPE.sub(lambda m: "\n" if m.group(1) == "n" else m.group(1), token[1:-1])


class _ToAST(Transformer):
    """Lark tree -> syntax nodes. Methods are named after grammar rules."""

    def __init__(self, file: str):
        super().__init__()
        self.file = file

    def _s(self, meta):
        return _span(self.file, meta)

    # -- terms
    @v_args(meta=True)
    def variable(self, meta, children):
        return S.Variable(str(children[0]), self._s(meta))

    @v_args(meta=True)
    def symbol(self, meta, children):
        return S.Constant(str(children[0]), self._s(meta))

    @v_args(meta=True)
    def date(self, meta, children):
        token = children[0]
        try:
            return S.Constant(parse_date(str(token)), self._s(meta))
        except ValueError:
            raise WarrantError.at("W003", f"{token} is not a real date", self._s(meta))

    @v_args(meta=True)
    def money(self, meta, children):
        try:
            return S.Constant(parse_money(str(children[0])), self._s(meta))
        except ValueError:
            raise WarrantError.at("W003", f"{children[0]} is too large: money has at most 12 digits of pounds",
                                  self._s(meta)) from None

    @v_args(meta=True)
    def months(self, meta, children):
        return S.Constant(Months(self._whole(children[0], meta)), self._s(meta))

    @v_args(meta=True)
    def number(self, meta, children):
        return S.Constant(self._whole(children[0], meta), self._s(meta))

    def _whole(self, token, meta) -> int:
        """A whole-number literal, at most 12 digits (requests hold no larger number either)."""
        if len(str(token).lstrip("0")) > 12:
            raise WarrantError.at("W003", f"{str(token)[:20]}{'...' if len(token) > 20 else ''} is too large: "
                                          "whole numbers have at most 12 digits", self._s(meta))
        return int(token)

    # -- conditions
    @v_args(meta=True)
    def atom(self, meta, children):
        name, *args = children
        args = tuple(a for a in args if a is not None)
        return S.Atom(str(name), args, self._s(meta))

    @v_args(meta=True)
    def positive(self, meta, children):
        return S.Positive(children[0], self._s(meta))

    @v_args(meta=True)
    def negative(self, meta, children):
        return S.Negative(children[0], self._s(meta))

    @v_args(meta=True)
    def comparison(self, meta, children):
        left, op, right = children
        return S.Comparison(left, str(op), right, self._s(meta))

    @v_args(meta=True)
    def member(self, meta, children):
        return S.Member(children[0], str(children[1]), False, self._s(meta))

    @v_args(meta=True)
    def not_member(self, meta, children):
        return S.Member(children[0], str(children[1]), True, self._s(meta))

    @v_args(meta=True)
    def assuming(self, meta, children):
        return S.Assuming(str(children[0]), False, self._s(meta))

    @v_args(meta=True)
    def not_assuming(self, meta, children):
        return S.Assuming(str(children[0]), True, self._s(meta))

    @v_args(meta=True)
    def assuming_reading(self, meta, children):
        return S.Assuming(str(children[0]), False, self._s(meta), str(children[1]))

    @v_args(meta=True)
    def not_assuming_reading(self, meta, children):
        return S.Assuming(str(children[0]), True, self._s(meta), str(children[1]))

    @v_args(meta=True)
    def in_force(self, meta, children):
        return S.InForce(str(children[0]), False, self._s(meta))

    @v_args(meta=True)
    def not_in_force(self, meta, children):
        return S.InForce(str(children[0]), True, self._s(meta))

    @v_args(meta=True)
    def body(self, meta, children):
        if len(children) > MAX_CONDITIONS:
            raise WarrantError.at("W006", f"{len(children):,} conditions in one rule; at most {MAX_CONDITIONS} "
                                          "(split it into definitions)", self._s(meta))
        return tuple(children)

    # -- metadata
    @v_args(meta=True)
    def citation(self, meta, children):
        source, locator = children
        return S.Citation(str(source), _unquote(locator) if locator else None, self._s(meta))

    def cites(self, children):
        return ("cites", tuple(children))

    def assumes(self, children):
        return ("assumes", tuple(str(c) for c in children))

    @v_args(meta=True)
    def requires(self, meta, children):
        text, when, cites = children
        return ("requires", (S.Obligation(_unquote(text), cites[1], self._s(meta), tuple(when or ())),))

    def obligation_when(self, children):
        return children[0]

    def text(self, children):
        return ("text", _unquote(children[0]))

    def date_value(self, children):
        return ("date", self._date_token(children[0]))

    def word(self, children):
        return ("word", str(children[0]))

    @v_args(meta=True)
    def named_property(self, meta, children):
        key, label, text, cites = children
        return S.Property(str(key), _unquote(text), False, cites[1] if cites else (), self._s(meta), str(label))

    @v_args(meta=True)
    def property(self, meta, children):
        key, value, cites = children
        kind, raw = value
        return S.Property(str(key), raw, kind == "word", cites[1] if cites else (), self._s(meta))

    # -- the request vocabulary
    @v_args(meta=True)
    def enum_value(self, meta, children):
        name, doc = children
        return S.EnumValue(str(name), _unquote(doc) if doc else None, self._s(meta))

    @v_args(meta=True)
    def enum_decl(self, meta, children):
        name, doc, *values = children
        return S.EnumDecl(str(name), _unquote(doc) if doc else None,
                          tuple(v for v in values if isinstance(v, S.EnumValue)), self._s(meta))

    def field_path(self, children):
        return ".".join(str(c) for c in children)

    @v_args(meta=True)
    def named_type(self, meta, children):
        return (str(children[0]), (), self._s(meta))

    @v_args(meta=True)
    def records_type(self, meta, children):
        return (None, tuple(children), self._s(meta))

    @v_args(meta=True)
    def column(self, meta, children):
        return S.Column(str(children[0]), str(children[1]), self._s(meta))

    @v_args(meta=True)
    def field_decl(self, meta, children):
        path, many, (type_name, columns, type_span), required, fixed, judgement, mask, predicate, doc = children
        return S.FieldDecl(path, type_name, columns, many is not None, required is not None, fixed is not None,
                           str(predicate) if predicate else path.rsplit(".", 1)[-1], _unquote(doc),
                           self._s(meta), type_span, judgement is not None, mask)

    def log_mask(self, children):
        return str(children[0])

    # -- declarations
    @v_args(meta=True)
    def source_decl(self, meta, children):
        return S.SourceDecl(str(children[0]), tuple(children[1:]), self._s(meta))

    @v_args(meta=True)
    def assumption_decl(self, meta, children):
        return S.AssumptionDecl(str(children[0]), tuple(children[1:]), self._s(meta))

    @v_args(meta=True)
    def set_decl(self, meta, children):
        name, description, *members = children
        members = [m for m in members if m is not None]
        return S.SetDecl(str(name), _unquote(description) if description else None,
                         tuple(str(m) for m in members), self._s(meta),
                         tuple(_span(self.file, m) for m in members))

    @v_args(meta=True)
    def dated_set_decl(self, meta, children):
        name, description, *periods = children
        return S.SetDecl(str(name), _unquote(description) if description else None, (), self._s(meta), (),
                         tuple(periods))

    @v_args(meta=True)
    def dated_members(self, meta, children):
        (start, end), *rest = children
        cites = rest.pop()[1] if rest and isinstance(rest[-1], tuple) else ()
        members = [m for m in rest if m is not None]
        return S.Dated(tuple(str(m) for m in members), start, end, cites, self._s(meta),
                       tuple(_span(self.file, m) for m in members))

    @v_args(meta=True)
    def dated_change(self, meta, children):
        (start, end), *rest = children
        cites = rest.pop()[1] if rest and rest[-1] is not None and rest[-1][0] == "cites" else ()
        changes = [c for c in rest if c is not None]
        added = tuple(str(m) for kind, names in changes if kind == "add" for m in names)
        removed = tuple(str(m) for kind, names in changes if kind == "remove" for m in names)
        spans = tuple(_span(self.file, m) for wanted in ("add", "remove") for kind, names in changes
                      if kind == wanted for m in names)     # in the order of `added + removed`
        return S.Dated((), start, end, cites, self._s(meta), spans, added, removed, True)

    def added(self, children):
        return ("add", tuple(children))

    def removed(self, children):
        return ("remove", tuple(children))

    @v_args(meta=True)
    def value_decl(self, meta, children):
        name, description, term = children
        return S.ValueDecl(str(name), _unquote(description) if description else None,
                           (S.Dated(term, span=term.span),), self._s(meta))

    @v_args(meta=True)
    def dated_value_decl(self, meta, children):
        name, description, *periods = children
        return S.ValueDecl(str(name), _unquote(description) if description else None, tuple(periods), self._s(meta))

    @v_args(meta=True)
    def dated_term(self, meta, children):
        (start, end), term, cites = children
        return S.Dated(term, start, end, cites[1] if cites else (), self._s(meta))

    def during(self, children):
        start, end = children
        return (self._date_token(start), self._date_token(end) if end is not None else None)

    @v_args(meta=True)
    def period(self, meta, children):
        start, end = children
        start_value = self._date_token(start) if start is not None else None
        end_value = self._date_token(end) if end is not None else None
        return S.Period(start_value, end_value, self._s(meta))

    def _date_token(self, token):
        try:
            return parse_date(str(token))
        except ValueError:
            raise WarrantError.at("W003", f"{token} is not a real date", _span(self.file, token))

    @staticmethod
    def _metadata(items):
        found: dict = {"cites": [], "assumes": [], "requires": []}
        for kind, values in items:
            found[kind].extend(values)
        return tuple(found["cites"]), tuple(found["assumes"]), tuple(found["requires"])

    @v_args(meta=True)
    def policy_decl(self, meta, children):
        draft, name, title, family, period, *rest = children
        metas = [c for c in rest if isinstance(c, tuple)]
        rules = [c for c in rest if isinstance(c, S.Rule)]
        cites, assumes, obligations = self._metadata(metas)
        rules = tuple(_with_policy(r, str(name)) for r in rules)
        return S.PolicyDecl(str(name), _unquote(title), period, draft is not None, cites, assumes, rules,
                            family, self._s(meta), obligations)

    @v_args(meta=True)
    def invariant_decl(self, meta, children):
        name, statement, cites, item_var, by, body = children
        return S.Invariant(str(name), _unquote(statement), str(item_var), tuple(body), cites[1] if cites else (),
                           self._s(meta), _span(self.file, name), str(by) if by else None,
                           _span(self.file, by) if by else None)

    def decided_by(self, children):
        return children[0]

    def family(self, children):
        return str(children[0])

    def _rule(self, kind, meta, children):
        if kind == "define":
            head, rule_id, statement, *rest = children
            item_var = None
        else:
            rule_id, item_var, statement, *rest = children
            head, item_var = None, str(item_var)
        body = rest[-1] if rest and (rest[-1] is None or isinstance(rest[-1], tuple) and (not rest[-1] or not isinstance(rest[-1][0], str))) else ()
        metas = [c for c in rest if isinstance(c, tuple) and c and isinstance(c[0], str)]
        cites, assumes, obligations = self._metadata(metas)
        return S.Rule(kind, str(rule_id), _unquote(statement), tuple(body or ()), cites, assumes,
                      item_var, head, None, self._s(meta), _span(self.file, rule_id), obligations)

    @v_args(meta=True)
    def permit_rule(self, meta, children):
        return self._rule("permit", meta, children)

    @v_args(meta=True)
    def forbid_rule(self, meta, children):
        return self._rule("forbid", meta, children)

    @v_args(meta=True)
    def define_rule(self, meta, children):
        return self._rule("define", meta, children)


def _with_policy(rule: S.Rule, policy: str) -> S.Rule:
    from dataclasses import replace
    return replace(rule, policy=policy)


def _describe_expected(expected: set[str]) -> str:
    names = {
        "NAME": "a name", "VAR": "a variable (Capitalised)", "STRING": "a \"quoted statement\"",
        "DATE": "a date (YYYY-MM-DD)", "MONEY": "an amount (£500)", "INT": "a number",
        "LBRACE": "`{`", "RBRACE": "`}`", "LPAR": "`(`", "RPAR": "`)`", "COMMA": "`,`",
        "EQUAL": "`=`", "COMPARE": "a comparison (>=, <, = ...)", "$END": "end of file",
    }
    shown = sorted(names.get(e, f"`{e.lower()}`" if e.isupper() and len(e) < 12 else e) for e in expected)
    shown = [s for s in shown if not s.startswith("`__")]
    return ", ".join(shown[:8]) + (" ..." if len(shown) > 8 else "")


def parse_text(text: str, file: str = "<text>") -> S.RuleFile:
    """Parse one rule file's text. Raises WarrantError on the first syntax error."""
    SOURCES.add(file, text)
    try:
        tree = parser().parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text, file) from None
    except LarkError as exc:  # pragma: no cover - other lark failures are still the user's text
        raise WarrantError.at("W001", f"cannot parse: {exc}", Span(file, 1, 1, 1, 1)) from None
    try:
        declarations = _ToAST(file).transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, WarrantError):
            raise exc.orig_exc from None
        raise
    return S.RuleFile(file, tuple(declarations.children), find_comments(text))


def find_comments(text: str) -> tuple[tuple[int, int, str], ...]:
    """Every `#` comment as (line, column, text), skipping `#` inside strings.

    Strings never span lines, so a per-line scan is exact. The formatter
    uses these to keep comments; the parser itself ignores them.
    """
    found = []
    for number, line in enumerate(source_lines(text), 1):
        for index, char in _outside_strings(line):
            if char == "#":
                found.append((number, index + 1, line[index:].rstrip()))
                break
    return tuple(found)


def _syntax_error(exc: UnexpectedInput, text: str, file: str) -> WarrantError:
    line, column = getattr(exc, "line", 1) or 1, getattr(exc, "column", 1) or 1
    opened = _unclosed_brace(text)
    if isinstance(exc, UnexpectedEOF) or line == -1 or (getattr(exc, "token", None) is not None
                                                        and exc.token.type == "$END"):
        lines = source_lines(text) or [""]
        line, column = len(lines), len(lines[-1]) + 1
        if opened is not None:
            span = Span(file, opened[0], opened[1], opened[0], opened[1])
            return WarrantError.at("W002", f"the `{{` opened on line {opened[0]} is never closed", span,
                                   notes=(f"the file ends at line {line} while it is still open",))
    span = Span(file, line, column, line, column)
    known = None
    try:
        known = exc.match_examples(parser().parse, {msg: examples for _, msg, examples in SYNTAX_ERRORS},
                                   use_accepts=True)
    except Exception:  # match_examples can fail on odd states; fall back to the generic message
        known = None
    if isinstance(exc, UnexpectedCharacters):
        char = text[exc.pos_in_stream] if 0 <= exc.pos_in_stream < len(text) else "?"
        message = f"unexpected character {char!r}"
        notes = ["names are lower_case, variables are Capitalised, text goes in \"double quotes\""]
        if char == "'":
            notes = ["text goes in \"double quotes\", not single quotes"]
        return WarrantError.at("W001", message, span, notes=notes)
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        if token.type != "$END":
            span = Span(file, token.line, token.column, token.end_line or token.line,
                        max(token.column, (token.end_column or token.column + 1) - 1))
        capitalised = _capitalised_name(text, token, set(exc.expected))
        if capitalised is not None:
            word, start = capitalised
            span = Span(file, token.line, start, token.line, start + len(word) - 1)
            return WarrantError.at("W002", LOWER_CASE_NAMES, span, suggestion=word.lower())
        if known == LOWER_CASE_NAMES:
            known = None             # the same parser state with another token: the generic message fits
        found = "end of file" if token.type == "$END" else f"`{token}`"
        message = known or f"unexpected {found}"
        notes = [f"expected {_describe_expected(set(exc.expected))}"]
        before = "\n".join(source_lines(text)[: max(0, span.line - 1)])
        still_open = _unclosed_brace(before)
        if still_open is not None and "RBRACE" in exc.expected:
            notes.append(f"the `{{` opened on line {still_open[0]} is still open here; is a `}}` missing?")
        return WarrantError.at("W002", message if known else message, span, notes=notes)
    return WarrantError.at("W002", known or "unexpected end of file", span)


def _capitalised_name(text: str, token, expected: set) -> tuple[str, int] | None:
    """(word, column) when a capital letter stands in a name: a variable where a name is expected
    (`permit A_rule`), or glued to the name before it (`forbid judicialProcess`)."""
    if token.type != "VAR":
        return None
    lines = source_lines(text)
    line = lines[token.line - 1] if 0 < token.line <= len(lines) else ""
    start = min(token.column - 1, len(line))
    while start > 0 and (line[start - 1].isalnum() or line[start - 1] == "_"):
        start -= 1
    if start == token.column - 1 and "NAME" not in expected:
        return None
    end = token.column - 1 + len(str(token))
    return line[start:end], start + 1


def _outside_strings(line: str):
    """(index, character) of each character of a rule-file line outside "strings" (which never span lines)."""
    in_string = escaped = False
    for index, char in enumerate(line):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        else:
            yield index, char


def _unclosed_brace(text: str) -> tuple[int, int] | None:
    """(line, column) of the last `{` never closed, outside strings and comments; None if all close."""
    stack = []
    for number, line in enumerate(source_lines(text), 1):
        for index, char in _outside_strings(line):
            if char == "#":
                break
            if char == "{":
                stack.append((number, index + 1))
            elif char == "}" and stack:
                stack.pop()
    return stack[-1] if stack else None


_HELD: dict[tuple[str, str], S.RuleFile] = {}     # the last parse of each held text (an editor's buffers)


def parse_held(text: str, file: str) -> S.RuleFile:
    """Parse a rule file's text as an editor holds it, bounded like a file on disk (W006 past the size
    limit); the last parse of each file is kept, so re-checking a rulebase re-parses only what changed."""
    if len(text) > MAX_RULE_FILE_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_RULE_FILE_BYTES:
        raise WarrantError.at("W006", f"{file} is {len(text.encode('utf-8', 'surrogatepass')):,} bytes; a rule file "
                                      f"is at most {MAX_RULE_FILE_BYTES:,}", Span(file, 1, 1, 1, 1))
    key = (file, text)
    found = _HELD.get(key)
    if found is None:
        for old in [k for k in _HELD if k[0] == file]:
            del _HELD[old]
        if len(_HELD) >= 256:
            _HELD.clear()
        found = parse_text(text, file)          # raises for a syntax error: nothing is kept
        _HELD[key] = found
    else:
        SOURCES.add(file, text)
    return found


def parse_file(path: str) -> S.RuleFile:
    """Read and parse one rule file; a missing or unreadable file is W004, one past the size limit W006."""
    try:
        if os.path.getsize(path) > MAX_RULE_FILE_BYTES:
            raise WarrantError.at("W006", f"{path} is {os.path.getsize(path):,} bytes; a rule file is at most "
                                          f"{MAX_RULE_FILE_BYTES:,}", Span(path, 1, 1, 1, 1))
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise WarrantError.at("W004", f"no such rule file: {path}") from None
    except UnicodeDecodeError as exc:
        raise WarrantError.at("W004", f"{path} is not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise WarrantError.at("W004", f"cannot read {path}: {exc.strerror}") from None
    return parse_text(text, path)

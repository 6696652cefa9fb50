"""The AST of a rule file: frozen, slotted dataclasses, each with a `span`.

Spans are excluded from equality, so two parses of the same text in
different layouts compare equal. Grammar rule `permit_rule` <-> class
`PermitRule` <-> `compile_permit_rule`: dispatch is by name.
"""
from __future__ import annotations

from dataclasses import dataclass

from warrant.pipeline.errors import Span, span_field

# ---- terms ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Variable:
    name: str
    span: Span | None = span_field()


@dataclass(frozen=True, slots=True)
class Constant:
    """A literal value: a symbol (str), date, Money, Months or int."""

    value: object
    span: Span | None = span_field()


Term = Variable | Constant

# ---- conditions ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Atom:
    predicate: str
    args: tuple[Term, ...]
    span: Span | None = span_field()


@dataclass(frozen=True, slots=True)
class Positive:
    atom: Atom
    span: Span | None = span_field()


@dataclass(frozen=True, slots=True)
class Negative:
    atom: Atom
    span: Span | None = span_field()


@dataclass(frozen=True, slots=True)
class Comparison:
    left: Term
    op: str  # one of = != < <= > >=
    right: Term
    span: Span | None = span_field()


@dataclass(frozen=True, slots=True)
class Member:
    term: Term
    set_name: str
    negated: bool = False
    span: Span | None = span_field()
    dated: bool = False          # the set has values per period (the checker marks it)


VALUE_VAR = "Val__"   # the variable a named value is read into (see ValueOf); no author writes one


@dataclass(frozen=True, slots=True)
class ValueOf:
    """`VAR` is named value NAME's value on the request's date.

    Never written: the checker makes one from a comparison that names a
    value (`Age >= digital_consent_age` becomes `ValueOf(digital_consent_age,
    V)` and `Age >= V`), so the compiled rule binds the value before testing it.
    """

    name: str
    var: Variable
    span: Span | None = span_field()


@dataclass(frozen=True, slots=True)
class Assuming:
    """`assuming NAME` (an on/off assumption is on) or `assuming NAME = READING` (that reading is taken)."""

    name: str
    negated: bool = False
    span: Span | None = span_field()
    reading: str | None = None

    @property
    def switch(self) -> str:
        """The engine's name for what this condition tests: `NAME`, or `NAME=READING` (see `switch_name`)."""
        return switch_name(self.name, self.reading)


def switch_name(assumption: str, reading: str | None = None) -> str:
    """An assumption switch as the engine holds it: the assumption's name, or one of its named readings as
    `NAME=READING` (on when that reading is taken; exactly one of them is)."""
    return assumption if reading is None else f"{assumption}={reading}"


def split_switch(switch: str) -> tuple[str, str | None]:
    """`switch_name` read back: (assumption, reading), the reading None for an on/off switch."""
    name, _, reading = switch.partition("=")
    return name, reading or None


@dataclass(frozen=True, slots=True)
class InForce:
    """`in force(NAME)`: a policy, or any version of a lineage (`version of NAME`), is in force on the date."""

    name: str
    negated: bool = False
    span: Span | None = span_field()


Condition = Positive | Negative | Comparison | Member | Assuming | InForce | ValueOf

# ---- declarations -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Citation:
    source: str
    locator: str | None = None
    span: Span | None = span_field()


@dataclass(frozen=True, slots=True)
class Obligation:
    """`requires "what must still be done" [when CONDITIONS] cites SOURCE "locator"`: a duty a permission carries.

    With `when`, the duty holds only for an item and day its conditions hold
    of (the permission's item variable names the item; other variables are
    its own); without, whenever the permission decides.
    """

    text: str
    cites: tuple[Citation, ...]
    span: Span | None = span_field()
    when: tuple[Condition, ...] = ()


@dataclass(frozen=True, slots=True)
class Property:
    key: str
    value: object  # str text, date, or a word
    is_word: bool = False
    cites: tuple[Citation, ...] = ()
    span: Span | None = span_field()
    label: str | None = None     # a named reading's name: `reading NAME "text"`


@dataclass(frozen=True, slots=True)
class SourceDecl:
    name: str
    properties: tuple[Property, ...]
    span: Span | None = span_field()

    def get(self, key: str):
        return next((p.value for p in self.properties if p.key == key), None)


@dataclass(frozen=True, slots=True)
class AssumptionDecl:
    name: str
    properties: tuple[Property, ...]
    span: Span | None = span_field()

    def get(self, key: str):
        return next((p.value for p in self.properties if p.key == key), None)

    def position_when(self, on) -> str:
        """The position a decision rests on: `position` (what "assuming NAME"
        means) when the assumption is on; when off, its `off` position, or
        "not assumed" (showing `position` for an off switch would misstate it).
        For an assumption with named readings, `on` is the reading taken and
        the position is that reading's text."""
        if isinstance(on, str):
            return next((str(p.value) for p in self.readings if p.label == on), "")
        if on:
            return str(self.get("position") or "")
        return str(self.get("off") or "not assumed")

    @property
    def readings(self) -> tuple[Property, ...]:
        """The named readings (`reading NAME "text"`), in the order written; () for an on/off assumption."""
        return tuple(p for p in self.properties if p.key == "reading" and p.label is not None)

    @property
    def has_readings(self) -> bool:
        return bool(self.readings)

    def switches(self) -> tuple[str, ...]:
        """The engine's switches for this assumption: its name, or one `NAME=READING` per named reading."""
        return tuple(switch_name(self.name, p.label) for p in self.readings) or (self.name,)

    def default_setting(self):
        """The setting when nothing says otherwise: on/off (a bool), or the default reading's name."""
        if self.has_readings:
            default = self.get("default")
            return default if default in {p.label for p in self.readings} else self.readings[0].label
        return self.get("default") != "off"


@dataclass(frozen=True, slots=True)
class Dated:
    """One value of a dated set or named value and the days it holds: `from D [until D] = VALUE [cites ...]`.

    `value` is a set's members (a tuple of names) or a value's constant.
    Undated declarations have a single `Dated` with no start.
    """

    value: object
    start: object = None          # datetime.date, or None: from the beginning
    end: object = None            # datetime.date, or None: no end
    cites: tuple[Citation, ...] = ()
    span: Span | None = span_field()
    member_spans: tuple[Span, ...] = span_field()
    added: tuple[str, ...] = ()      # a set's period written as changes (`add {..} remove {..}`) to the one before;
    removed: tuple[str, ...] = ()    # the checker fills `value` with the full membership it comes to
    change: bool = False


def in_effect(periods: tuple[Dated, ...]) -> tuple[tuple[Dated, object, object], ...]:
    """Each period with the days it is in effect, by start date: (period, first day, last day or None).

    A period without `until` lasts until the day before the next one starts
    (dates as keys, as OpenFisca's parameters read); the last one has no end.
    Overlaps and gaps are the checker's C139 and C140.
    """
    import datetime as _dt
    ordered = sorted(periods, key=lambda p: (p.start or _dt.date.min))
    out = []
    for index, period in enumerate(ordered):
        end = period.end
        if end is None and index + 1 < len(ordered) and ordered[index + 1].start:
            end = ordered[index + 1].start - _dt.timedelta(days=1)
        out.append((period, period.start, end))
    return tuple(out)


def covers(start, end, day) -> bool:
    """Whether a period (first day, last day; None: open) takes in `day`."""
    return (start is None or day >= start) and (end is None or day <= end)


def period_value_text(decl, period: Dated) -> str:
    """A period's value as traces and listings show it: `{a, b}` for a set, the constant for a value."""
    if isinstance(period.value, tuple):
        return "{" + ", ".join(period.value) + "}"
    from warrant.pipeline.values import show
    return show(period.value.value)


def effect_text(start, end) -> str:
    """"from 1998-09-30 until 2012-11-21", "from 2012-11-22", or "always"."""
    if start is None and end is None:
        return "always"
    return " ".join(part for part in (f"from {start.isoformat()}" if start else "",
                                      f"until {end.isoformat()}" if end else "") if part)


@dataclass(frozen=True, slots=True)
class SetDecl:
    """`set NAME "doc" = {...}`, or with values per period: `set NAME "doc" from D = {...} from D = {...}`."""

    name: str
    description: str | None
    members: tuple[str, ...]             # the undated set's members; () when dated
    span: Span | None = span_field()
    member_spans: tuple[Span, ...] = span_field()
    periods: tuple[Dated, ...] = ()      # the dated set's values, in the order written

    @property
    def dated(self) -> bool:
        return bool(self.periods)


@dataclass(frozen=True, slots=True)
class ValueDecl:
    """`value NAME "doc" = 13`, or dated: `value NAME "doc" from D = 13 cites ... from D = 16`.

    Named in a comparison (`Age >= NAME`); on a day no period covers, the
    value has none and the comparison does not hold.
    """

    name: str
    description: str | None
    periods: tuple[Dated, ...]
    span: Span | None = span_field()

    @property
    def dated(self) -> bool:
        return any(p.start or p.end for p in self.periods)


@dataclass(frozen=True, slots=True)
class EnumValue:
    name: str
    doc: str | None = None
    span: Span | None = span_field()


@dataclass(frozen=True, slots=True)
class EnumDecl:
    """`enum NAME "doc" { value "doc", ... }`: the values a symbol field may take."""

    name: str
    doc: str | None
    values: tuple[EnumValue, ...]
    span: Span | None = span_field()


@dataclass(frozen=True, slots=True)
class Column:
    """One typed column of a records field: `offence: symbol`."""

    name: str
    type: str
    span: Span | None = span_field()


@dataclass(frozen=True, slots=True)
class FieldDecl:
    """`field PATH: [many] TYPE [required] [fixed] [judgement] [log hashed|dropped] [as PREDICATE] "doc"`: one fact a
    request can state.

    `type` is a built-in type name (boolean, date, money, months, number,
    symbol) or an enumeration's name; records fields have `columns` instead.
    The predicate defaults to the last part of the path. A `judgement` is a
    boolean question a request may leave unanswered: the decision then says
    what each answer would give (engine/pipeline/judgement.py). `mask` is how
    the decision log stores the field: `hashed` (a keyed hash) or `dropped`
    (engine/log/masking.py); None stores it as given.
    """

    path: str
    type: str | None
    columns: tuple[Column, ...]
    many: bool
    required: bool
    fixed: bool
    predicate: str
    doc: str
    span: Span | None = span_field()
    type_span: Span | None = span_field()
    judgement: bool = False
    mask: str | None = None


@dataclass(frozen=True, slots=True)
class Period:
    start: object | None  # datetime.date
    end: object | None
    span: Span | None = span_field()


@dataclass(frozen=True, slots=True)
class Rule:
    """A permit, forbid or define rule.

    `kind` is 'permit', 'forbid' or 'define'. Permit and forbid rules are
    about each requested item, named by `item_var`; define rules conclude
    `head`. `policy` is the enclosing policy's name (None at top level).
    """

    kind: str
    id: str
    statement: str
    body: tuple[Condition, ...]
    cites: tuple[Citation, ...] = ()
    assumes: tuple[str, ...] = ()
    item_var: str | None = None
    head: Atom | None = None
    policy: str | None = None
    span: Span | None = span_field()
    id_span: Span | None = span_field()
    obligations: tuple[Obligation, ...] = ()    # permit rules: duties the permitted item carries


@dataclass(frozen=True, slots=True)
class PolicyDecl:
    name: str
    title: str
    period: Period | None
    draft: bool
    cites: tuple[Citation, ...]
    assumes: tuple[str, ...]
    rules: tuple[Rule, ...]
    family: str | None = None
    span: Span | None = span_field()
    obligations: tuple[Obligation, ...] = ()    # refused by the checker (C138): obligations go on permits

    def covers(self, day) -> bool:
        """Whether `day` falls inside the period (both ends inclusive; no period: always)."""
        period = self.period
        return period is None or ((period.start is None or period.start <= day) and
                                  (period.end is None or day <= period.end))

    @property
    def lineage(self) -> str:
        """The policy this one is a version of (itself when it stands alone)."""
        return self.family or self.name


@dataclass(frozen=True, slots=True)
class Invariant:
    """`invariant ID "statement" never permit Item [by NAME] when body`.

    A property that must hold for every possible request: no item for which
    `body` holds is ever permitted (with `by NAME`: permitted with permission
    NAME, or one of policy NAME's, or of any version of lineage NAME, among
    the permissions that apply to it). `warrant check` verifies it by
    enumeration (engine/author/invariants.py).
    """

    name: str
    statement: str
    item_var: str
    body: tuple[Condition, ...]
    cites: tuple[Citation, ...] = ()
    span: Span | None = span_field()
    id_span: Span | None = span_field()
    by: str | None = None            # `never permit Item by NAME`: through permission NAME, a policy's or a lineage's
    by_span: Span | None = span_field()

    def as_rule(self) -> Rule:
        """The invariant's condition as a rule, so the checker checks it like any other body."""
        return Rule("invariant", self.name, self.statement, self.body, self.cites, (), self.item_var,
                    span=self.span, id_span=self.id_span)


Declaration = EnumDecl | FieldDecl | SourceDecl | AssumptionDecl | SetDecl | ValueDecl | PolicyDecl | Invariant | Rule


@dataclass(frozen=True, slots=True)
class RuleFile:
    path: str
    declarations: tuple[Declaration, ...]
    comments: tuple[tuple[int, int, str], ...] = ()  # (line, column, text), for the formatter

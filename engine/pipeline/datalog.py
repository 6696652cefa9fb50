"""The compiled form: Datalog clauses that name the rule they came from.

Every source rule `r` becomes two clauses:

    fired_r(V1, ..., Vn) <= body            # one tuple per rule instance
    head(args)           <= fired_r(V1, ..., Vn)

so the engine itself records which rule fired on which bindings, and the
proofs read those instances instead of re-reading the rules. `Program` also
keeps, per rule, its ordered body, for proofs and why-nots; the engine runs
`fired_r` in `Program.plan` order, the same conditions with a
permission's or prohibition's ground checks first.
`print_program` gives the stable text used by golden files.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from warrant.pipeline.syntax import VALUE_VAR
from warrant.pipeline.values import show


@dataclass(frozen=True, slots=True)
class Var:
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class Const:
    value: object

    def __str__(self) -> str:
        return repr(self.value) if isinstance(self.value, str) else show(self.value)


Term = Var | Const


@dataclass(frozen=True, slots=True)
class Atom:
    predicate: str
    args: tuple[Term, ...] = ()

    def __str__(self) -> str:
        return self.predicate + (f"({', '.join(map(str, self.args))})" if self.args else "")


@dataclass(frozen=True, slots=True)
class Not:
    atom: Atom

    def __str__(self) -> str:
        return f"~{self.atom}"


@dataclass(frozen=True, slots=True)
class Compare:
    left: Term
    op: str  # engine operator: == != < <= > >=
    right: Term

    def __str__(self) -> str:
        return f"{self.left} {self.op} {self.right}"


Literal = Atom | Not | Compare

# Engine predicate names. User predicates and sets are prefixed so nothing a
# rule author writes can collide with Warrant's own.
PERMIT = "w_permit"          # w_permit(Item, RuleId)
FORBID = "w_forbid"          # w_forbid(Item, RuleId)
IN_FORCE = "w_in_force"      # w_in_force(Policy)
ASSUMED = "w_assumed"        # w_assumed(Name): the assumption is on for this decision
DRAFT_ON = "w_draft_on"      # w_draft_on(Policy): a draft switched on for a what-if
DUTY = "w_duty"              # w_duty(Item, DutyId): a conditional obligation's conditions hold of the item


def duty_id(rule_id: str, index: int) -> str:
    """The compiled clause of a permission's `index`-th obligation (1-based), when it has `when` conditions."""
    return f"{rule_id}__requires_{index}"


def fact_predicate(name: str) -> str:
    return "u_" + name


def set_predicate(name: str) -> str:
    return "s_" + name


def value_predicate(name: str) -> str:
    """A dated set's membership, or a named value, on the request's date (clauses guarded by the date)."""
    return "v_" + name



def compares_request_values(literal) -> bool:
    """A comparison of two request values (`A < B`): classes of requests by constants are not uniform for it.

    A named value is not a request value: it is one of its declared
    constants on each day, so comparing with it is comparing with those.
    """
    return isinstance(literal, Compare) and all(isinstance(t, Var) and not t.name.startswith(VALUE_VAR)
                                                for t in (literal.left, literal.right))


def fired_predicate(rule_id: str) -> str:
    return "f_" + rule_id


def bound_order(body, bound=()) -> tuple:
    """The same conditions, each test after the atoms that bind its variables.

    Positive atoms keep their order; a negation or comparison moves to the
    first place where every variable it uses is bound (by `bound` or an
    earlier positive atom). Every transformation of a rule body (findings
    that drop a condition, unfolding, the z3 encoding) goes through this, so
    no test can be reached with an unbound variable whatever was removed.
    A test whose variables no atom binds stays at the end (the checker
    refuses such rules; a dropped binder makes the body unsafe, and callers
    ask `is_safe` first).
    """
    have = {v for v in bound}
    out, waiting = [], []
    for literal in body:
        if isinstance(literal, Atom):
            out.append(literal)
            have |= {t.name for t in literal.args if isinstance(t, Var)}
            ready = [w for w in waiting if _variables(w) <= have]
            waiting = [w for w in waiting if w not in ready]
            out.extend(ready)
        elif _variables(literal) <= have:
            out.append(literal)
        else:
            waiting.append(literal)
    return tuple(out + waiting)


def is_safe(body, bound=(), head=None) -> bool:
    """Every variable of a test (and of the head) is bound by a positive atom of the body or by `bound`."""
    have = set(bound) | {t.name for l in body if isinstance(l, Atom) for t in l.args if isinstance(t, Var)}
    needed = set().union(*(_variables(l) for l in body)) if body else set()
    if head is not None:
        needed |= _variables(head)
    return needed <= have


def _variables(literal) -> set:
    atom = literal.atom if isinstance(literal, Not) else literal
    terms = (atom.left, atom.right) if isinstance(atom, Compare) else atom.args
    return {t.name for t in terms if isinstance(t, Var)}


def _has_variables(literal) -> bool:
    atom = literal.atom if isinstance(literal, Not) else literal
    terms = (atom.left, atom.right) if isinstance(atom, Compare) else atom.args
    return any(isinstance(t, Var) for t in terms)


@dataclass(frozen=True)
class CompiledRule:
    """One source rule as the engine runs it."""

    id: str
    kind: str                    # permit | forbid | define | in_force | value (a dated set's or value's period)
                                 # | duty (a conditional obligation's conditions)
    head: Atom                   # concluded atom (engine names)
    body: tuple[Literal, ...]    # in evaluation order
    variables: tuple[str, ...]   # order of fired_r's arguments
    policy: str | None = None
    source_order: tuple[int, ...] = ()   # body index -> index of the source condition (-1: implicit)

    @property
    def fired(self) -> Atom:
        return Atom(fired_predicate(self.id), tuple(Var(v) for v in self.variables))


@dataclass
class Program:
    rules: dict[str, CompiledRule] = field(default_factory=dict)
    set_facts: list[Atom] = field(default_factory=list)
    predicates: dict[str, int] = field(default_factory=dict)   # every engine predicate -> arity
    by_head: dict[str, list[str]] = field(default_factory=dict)  # head predicate -> rule ids
    vocabulary: object = None     # engine/vocabulary.Vocabulary: the facts a request can state
    _memo: dict = field(default_factory=dict, compare=False, repr=False)

    def memo(self, key, build):
        """What depends on the program alone (strata, unfoldings, plans), built once: `build()` at first use."""
        try:
            return self._memo[key]
        except KeyError:
            value = self._memo[key] = build()
            return value

    def permissions(self) -> tuple[str, ...]:
        """The permissions' rule ids, sorted (once per program: a law of dated sets has thousands of rules)."""
        return self.memo("permissions", lambda: tuple(r for r in sorted(self.rules) if self.rules[r].kind == "permit"))

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_memo": {}}       # the rulebase cache stores the program, not what was derived

    def plan(self, rule_id: str) -> tuple[Literal, ...]:
        """The body in the order the engine runs `fired_r`: for a permission or prohibition, its
        conditions without variables first (request facts and sets before derived concepts), then
        the rest in body order.

        A ground condition is a yes-or-no check, so it is cheapest before the
        requested items are enumerated, and a fact lookup is cheaper than a
        derivation: a rule that does not apply fails once, on its cheapest
        check, not once per item (a decision's permissions question: about
        0.6 -> 0.3 ms here). The answers are the same set in any safe order, and
        proofs and why-nots still read `body`, in the author's order.
        Definitions keep their order, which keeps recursion left-recursive.
        """
        def build():
            rule = self.rules[rule_id]
            if rule.kind not in ("permit", "forbid"):
                return rule.body
            ground = [l for l in rule.body if not _has_variables(l)]
            ground.sort(key=lambda l: getattr(l.atom if isinstance(l, Not) else l, "predicate", "") in self.by_head)
            return tuple(ground) + tuple(l for l in rule.body if _has_variables(l))
        return self.memo(("plan", rule_id), build)

    def clauses(self):
        """(head, body) pairs in a deterministic order."""
        for rule_id in sorted(self.rules):
            rule = self.rules[rule_id]
            yield rule.fired, self.plan(rule_id)
            yield rule.head, (rule.fired,)


def print_program(program: Program) -> str:
    """Stable text of the compiled program, one clause a line (golden files)."""
    lines = [f"{atom}." for atom in sorted(program.set_facts, key=str)]
    for head, body in program.clauses():
        lines.append(f"{head} <= {' & '.join(map(str, body))}.")
    return "\n".join(lines) + "\n"

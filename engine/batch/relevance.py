"""Relevance: which of a request's facts can matter to its decision at all.

Every permission, prohibition and conditional obligation is unfolded (engine/pipeline/unfold.py) into the
conjunctions that can prove it. The request's required single-valued fields
(the date and every other declared `required` one-valued field) decide at
once which conjunctions are *live*: a conjunction that needs `body(a)` is
dead for a request whose `body` is `b`, one whose policy period excludes the
date is dead on that
date. Only the predicates that live conjunctions mention (and everything a
negated definition in them depends on) can change the outcome, so the
batch signature (engine/batch/batch.py) leaves every other fact out.

This is exact, not a heuristic: a proof of a permission or prohibition
instantiates one of its conjunctions; whether a dead conjunction could hold
depends only on the fields that killed it, which are part of the key (as
the live set); a live one holds or not by its own literals, whose facts are
all in the key. If the program is recursive or too large to unfold,
`Relevance.of` returns None and the batch falls back to whole-request keys.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass

from warrant.pipeline.cache import Bounded
from warrant.pipeline.datalog import DUTY, FORBID, PERMIT, Atom, Compare, Const, Not, Var, fact_predicate
from warrant.pipeline.unfold import Unfolder, apply, holds, rename_var, terms
from warrant.pipeline.values import SYMBOL, kind_of, order_key

MAX_CONJUNCTIONS = 2000
DATE_FACT = fact_predicate("request_date")
MAX_KEPT = 100_000       # a relevance's kept check bits, and live sets (`Relevance.key`)
ITEMS_FACT = fact_predicate("requested")


@dataclass(frozen=True)
class Conjunction:
    checks: tuple            # (predicate, kind, payload): "is" value, "not" value, "var" (var, unary literals)
    relevant: frozenset      # predicates whose facts matter when this conjunction is live
    item: tuple = ()         # the literals that test the decided item alone, with the item as `X`; or
                             # ("is", value) when the unfolding fixed the item
    head: tuple = ()         # (PERMIT or FORBID, the rule's name) when it is a permission's or prohibition's
    rest: tuple = ()         # the literals its checks leave to the facts, variables named in order: two live
                             # conjunctions with the same rest hold or not together on any facts
    reads_item: bool = True  # whether it reads the decided item beyond `requested(Item)` and its item tests
    indirect: frozenset = frozenset()   # what it reads through a negated definition (every fact of those counts)


@dataclass
class Relevance:
    conjunctions: tuple[Conjunction, ...]
    sets: dict                # set predicate -> members, for membership checks on checked fields
    dated: dict = None        # dated set or value predicate -> ((member, first day, last day), ...)
    constants: dict = None    # derived predicate -> the ordered constants its rules compare with
    derived: frozenset = frozenset()   # predicates some rule concludes (a `u_` one is not a request fact alone)

    def __post_init__(self):
        # Many conjunctions share their checks (a route unfolded through each period of a dated set checks
        # the same date and value as another route's): each distinct check is tested once per key, and each
        # distinct tuple of checks once, for all the conjunctions that have it.
        patterns: dict = {}
        for index, conj in enumerate(self.conjunctions):
            indices, relevant = patterns.get(conj.checks, ((), frozenset()))
            patterns[conj.checks] = (indices + (index,), relevant | conj.relevant)
        self.patterns = tuple((checks, indices, relevant) for checks, (indices, relevant) in patterns.items())
        self.checks = tuple(dict.fromkeys(c for checks in patterns for c in checks))
        self.admitting: dict = {}           # item -> the conjunctions whose item tests it passes
        self.by_head: dict = {}
        for index, conj in enumerate(self.conjunctions):
            if conj.head:
                self.by_head.setdefault(conj.head, set()).add(index)
        self.by_head = {head: frozenset(found) for head, found in sorted(self.by_head.items(), key=repr)}
        rests: dict = {}
        self.rest_of = tuple(rests.setdefault(conj.rest, len(rests)) for conj in self.conjunctions)
        self.rests = tuple(rests)           # rest id -> the rest
        self.rest_first = {}                # rest id -> a conjunction that has it
        for index, rest in enumerate(self.rest_of):
            self.rest_first.setdefault(rest, index)
        # rest id -> the request facts it needs, ((predicate, argument shape), ...): the patterns of its
        # positive literals over facts only a request gives (`Abstraction._can_hold`)
        self.needs = tuple(tuple(dict.fromkeys(
            (literal.predicate, tuple(t.value if isinstance(t, Const) else None for t in literal.args))
            for literal in rest if isinstance(literal, Atom) and literal.predicate.startswith("u_") and
            literal.predicate != ITEMS_FACT and literal.predicate not in self.derived)) for rest in self.rests)
        self.periods: dict = {}             # dated set -> {(type, member): ((first day, last day), ...)}
        for predicate, rows in (self.dated or {}).items():
            for member, first, last in rows:
                self.periods.setdefault(predicate, {}).setdefault((type(member), member), []).append((first, last))
        self.cuts: dict = {}                # (rests, reads) -> the cut points their conclusion can see
        self.value_cuts, self.exact, dated = self._value_cuts()
        # each check one bit; a field's checks (with the date, where one reads a dated set) give the same bits
        # for values they cannot tell apart (`place`), and the patterns the same live set for the same bits
        bit = {check: 1 << number for number, check in enumerate(self.checks)}
        fields: dict = {}
        for check in self.checks:
            fields.setdefault(check[0], []).append(check)
        self.fields = tuple((predicate, tuple((bit[c], c) for c in checks), predicate in dated)
                            for predicate, checks in fields.items())
        self.pattern_masks = tuple((sum(bit[c] for c in checks), indices, reads)
                                   for checks, indices, reads in self.patterns)
        self.field_bits = Bounded(MAX_KEPT)   # (field, its value's place, the date's place or None) -> bits passed
        self.by_bits = Bounded(MAX_KEPT)      # bits passed -> `key`
        self.rule_reads: dict = {}          # (live, item) -> what `for_item_rules` gives
        self.rules_read_of = Bounded(MAX_KEPT)   # (live, item) -> `rules_read`

    def _value_cuts(self) -> tuple[dict, frozenset, frozenset]:
        """What the checks can tell apart of each checked field's value: {predicate: {kind: sorted order
        keys}} of the constants its checks compare it with (and, for the request's date, the first and last
        days of every dated set a check reads); the fields a check reads by membership of a set (their
        values count exactly); and those a check reads with a dated set (the date counts too). Values
        placed alike among these pass the same checks (`place`)."""
        cuts: dict = {}
        exact: set = set()
        dated: set = set()
        for predicate, kind, payload in self.checks:
            if kind in ("is", "not"):
                if kind_of(payload) != SYMBOL:
                    cuts.setdefault(predicate, set()).add((kind_of(payload), order_key(payload)))
                continue
            for literal in payload[1]:
                atom = literal.atom if isinstance(literal, Not) else literal
                if isinstance(atom, Compare):
                    cuts.setdefault(predicate, set()).update(_ordered_constants((literal,)))
                    continue
                exact.add(predicate)                 # a set's member: the value itself
                if atom.predicate in self.periods:
                    dated.add(predicate)
                for spans in self.periods.get(atom.predicate, {}).values():   # a dated set: and the day
                    cuts.setdefault(DATE_FACT, set()).update((kind_of(day), order_key(day)) for first, last in spans
                                                             for day in (first, last) if day is not None)
        by_kind: dict = {}
        for predicate, found in cuts.items():
            for kind, key in found:
                by_kind.setdefault(predicate, {}).setdefault(kind, []).append(key)
        return ({p: {k: sorted(v) for k, v in kinds.items()} for p, kinds in by_kind.items()}, frozenset(exact),
                frozenset(dated))

    def place(self, predicate: str, value) -> tuple:
        """A checked field's value as far as the checks can tell it apart (`_value_cuts`): a symbol or a
        set's member itself, any other value its place among the constants its checks compare it with."""
        kind = kind_of(value)
        if kind == SYMBOL or predicate in self.exact:
            return ("=", type(value), value)
        points = self.value_cuts.get(predicate, {}).get(kind, ())
        key = order_key(value)
        position = bisect.bisect_left(points, key)
        return (kind, position, position < len(points) and points[position] == key)

    @classmethod
    def of(cls, program) -> "Relevance | None":
        """The program's relevance (built once per program: workers forked after it inherit it)."""
        return program.memo("relevance", lambda: cls._of(program))

    @classmethod
    def _of(cls, program) -> "Relevance | None":
        closure = _dependencies(program)
        if closure is None:
            return None
        dated = dated_members(program)
        # A dated set is kept whole, not unfolded into one way per member and period (a route through a set
        # of 100 members over 20 periods was 600 conjunctions): a check of a field against it is decided on
        # the request's date by `_check`, and anywhere else it reads the date (`_conjunction`).
        unfolder = Unfolder(program, opaque=frozenset(dated), single=frozenset(program.vocabulary.checked))
        out = []
        for rule_id in sorted(program.rules):
            rule = program.rules[rule_id]
            if rule.head.predicate not in (PERMIT, FORBID, DUTY):     # a conditional obligation counts too
                continue
            for base, subst in unfolder.unfold(list(rule.body), {}):
                if any(isinstance(l, Atom) and l.predicate in program.by_head and l.predicate not in dated
                       for l in base):
                    return None   # cut by the depth bound: not a complete unfolding
                literals = _settled([apply(l, subst) for l in base])
                if literals is None:
                    continue      # a comparison of two constants that fails: it never holds
                out.append(_conjunction(literals, program, closure, dated, rule.head.predicate != DUTY,
                                        _head(rule)))
                if len(out) > MAX_CONJUNCTIONS:
                    return None
        sets: dict = {}
        for atom in program.set_facts:
            sets.setdefault(atom.predicate, set()).add(atom.args[0].value)
        for predicate, rows in dated.items():       # a dated set's members in any period (`_item_tests`)
            sets.setdefault(predicate, set()).update(member for member, _, _ in rows)
        constants: dict = {}
        for rule in program.rules.values():
            constants.setdefault(rule.head.predicate, set()).update(_ordered_constants(rule.body))
        return cls(tuple(out), sets, dated, {p: frozenset(c) for p, c in constants.items()},
                   frozenset(program.by_head))

    def for_item(self, live: frozenset, item) -> tuple[frozenset, frozenset]:
        """(the live conjunctions that can conclude about this item, the predicates they read): an item's
        outcome depends on those alone, when items are decided independently (engine/batch/classes.py)."""
        admitted = self.admitting.get(item)
        if admitted is None:
            admitted = self.admitting[item] = frozenset(
                i for i, conj in enumerate(self.conjunctions) if _admits(conj.item, item, self.sets))
        mine = live & admitted
        relevant = set()
        for index in mine:
            relevant |= self.conjunctions[index].relevant
        return mine, frozenset(relevant)

    def for_item_rules(self, live: frozenset, item) -> tuple:
        """((head, the rests of the live conjunctions of that rule admitting the item, the predicates they
        read), ...): for each permission and prohibition that can conclude about `item` on a request with
        these live conjunctions, what its conclusion depends on (a rule with none cannot conclude about
        it). Conjunctions are named by their rest, so the periods of a dated set (one conjunction each,
        live on different days) are one key wherever they leave the same literals to the facts."""
        found = self.rule_reads.get((live, item))
        if found is None:
            mine, _ = self.for_item(live, item)
            rows = []
            for head, indices in self.by_head.items():
                own = mine & indices
                if own:
                    reads = frozenset().union(*(self.conjunctions[i].relevant for i in own))
                    rests = frozenset(self.rest_of[i] for i in own)
                    about = item if any(self.conjunctions[i].reads_item for i in own) else None
                    rows.append((head, rests, reads, self._cuts(rests, reads), about))
            if len(self.rule_reads) >= 20_000:
                self.rule_reads.clear()
            found = self.rule_reads[(live, item)] = tuple(rows)
        return found

    def rules_read(self, live: frozenset, item) -> frozenset:
        """Every predicate that the permissions and prohibitions of `for_item_rules` read (kept with it)."""
        found = self.rules_read_of.get((live, item))
        if found is None:
            found = self.rules_read_of[(live, item)] = frozenset().union(
                *(reads for _, _, reads, _, _ in self.for_item_rules(live, item)))
        return found

    def _cuts(self, rests: frozenset, reads: frozenset) -> tuple:
        """(cuts, patterns) of what a rule's conclusion can see, given its live rests and what they read.

        cuts, ((kind, sorted constants), ...): every ordered constant that the
        rests, or a rule of a derived predicate they read, compares with; facts
        that sit alike among these cannot be told apart by the conclusion (a
        date read through a dated set is placed among that set's period
        bounds, not among every date the law names). patterns, ((predicate,
        arguments with None for any), ...): for a fact read only by the rests'
        own literals, the argument shapes those literals can match; a fact
        matching none cannot change any literal (`relied_on(consent)` is not
        seen by a rule that asks only for `relied_on(legal_obligation)`). A
        predicate read through a negated definition has no patterns: all of
        its facts count (issue 35)."""
        found = self.cuts.get((rests, reads))
        if found is None:
            by_kind: dict = {}
            for kind, key in set().union(*(_ordered_constants(self.rests[r]) for r in rests),
                                         *(self.constants.get(p, ()) for p in reads)):
                by_kind.setdefault(kind, []).append(key)
            cuts = tuple(sorted((k, tuple(sorted(v))) for k, v in by_kind.items()))
            indirect = frozenset().union(*(self.conjunctions[self.rest_first[r]].indirect for r in rests))
            patterns: dict = {}
            for r in rests:
                for predicate, shape in _patterns(self.rests[r]):
                    if predicate not in indirect:
                        patterns.setdefault(predicate, set()).add(shape)
            found = self.cuts[(rests, reads)] = (cuts, tuple(sorted(((p, frozenset(v)) for p, v in
                                                                      patterns.items()), key=repr)))
        return found

    def key(self, values: dict) -> tuple[frozenset, frozenset]:
        """(live conjunction numbers, relevant predicates) for a request's checked field values: the checks
        each field passes (kept by what they can tell of it, `place`), then the patterns all of whose checks
        passed (kept by those bits)."""
        known, day = self.field_bits, values.get(DATE_FACT)
        passed = 0
        for predicate, checks, dated in self.fields:
            value = values.get(predicate)
            at = (predicate, None if value is None else self.place(predicate, value),
                  (None if day is None else self.place(DATE_FACT, day)) if dated else None)
            bits = known.get(at)
            if bits is None:
                bits = known[at] = sum(b for b, c in checks if _check(c, values, self.sets, self.periods))
            passed |= bits
        found = self.by_bits.get(passed)
        if found is None:
            live, relevant = [], set()
            for mask, indices, reads in self.pattern_masks:
                if passed & mask == mask:
                    live.extend(indices)
                    relevant |= reads
            found = self.by_bits[passed] = (frozenset(live), frozenset(relevant))
        return found


def dated_members(program) -> dict:
    """Each dated set's (or named value's) members with the days each holds: {v_S: ((member, first, last),
    ...)}, from the compiled member rules (`v_S(M) <= request_date(Date) & Date >= first & Date <= last`).
    A predicate with a rule of any other form is left out (its literals stay relevant facts)."""
    found: dict = {}
    odd: set = set()
    for rule in program.rules.values():
        if rule.kind != "value":
            continue
        predicate = rule.head.predicate
        head = rule.head.args[0] if len(rule.head.args) == 1 else None
        first = last = None
        shape = isinstance(head, Const) and rule.body and isinstance(rule.body[0], Atom) and \
            rule.body[0].predicate == DATE_FACT and len(rule.body[0].args) == 1
        for literal in rule.body[1:] if shape else ():
            if not (isinstance(literal, Compare) and isinstance(literal.left, Var) and
                    literal.left == rule.body[0].args[0] and isinstance(literal.right, Const) and
                    literal.op in (">=", "<=")):
                shape = False
            elif literal.op == ">=":
                first = literal.right.value
            else:
                last = literal.right.value
        if not shape:
            odd.add(predicate)
            continue
        found.setdefault(predicate, []).append((head.value, first, last))
    return {p: tuple(v) for p, v in found.items() if p not in odd}


def _item_tests(literals: list, dated=None) -> tuple:
    """The tests a conjunction makes of its decided item alone (`requested(Item)` names the item): the
    static-set memberships and comparisons with constants that mention no other variable, with the item
    renamed `X`; ("is", value) when the item is a constant; () when it tests nothing of it. A dated set's
    membership (`dated`, not negated) tests the item too, against the set's members in any period: an item
    never in the set fails it on every day, so no route through it can conclude about that item."""
    requested = [l for l in literals if isinstance(l, Atom) and l.predicate == ITEMS_FACT and len(l.args) == 1]
    if len(requested) != 1:
        return ()
    item = requested[0].args[0]
    if isinstance(item, Const):
        return ("is", item.value)
    tests = []
    for literal in literals:
        names = {t.name for t in terms(literal) if isinstance(t, Var)}
        if names != {item.name} or literal is requested[0]:
            continue
        atom = literal.atom if isinstance(literal, Not) else literal
        if isinstance(atom, Compare) or (isinstance(atom, Atom) and atom.predicate.startswith("s_")) or \
                (isinstance(literal, Atom) and literal.predicate in (dated or {})):
            tests.append(rename_var(literal, item.name, "X"))
    return ("tests", tuple(tests)) if tests else ()


def _admits(tests: tuple, item, sets: dict) -> bool:
    """Whether an item passes a conjunction's item tests (`_item_tests`)."""
    if not tests:
        return True
    if tests[0] == "is":
        return tests[1] == item and type(tests[1]) is type(item)
    for literal in tests[1]:
        if isinstance(literal, Compare):
            if not holds(literal, {"X": item}):
                return False
            continue
        atom = literal.atom if isinstance(literal, Not) else literal
        if (item in sets.get(atom.predicate, frozenset())) == isinstance(literal, Not):
            return False
    return True


def _settled(literals: list) -> list | None:
    """The literals without repeats and without comparisons of two constants (which the unfolding leaves
    where it put a constant for a variable); None when such a comparison fails."""
    out = []
    for literal in dict.fromkeys(literals):
        if isinstance(literal, Compare) and isinstance(literal.left, Const) and isinstance(literal.right, Const) \
                and literal.op in ("==", "!=", "<", "<=", ">", ">=") and \
                kind_of(literal.left.value) == kind_of(literal.right.value):
            if not holds(literal, {}):
                return None
            continue
        out.append(literal)
    return out


def _head(rule) -> tuple:
    """(PERMIT or FORBID, the name a conclusion of this rule carries), or () for an obligation."""
    if rule.head.predicate in (PERMIT, FORBID) and len(rule.head.args) == 2 and isinstance(rule.head.args[1], Const):
        return (rule.head.predicate, rule.head.args[1].value)
    return ()


def _conjunction(literals: list, program, closure, dated=None, about_item: bool = True, head: tuple = ()) -> Conjunction:
    checks, relevant, consumed, indirect = [], set(), set(), set()
    uses: dict = {}
    for index, literal in enumerate(literals):
        for term in terms(literal):
            if isinstance(term, Var):
                uses.setdefault(term.name, []).append(index)
    for index, literal in enumerate(literals):           # checked fields first
        atom = literal.atom if isinstance(literal, Not) else literal
        if not (isinstance(atom, Atom) and atom.predicate in program.vocabulary.checked):
            continue
        arg = atom.args[0]
        if isinstance(arg, Const):
            checks.append((atom.predicate, "not" if isinstance(literal, Not) else "is", arg.value))
            consumed.add(index)
            continue
        others = [i for i in uses[arg.name] if i != index]
        if not isinstance(literal, Not) and all(_unary(literals[i], arg.name, dated) for i in others):
            # the variable renamed to one name, so equal checks of different conjunctions are equal
            same = {arg: Var("X")}
            checks.append((atom.predicate, "var", ("X", tuple(apply(literals[i], same) for i in others))))
            consumed |= {index, *others}
    for index, literal in enumerate(literals):           # everything else is relevant
        if index in consumed:
            continue
        atom = literal.atom if isinstance(literal, Not) else literal
        if not isinstance(atom, Atom) or atom.predicate.startswith("s_"):
            continue          # comparisons bind nothing new; sets are static
        relevant.add(atom.predicate)
        if atom.predicate in program.by_head:           # a dated set kept whole: what it reads counts too
            relevant |= closure[atom.predicate]
            if isinstance(literal, Not):
                indirect |= closure[atom.predicate]
    rest = _canonical([literal for index, literal in enumerate(literals) if index not in consumed])
    return Conjunction(tuple(checks), frozenset(relevant), _item_tests(literals, dated) if about_item else (), head,
                       rest, _reads_item(literals), frozenset(indirect))


def _reads_item(literals: list) -> bool:
    """Whether a conjunction's truth for an item it admits can depend on which item that is: whether some
    literal other than `requested(Item)` and the item tests (`_item_tests`, passed by admission) names
    the item."""
    requested = [l for l in literals if isinstance(l, Atom) and l.predicate == ITEMS_FACT and len(l.args) == 1]
    if len(requested) != 1:
        return True
    item = requested[0].args[0]
    if isinstance(item, Const):
        return False                       # admission fixed the item
    for literal in literals:
        names = {t.name for t in terms(literal) if isinstance(t, Var)}
        if literal is requested[0] or item.name not in names:
            continue
        atom = literal.atom if isinstance(literal, Not) else literal
        if names == {item.name} and (isinstance(atom, Compare) or atom.predicate.startswith("s_")):
            continue                       # an item test
        return True
    return False


def _ordered_constants(literals) -> set:
    """(kind, order key) of every constant of an ordered kind (a date, money, months, a number) in the
    literals."""
    found = set()
    for literal in literals:
        for term in terms(literal):
            if isinstance(term, Const) and kind_of(term.value) != SYMBOL:
                found.add((kind_of(term.value), order_key(term.value)))
    return found


def _patterns(literals) -> tuple:
    """((fact predicate, arguments with None for a variable), ...) of the literals over request facts."""
    found = []
    for literal in literals:
        atom = literal.atom if isinstance(literal, Not) else literal
        if isinstance(atom, Atom) and atom.predicate.startswith("u_"):
            found.append((atom.predicate, tuple(t.value if isinstance(t, Const) else None for t in atom.args)))
    return tuple(found)


def _canonical(literals: list) -> tuple:
    """The literals with their variables renamed V0, V1, ... in order of first appearance."""
    names: dict = {}

    def term(t):
        if type(t) is Var:
            found = names.get(t)
            if found is None:
                found = names[t] = Var(f"V{len(names)}")
            return found
        return t

    out = []
    for literal in literals:
        negated = isinstance(literal, Not)
        atom = literal.atom if negated else literal
        if isinstance(atom, Compare):
            atom = Compare(term(atom.left), atom.op, term(atom.right))
        else:
            atom = Atom(atom.predicate, tuple(term(a) for a in atom.args))
        out.append(Not(atom) if negated else atom)
    return tuple(out)


def _unary(literal, var: str, dated=None) -> bool:
    """A literal that tests `var` alone against constants, static sets, or a dated set on the request's date."""
    atom = literal.atom if isinstance(literal, Not) else literal
    if isinstance(atom, Atom):
        return atom.predicate.startswith("s_") or (atom.predicate in (dated or {}) and len(atom.args) == 1)
    return all(isinstance(t, Const) or (isinstance(t, Var) and t.name == var) for t in terms(literal))


def _check(check, values: dict, sets: dict, dated: dict) -> bool:
    """Whether a checked field passes a check; `dated`: each dated set's periods per (type, member)."""
    predicate, kind, payload = check
    value = values.get(predicate)
    if kind == "is":
        return value == payload
    if kind == "not":
        return value != payload
    var, literals = payload
    for literal in literals:
        if isinstance(literal, Compare):
            if not holds(literal, {var: value}):
                return False
        else:
            atom = literal.atom if isinstance(literal, Not) else literal
            if atom.predicate in dated:         # a dated set: its members on the request's date
                day = values.get(DATE_FACT)
                held = day is not None and any((first is None or day >= first) and (last is None or day <= last)
                                               for first, last in dated[atom.predicate].get((type(value), value), ()))
            else:
                held = value in sets.get(atom.predicate, frozenset())
            if held == isinstance(literal, Not):
                return False
    return True


def _dependencies(program) -> dict | None:
    """Derived predicate -> every predicate it depends on; None if recursive."""
    direct: dict = {}
    for rule in program.rules.values():
        deps = direct.setdefault(rule.head.predicate, set())
        for literal in rule.body:
            atom = literal.atom if isinstance(literal, Not) else literal
            if isinstance(atom, Atom):
                deps.add(atom.predicate)
    closure: dict = {}

    def visit(predicate, path):
        if predicate in closure:
            return closure[predicate]
        if predicate in path:
            raise RecursionError
        out = set()
        for dep in direct.get(predicate, ()):
            out.add(dep)
            if dep in direct:
                out |= visit(dep, path | {predicate})
        closure[predicate] = out
        return out
    try:
        for predicate in direct:
            visit(predicate, frozenset())
    except RecursionError:
        return None
    return closure


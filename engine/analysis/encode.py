"""The compiled program as formulas over every possible request (z3).

In: one or two compiled `Program`s, the vocabulary their requests share.
Out: a `Space`, the z3 variables of one symbolic request (every field, every
assumption a request may set, every draft it may name), and per program and
settings a `Side` whose `outcome(item)` is a formula that holds exactly for
the requests that permit that item.

The program is not re-read from rule text: each compiled clause of the
program the engine evaluates is inlined bottom-up (the programs are
non-recursive; a recursive one raises `NotExact`). A predicate becomes a
finite list of (guard, arguments) pairs, one per way of deriving it, where
the guard is a formula over the request's variables. Values are integers:
dates as day numbers, money in pence, months and numbers as themselves,
names by a table (names no rule mentions get codes past the table, so two
unnamed values can be equal or not, as in a real request).

How each field becomes variables, and why that covers every request:
- a single value: one variable and a presence bit (exact);
- a list of names from an enumeration, or records whose columns are all
  enumerations: one bit per possible entry (exact: a list is a set of facts);
- other lists (records with numbers, dates or free names): K slots. When
  every rule uses the list's values only locally (compared with constants,
  not joined with another fact), a decision depends only on which classes of
  entries occur (a class: the same side of every constant in each column),
  so K = the number of classes is exact. Otherwise K is bounded and the
  `Space.bounds` say so, to be printed with every result.

Judgements (`boolean judgement` fields) are encoded answered: one bit, yes
or no, and a request made from a model states each (`document`). That
covers the requests that leave one open too: such a request's outcome is a
function of its answered outcomes (engine/pipeline/judgement.py), so two
programs that agree on every answered request agree on every request, and
an item permitted with a judgement open is permitted with it answered no,
so an invariant (`never permit`) that holds of answered requests holds of
every request.
"""
from __future__ import annotations

import datetime as _dt
import itertools
from dataclasses import dataclass

import z3

from warrant.analysis import budget

from warrant.pipeline.datalog import ASSUMED, DRAFT_ON, FORBID, PERMIT, Atom, Compare, Const, Not, Var, bound_order
from warrant.pipeline.grounding import collapse_settings, expand_settings, switch_defaults
from warrant.pipeline.limits import MAX_MONTHS
from warrant.pipeline.syntax import split_switch
from warrant.pipeline.unfold import terms as _terms
from warrant.pipeline.values import BOOL, DATE, MONEY, MONTHS, NUMBER, SYMBOL, Money, Months
from warrant.pipeline.vocabulary import DATE_PREDICATE, ITEMS_PREDICATE, MAX_NUMBER

MAX_BITS = 256          # entries of an all-enumeration records list encoded one bit each, at most
MAX_ITEM_BITS = 4096    # values of a one-column enumeration list (the requested items) encoded one bit each
MAX_SLOTS = 6           # slots of any other list, at most
BOUNDED_SLOTS = 3       # slots of a list whose values rules join with other facts (not exact)
MAX_PENCE = 10 ** 14    # twelve digits of pounds and two of pence (the money syntax)
FIRST_DAY, LAST_DAY = _dt.date.min.toordinal(), _dt.date.max.toordinal()


class NotExact(Exception):
    """The program cannot be encoded exactly (recursion): callers fall back to sampling."""


@dataclass(frozen=True)
class Slot:
    present: object          # z3 Bool, or True
    values: tuple            # z3 Int per column, or int constants (an enumerated entry)


# ---- values --------------------------------------------------------------------


class Names:
    """Names <-> integer codes, in sorted order so formulas and witnesses are deterministic."""

    def __init__(self, names):
        self.names = sorted(set(names))
        self.code = {n: i for i, n in enumerate(self.names)}

    def encode(self, name: str) -> int:
        return self.code[name]

    def decode(self, code: int) -> str:
        return self.names[code] if 0 <= code < len(self.names) else f"unnamed_{code - len(self.names) + 1}"


def encode_value(value, names: Names) -> int:
    if isinstance(value, str):
        return names.encode(value)
    if isinstance(value, _dt.date):
        return value.toordinal()
    if isinstance(value, Money):
        return value.pence
    if isinstance(value, Months):
        return value.count
    if isinstance(value, bool):
        raise NotExact(f"a truth value as a term ({value})")
    return int(value)


def decode_value(code: int, kind: str, names: Names):
    if kind == SYMBOL:
        return names.decode(code)
    if kind == DATE:
        return _dt.date.fromordinal(code)
    if kind == MONEY:
        return Money(code)
    if kind == MONTHS:
        return Months(code)
    return code


def constants_of(programs, extra=()) -> set:
    """Every name a program or condition mentions, with the enumerations' values."""
    found = set()
    for program in programs:
        for atom in program.set_facts:
            found.update(a.value for a in atom.args if isinstance(a.value, str))
        for rule in program.rules.values():
            for literal in rule.body + (rule.head,):
                found.update(t.value for t in _terms(literal) if isinstance(t, Const) and isinstance(t.value, str))
        for f in program.vocabulary.fields:
            found.update(f.values)
            for column in f.column_values:
                found.update(column)
    for literal in extra:
        found.update(t.value for t in _terms(literal) if isinstance(t, Const) and isinstance(t.value, str))
    return found


# ---- the symbolic request --------------------------------------------------------


class Space:
    """The z3 variables of one request, and the constraints every valid request meets."""

    def __init__(self, rulebases, extra_literals=(), bounded_slots: int = BOUNDED_SLOTS):
        self.rulebases = list(rulebases)
        self.programs = [rb.program for rb in self.rulebases]
        self.ctx = z3.Context()         # a private context: results depend on this analysis alone (determinism)
        self.vocabulary = self.programs[0].vocabulary
        settings = [n for rb in self.rulebases for n in list(_assumptions(rb)) + list(_drafts(rb))]
        self.names = Names(constants_of(self.programs, extra_literals) | set(settings))
        self.domain: list = []
        self.fields: dict = {}          # fact predicate (u_...) -> encoding
        self.bounds: dict = {}          # field path -> slots, for lists encoded inexactly
        self.exact_slots: dict = {}     # field path -> slots, for lists whose slots are exact
        self.column_names: dict = {}    # field path -> per column, the codes of the names rules use there
        rules = [r for p in self.programs for r in p.rules.values()]
        bodies = [(r.body, r.head.args) for r in rules] + [(tuple(extra_literals), ())]
        for spec in self.vocabulary.fields:
            self.fields["u_" + spec.predicate] = self._field(spec, bodies, bounded_slots)
        self.assumptions = sorted({n for rb in self.rulebases for n in _assumptions(rb)})
        shared = set.intersection(*(set(_assumptions(rb)) for rb in self.rulebases))
        self.assume_set = {n: z3.Bool(f"assume_set:{n}", self.ctx) for n in self.assumptions}
        self.assume_value = {n: z3.Bool(f"assume:{n}", self.ctx) for n in self.assumptions}
        for name in self.assumptions:
            if name not in shared:
                self.domain.append(z3.Not(self.assume_set[name]))
        for group in _reading_groups(self.assumptions):    # a request sets an assumption's reading whole:
            sets = [self.assume_set[n] for n in group]         # all its switches or none, exactly one on
            values = [self.assume_value[n] for n in group]
            self.domain += [s == sets[0] for s in sets[1:]]
            self.domain.append(z3.Implies(sets[0], z3.And(z3.Or(values), *[z3.Not(z3.And(a, b)) for a, b in
                                                                            itertools.combinations(values, 2)])))
        drafts = [set(_drafts(rb)) for rb in self.rulebases]
        self.drafts = sorted(set.union(*drafts))
        self.draft_named = {n: z3.Bool(f"draft:{n}", self.ctx) for n in self.drafts}
        for name in self.drafts:
            if not all(name in d for d in drafts):
                self.domain.append(z3.Not(self.draft_named[name]))

    # one field -> variables
    def _field(self, spec, bodies, bounded_slots):
        path, kinds = spec.path, spec.arg_kinds()
        if spec.kind == BOOL:
            bit = z3.Bool(f"{path}", self.ctx)
            if spec.required:
                self.domain.append(bit)
            return ("flag", bit)
        if spec.kind != "records" and not spec.many:
            present = True if spec.required else z3.Bool(f"{path}?", self.ctx)
            value = z3.Int(path, self.ctx)
            self.domain.append(self._range(value, kinds[0], spec.values))
            return ("single", present, value)
        columns = spec.column_values if spec.kind == "records" else (spec.values,)
        if all(columns) and _product(len(c) for c in columns) <= (MAX_ITEM_BITS if len(columns) == 1 else MAX_BITS):
            entries = []
            for combo in itertools.product(*columns):
                bit = z3.Bool(f"{path}[{','.join(combo)}]", self.ctx)
                entries.append(Slot(bit, tuple(self.names.encode(v) for v in combo)))
            bits = [e.present for e in entries]
            self._non_empty(spec, bits)
            if spec.predicate == ITEMS_PREDICATE:
                self.items = [(e.values[0], e.present) for e in entries]
            return ("list", entries)
        classes, local, named = _classes(spec, bodies)
        self.column_names[path] = tuple(tuple(sorted(self.names.encode(v) for v in found if isinstance(v, str)))
                                        for found in named)
        count = min(classes, MAX_SLOTS) if local else bounded_slots
        (self.exact_slots if local and classes <= MAX_SLOTS else self.bounds)[path] = count
        slots = []
        for index in range(count):
            present = z3.Bool(f"{path}#{index}?", self.ctx)
            values = tuple(z3.Int(f"{path}#{index}.{k}", self.ctx) for k in range(len(kinds)))
            for value, kind, allowed in zip(values, kinds, columns):
                self.domain.append(z3.Implies(present, self._range(value, kind, allowed)))
            slots.append(Slot(present, values))
        self._non_empty(spec, [s.present for s in slots])
        if spec.predicate == ITEMS_PREDICATE:
            self.items = None
        return ("list", slots)

    def _non_empty(self, spec, bits) -> None:
        if spec.required or spec.predicate == ITEMS_PREDICATE:
            self.domain.append(z3.Or(*bits) if bits else z3.BoolVal(False, self.ctx))

    def _range(self, value, kind, allowed):
        if kind == SYMBOL:
            if allowed:
                return z3.Or(*[value == self.names.encode(v) for v in allowed])
            return value >= 0
        low, high = {DATE: (FIRST_DAY, LAST_DAY), MONEY: (0, MAX_PENCE), MONTHS: (0, MAX_MONTHS),
                     NUMBER: (0, MAX_NUMBER)}[kind]
        return z3.And(value >= low, value <= high)

    def exact(self) -> bool:
        return not self.bounds

    def item_codes(self) -> list[int]:
        if self.items is None:
            raise NotExact("the requested items are not an enumeration")
        return [code for code, _ in self.items]

    def requested(self, code: int):
        return dict(self.items)[code]

    def assignment(self, request) -> list | None:
        """Constraints that pin the space to one concrete request (None: a list longer than its slots)."""
        def in_order(slots, given):          # entry i in slot i
            if len(given) > len(slots):
                return None
            out = []
            for index, slot in enumerate(slots):
                out.append(slot.present == (index < len(given)))
                if index < len(given):
                    out.extend(v == g for v, g in zip(slot.values, given[index]))
            return out
        return self._pinned(request, in_order)

    def matches(self, request):
        """A formula true of exactly the requests with this one's facts and settings (list order aside)."""
        def any_order(slots, given):
            out = [z3.Or(*[z3.And(slot.present, *[v == g for v, g in zip(slot.values, entry)]) for slot in slots])
                   for entry in given]          # every entry of the request is in some slot ...
            for slot in slots:                  # ... and every slot in use holds one of them
                out.append(z3.Implies(slot.present, z3.Or(*[z3.And(*[v == g for v, g in zip(slot.values, e)])
                                                            for e in given]) if given
                                      else z3.BoolVal(False, self.ctx)))
            return out
        return z3.And(*self._pinned(request, any_order))

    def _pinned(self, request, slotted) -> list | None:
        """Constraints fixing every field and setting to the request's; `slotted(slots, entries)` pins a list
        kept in slots (None from it: the request does not fit)."""
        facts: dict = {}
        for fact in request.facts:
            facts.setdefault("u_" + fact.predicate, []).append(
                tuple(encode_value(v, self.names) if not isinstance(v, str) or v in self.names.code
                      else self._unnamed(v) for v in fact.args))
        out = []
        for predicate, encoding in self.fields.items():
            given = list(dict.fromkeys(facts.get(predicate, [])))
            if encoding[0] == "flag":
                out.append(encoding[1] == bool(given))
            elif encoding[0] == "single":
                if encoding[1] is not True:
                    out.append(encoding[1] == bool(given))
                if given:
                    out.append(encoding[2] == given[0][0])
            elif all(isinstance(v, int) for s in encoding[1] for v in s.values):     # one bit per entry
                out.extend(slot.present == (slot.values in given) for slot in encoding[1])
            else:
                pinned = slotted(encoding[1], given)
                if pinned is None:
                    return None
                out.extend(pinned)
        named = {}
        for rulebase in self.rulebases:
            named.update(expand_settings(rulebase.checked, request.assume))
        for name in self.assumptions:
            out.append(self.assume_set[name] == (name in named))
            if name in named:
                out.append(self.assume_value[name] == named[name])
        out.extend(self.draft_named[n] == (n in request.drafts) for n in self.drafts)
        return out

    def _unnamed(self, name: str) -> int:
        """A code past the table for a name no rule mentions (the same name, the same code)."""
        extra = self.__dict__.setdefault("_extra", {})
        return extra.setdefault(name, len(self.names.names) + len(extra))

    # the request a model describes
    def document(self, model) -> dict:
        """A request document (as a request file holds it) for a z3 model of this space."""
        from warrant.pipeline.vocabulary import parent_of
        from warrant.pipeline.values import to_json
        truth = lambda b: b is True or z3.is_true(model.eval(b, model_completion=True))
        number = lambda v: v if isinstance(v, int) else model.eval(v, model_completion=True).as_long()
        document: dict = {}
        for spec in self.vocabulary.fields:
            encoding = self.fields["u_" + spec.predicate]
            kinds = spec.arg_kinds()
            if encoding[0] == "flag":
                if truth(encoding[1]) or spec.judgement:     # a judgement is answered, yes or no
                    target, key = parent_of(document, spec.path)
                    target[key] = truth(encoding[1])
                continue
            if encoding[0] == "single":
                if truth(encoding[1]):
                    target, key = parent_of(document, spec.path)
                    target[key] = _json(decode_value(number(encoding[2]), kinds[0], self.names), to_json)
                continue
            entries = []
            for slot in encoding[1]:
                if truth(slot.present):
                    values = [decode_value(number(v), k, self.names) for v, k in zip(slot.values, kinds)]
                    entry = ({name: _json(v, to_json) for (name, _), v in zip(spec.columns, values)}
                             if spec.kind == "records" else _json(values[0], to_json))
                    if entry not in entries:
                        entries.append(entry)
            if entries:
                target, key = parent_of(document, spec.path)
                target[key] = entries
        assume = collapse_settings({n: truth(self.assume_value[n]) for n in self.assumptions
                                    if truth(self.assume_set[n])})
        if assume:
            document["assume"] = assume
        drafts = [n for n in self.drafts if truth(self.draft_named[n])]
        if drafts:
            document["drafts"] = drafts
        return document


def _json(value, to_json):
    return value.count if isinstance(value, Months) else to_json(value)


def _product(numbers) -> int:
    out = 1
    for n in numbers:
        out *= n
    return out


def _assumptions(rulebase) -> dict[str, bool]:
    """Each assumption switch (an on/off assumption, or one named reading: `syntax.switch_name`) and its
    default."""
    return dict(sorted(switch_defaults(rulebase.checked).items()))


def _reading_groups(switches) -> list[list[str]]:
    """The switches of each assumption with named readings, together."""
    groups: dict = {}
    for switch in switches:
        name, reading = split_switch(switch)
        if reading:
            groups.setdefault(name, []).append(switch)
    return [groups[name] for name in sorted(groups)]


def _drafts(rulebase) -> list[str]:
    return sorted(name for name, policy in rulebase.checked.policies.items() if policy.draft)


def _classes(spec, bodies) -> tuple[int, bool, list]:
    """How many classes of entries the rules can tell apart, whether they only use values locally,
    and the constants each column is compared with."""
    predicate = "u_" + spec.predicate
    constants = [set() for _ in spec.arg_kinds()]
    local = True
    for body, head in bodies:
        for literal in body:
            atom = literal.atom if isinstance(literal, Not) else literal
            if not isinstance(atom, Atom) or atom.predicate != predicate:
                continue
            for index, term in enumerate(atom.args):
                if isinstance(term, Const):
                    constants[index].add(term.value)
                    continue
                uses = [l for l in body if l is not literal and term in _terms(l)]
                if list(atom.args).count(term) > 1 or term in head:      # joined, or carried out of the rule
                    local = False
                for use in uses:
                    if isinstance(use, Compare) and any(isinstance(t, Const) for t in _terms(use)):
                        constants[index].update(t.value for t in _terms(use) if isinstance(t, Const))
                    else:
                        local = False
    count = 1
    for kind, found, allowed in zip(spec.arg_kinds(), constants,
                                    spec.column_values if spec.kind == "records" else (spec.values,)):
        count *= min(len(found) + 1, len(allowed)) if kind == SYMBOL and allowed else \
            len(found) + 1 if kind == SYMBOL else 2 * len(found) + 1
    return count, local, constants


# ---- one program under one setting -----------------------------------------------


class Side:
    """One program evaluated symbolically over a `Space`, with the date, assumptions and drafts a scenario fixes.

    `at`: a date every request is decided on (like `--at`); `assume`: switches
    fixed for every request (like `--assume`); `drafts`: drafts switched on.
    """

    def __init__(self, space: Space, rulebase, at=None, assume=None, drafts=(), replaced=None):
        self.space, self.rulebase, self.program = space, rulebase, rulebase.program
        self.at, self.given, self.drafts = at, dict(assume or {}), tuple(drafts)
        self.assume = expand_settings(rulebase.checked, self.given)      # the settings as switches
        self.defaults = _assumptions(rulebase)
        self.replaced = dict(replaced or {})        # rule id -> body, for "what if this condition went"
        self.memo: dict = {}
        self.members: dict = {}         # (predicate, argument identities) -> (arguments, formula)
        self.rules: dict = {}           # rule id -> its tuples
        self.open: set = set()
        self.sets: dict = {}
        for atom in self.program.set_facts:
            self.sets.setdefault(atom.predicate, []).append(
                (True, tuple(encode_value(a.value, space.names) for a in atom.args)))

    def variant(self, rule_id: str, body) -> "Side":
        """The same side with one rule's body replaced, sharing what does not depend on that rule."""
        other = Side(self.space, self.rulebase, self.at, self.given, self.drafts, {**self.replaced, rule_id: body})
        affected = _dependents(self.program, self.program.rules[rule_id].head.predicate)
        other.memo = {p: v for p, v in self.memo.items() if (p[1] if isinstance(p, tuple) else p) not in affected}
        other.members = {k: v for k, v in self.members.items() if k[0] not in affected}
        reads = _reads(self.program)
        other.rules = {r: v for r, v in self.rules.items() if r != rule_id and not reads[r] & affected}
        return other

    # the facts of a predicate, as (guard, argument codes or z3 terms)
    def tuples(self, predicate: str) -> list:
        if predicate in self.memo:
            found = self.memo[predicate]
            if isinstance(found, budget.Stopped):
                raise found                       # too large once, too large every time it is asked
            return found
        if predicate in self.open:
            raise NotExact(f"recursive rules ({predicate} depends on itself)")
        self.open.add(predicate)
        try:
            found = self._derive(predicate)
        except budget.Stopped as stop:
            if not stop.time_bound:
                self.memo[predicate] = stop
            raise
        finally:
            self.open.discard(predicate)
        self.memo[predicate] = found
        return found

    def _derive(self, predicate: str) -> list:
        space = self.space
        if predicate in space.fields:
            encoding = space.fields[predicate]
            if predicate == "u_" + DATE_PREDICATE and self.at is not None:
                return [(True, (self.at.toordinal(),))]
            if encoding[0] == "flag":
                return [(encoding[1], ())]
            if encoding[0] == "single":
                return [(encoding[1], (encoding[2],))]
            return [(slot.present, slot.values) for slot in encoding[1]]
        if predicate.startswith("s_"):
            return self.sets.get(predicate, [])
        if predicate == ASSUMED:
            out = []
            for name in sorted(self.defaults):
                if name in self.assume:
                    if not self.assume[name]:
                        continue                  # switched off for every request: no such fact
                    on = True
                else:
                    on = z3.If(space.assume_set[name], space.assume_value[name], z3.BoolVal(self.defaults[name], space.ctx))
                out.append((on, (space.names.encode(name),)))
            return out
        if predicate == DRAFT_ON:
            return [(True if name in self.drafts else space.draft_named[name], (space.names.encode(name),))
                    for name in space.drafts if name in _drafts(self.rulebase)]
        return _merged(t for rule_id in self.program.by_head.get(predicate, ()) for t in self.rule_tuples(rule_id))

    def rule_tuples(self, rule_id: str) -> list:
        """Each way this rule derives its head: (guard, head argument terms). Memoised per side: a variant
        (one rule's body replaced) keeps those of every rule that reads nothing the replaced rule changes."""
        found = self.rules.get(rule_id)
        if found is None:
            found = self.rules[rule_id] = self._rule_tuples(rule_id)
        return found

    def _rule_tuples(self, rule_id: str) -> list:
        rule = self.program.rules[rule_id]
        body = bound_order(self.replaced.get(rule_id, rule.body))
        return _merged((_conj(guards), tuple(self.term(t, env) for t in rule.head.args))
                       for guards, env in self.join(body, {}, f"rule `{rule_id}`"))

    def term(self, term, env):
        if isinstance(term, Const):
            return encode_value(term.value, self.space.names)
        return env[term.name]

    def join(self, body, env, where: str = "a condition") -> list:
        """Every way of satisfying a body: (guards, bindings). Constant tests are folded away.

        Bounded by the analysis budget: its clock, and `MAX_BRANCHES` ways (`where` names the body)."""
        branches = [([], dict(env))]
        for literal in body:
            budget.tick()
            budget.check_branches(len(branches), where)
            grown = []
            for guards, bound in branches:
                if isinstance(literal, Compare):
                    test = _compare(self.term(literal.left, bound), literal.op, self.term(literal.right, bound))
                    if test is not False:
                        grown.append((guards if test is True else guards + [test], bound))
                elif isinstance(literal, Not):
                    args = tuple(self.term(t, bound) for t in literal.atom.args)
                    found = self.member(literal.atom.predicate, args)
                    if found is not True:
                        grown.append((guards if found is False else guards + [_negate(found)], bound))
                elif all(not isinstance(t, Var) or t.name in bound for t in literal.args):
                    found = self.member(literal.predicate, tuple(self.term(t, bound) for t in literal.args))
                    if found is not False:           # a ground atom: one branch, its ways joined by "or"
                        grown.append((guards if found is True else guards + [found], bound))
                else:
                    for extended, test in self._bindings(literal, bound):
                        grown.append((guards if test is True else guards + [test], extended))
            branches = grown
        budget.check_branches(len(branches), where)
        return branches

    def _bindings(self, atom, bound) -> list:
        """The distinct bindings an atom with unbound variables makes, each with the formula for when it holds.

        Ways of deriving the atom that bind the same values are one branch
        (their guards joined by "or"), so a rule's branches grow with the
        values its variables can take, not with the product of the ways of
        proving each condition.
        """
        groups: dict = {}
        for guard, values in self.tuples(atom.predicate):
            if guard is False:
                continue
            extended, tests = _match(atom.args, values, bound, self.space.names)
            if extended is None:
                continue
            key = tuple((k, _identity(v)) for k, v in extended.items() if k not in bound)
            groups.setdefault(key, (extended, []))[1].append(_conj(tests + ([] if guard is True else [guard])))
        return [(extended, _disj(parts)) for extended, parts in groups.values()]

    def member(self, predicate: str, args: tuple):
        """Whether the predicate holds of these argument values: True, False or a formula.

        Memoised per side: the same test recurs in every rule that reads it
        (a dated set of many members and periods is a large formula, built once).
        The arguments are kept with the formula, so a z3 term's id cannot be reused
        while its entry stands."""
        key = (predicate, tuple(_identity(a) for a in args))
        found = self.members.get(key)
        if found is None:
            found = self.members[key] = (args, self._member(predicate, args))
        return found[1]

    def _member(self, predicate: str, args: tuple):
        tuples = self.tuples(predicate)
        if tuples and all(isinstance(a, int) for a in args):
            return self._member_of_values(predicate, tuples, args)
        options = []
        for guard, values in tuples:
            tests = [_compare(a, "==", v) for a, v in zip(args, values)]
            if any(t is False for t in tests):
                continue
            tests = [t for t in tests if t is not True] + ([] if guard is True else [guard])
            if not tests:
                return True
            options.append(_conj(tests))
        return _disj(options) if options else False

    def _member_of_values(self, predicate: str, tuples: list, args: tuple):
        """`_member` for argument values all known: the tuples whose known values differ are skipped by
        an index on those values (a dated set's member is one lookup, not a test per member and period)."""
        index = self.memo.get(("index", predicate))
        if index is None or index[0] is not tuples:          # the predicate's tuples were derived anew
            exact: dict = {}
            partial = []
            for guard, values in tuples:
                if all(isinstance(v, int) for v in values):
                    exact.setdefault(values, []).append((guard, values))
                else:
                    partial.append((guard, values))
            index = self.memo[("index", predicate)] = (tuples, exact, partial)
        options = []
        for guard, values in index[1].get(tuple(args), []) + index[2]:
            tests = [t for t in (_compare(a, "==", v) for a, v in zip(args, values)) if t is not True]
            if any(t is False for t in tests):
                continue
            tests += [] if guard is True else [guard]
            if not tests:
                return True
            options.append(_conj(tests))
        return _disj(options) if options else False

    # decisions
    def permitted(self, item: int):
        """The item is requested, some permission applies and no prohibition does."""
        allowed = self._any(PERMIT, item)
        forbidden = self._any(FORBID, item)
        ctx = self.space.ctx
        return _connect(z3.Z3_mk_and, [_bool(self.space.requested(item), ctx), _bool(allowed, ctx),
                                        _negate(_bool(forbidden, ctx))])

    def _any(self, predicate: str, item: int):
        tuples = self.tuples(predicate)
        index = self.memo.get(("first", predicate))
        if index is None or index[0] is not tuples:          # by the item, where the tuple names it
            named: dict = {}
            other = []
            for row in tuples:
                (named.setdefault(row[1][0], []) if isinstance(row[1][0], int) else other).append(row)
            index = self.memo[("first", predicate)] = (tuples, named, other)
        options = []
        for guard, values in index[1].get(item, []) + index[2]:
            test = _compare(values[0], "==", item)
            if test is False:
                continue
            parts = [p for p in (guard, test) if p is not True]
            if not parts:
                return True
            options.append(_conj(parts))
        return _disj(options) if options else False

    def fires(self, rule_id: str):
        """Some item is requested and this permit or forbid rule applies to it (whatever else applies)."""
        options = [g for g, _ in self.rule_tuples(rule_id)]
        ctx = self.space.ctx
        return z3.Or(*[_bool(g, ctx) for g in options]) if options else z3.BoolVal(False, ctx)

    def condition(self, literals, item: int, item_var: str):
        """A condition (an invariant's body) for one item: exists bindings of its other variables."""
        options = [_conj(g) for g, _ in self.join(bound_order(literals, (item_var,)), {item_var: item},
                                                  "the invariant's condition")]
        ctx = self.space.ctx
        return z3.Or(*[_bool(o, ctx) for o in options]) if options else z3.BoolVal(False, ctx)


def _reads(program) -> dict:
    """Rule id -> the predicates its body reads (positively or negated)."""
    def build():
        return {rule_id: frozenset((lit.atom if isinstance(lit, Not) else lit).predicate for lit in rule.body
                                   if isinstance(lit, (Atom, Not)))
                for rule_id, rule in program.rules.items()}
    return program.memo("analysis reads", build)


def _dependents(program, predicate: str) -> set:
    """Predicates whose facts can change when `predicate`'s do (worked out once per program and predicate)."""
    return program.memo(("analysis dependents", predicate), lambda: frozenset(_find_dependents(program, predicate)))


def _find_dependents(program, predicate: str) -> set:
    users: dict = {}
    for rule in program.rules.values():
        for literal in rule.body:
            atom = literal.atom if isinstance(literal, Not) else literal
            if isinstance(atom, Atom):
                users.setdefault(atom.predicate, set()).add(rule.head.predicate)
    seen, todo = {predicate}, [predicate]
    while todo:
        for user in users.get(todo.pop(), ()):
            if user not in seen:
                seen.add(user)
                todo.append(user)
    return seen


def _match(pattern, values, bound, names):
    """Unify an atom's arguments with a tuple: (new bindings, tests) or (None, None)."""
    extended, tests = None, []
    for term, value in zip(pattern, values):
        if isinstance(term, Var) and term.name not in (extended if extended is not None else bound):
            if extended is None:
                extended = dict(bound)
            extended[term.name] = value
            continue
        have = (extended if extended is not None else bound)[term.name] if isinstance(term, Var) else encode_value(term.value, names)
        test = _compare(have, "==", value)
        if test is False:
            return None, None
        if test is not True:
            tests.append(test)
    return (extended if extended is not None else bound), tests


def _compare(left, op: str, right):
    if isinstance(left, int) and isinstance(right, int):
        return {"==": left == right, "!=": left != right, "<": left < right, "<=": left <= right,
                ">": left > right, ">=": left >= right}[op]
    if op == "==":
        return _equal(left, right)
    return {"==": lambda: left == right, "!=": lambda: left != right, "<": lambda: left < right,
            "<=": lambda: left <= right, ">": lambda: left > right, ">=": lambda: left >= right}[op]()


def _identity(value):
    """A hashable stand-in for a bound value: the integer, or the z3 term's identity."""
    return value if isinstance(value, int) else ("z3", value.get_id())


def _merged(tuples) -> list:
    """(guard, arguments) pairs with equal arguments joined into one, their guards by "or" (first-seen order)."""
    groups: dict = {}
    for guard, args in tuples:
        if guard is False:
            continue
        groups.setdefault(tuple(_identity(a) for a in args), (args, []))[1].append(guard)
    return [(_disj(guards), args) for args, guards in groups.values()]


def concluding_about(tuples, item: int):
    """Of (guard, arguments) ways whose first argument is an item: when some concludes about this item
    (True, False or a formula)."""
    options = []
    for guard, args in tuples:
        test = _compare(args[0], "==", item)
        if test is False or guard is False:
            continue
        both = _conj([p for p in (guard, test) if p is not True])
        if both is True:
            return True
        options.append(both)
    return _disj(options) if options else False


def _disj(parts):
    if any(p is True for p in parts):
        return True
    parts = [p for p in parts if p is not False]
    if not parts:
        return False
    return parts[0] if len(parts) == 1 else _connect(z3.Z3_mk_or, parts)


def _conj(parts):
    parts = [p for p in parts if p is not True]
    if not parts:
        return True
    if any(p is False for p in parts):
        return False
    return parts[0] if len(parts) == 1 else _connect(z3.Z3_mk_and, parts)


# The encoding builds hundreds of thousands of terms: z3's Python operators coerce and sort-check each
# argument on every call, which was most of `warrant check`'s time on a law with dated sets of many periods.
# These build the same terms through z3's C API directly, for arguments that are already z3 terms.

def _connect(make, parts):
    """An "and" or "or" of z3 Boolean terms (all in one context)."""
    ctx = parts[0].ctx
    args = (z3.Ast * len(parts))()
    for index, part in enumerate(parts):
        args[index] = part.as_ast()
    return z3.BoolRef(make(ctx.ref(), len(parts), args), ctx)


def _negate(term):
    """`not term`, for a z3 Boolean term."""
    return z3.BoolRef(z3.Z3_mk_not(term.ctx.ref(), term.as_ast()), term.ctx)


def _equal(left, right):
    """`left == right` where one side is a z3 integer term and the other a term or a Python int."""
    if isinstance(left, int):
        left, right = right, left
    ctx = left.ctx
    if isinstance(right, int):
        right = _int_value(ctx, right)
    return z3.BoolRef(z3.Z3_mk_eq(ctx.ref(), left.as_ast(), right.as_ast()), ctx)


def _int_value(ctx, value: int):
    """The z3 integer constant, made once per context (the table lives on the context, and goes with it)."""
    table = ctx.__dict__.get("warrant_ints")
    if table is None:
        table = ctx.__dict__["warrant_ints"] = {}
    found = table.get(value)
    if found is None:
        found = table[value] = z3.IntVal(value, ctx)
    return found


def _bool(value, ctx):
    if value is True or value is False:
        return z3.BoolVal(value, ctx)
    return value

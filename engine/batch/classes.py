"""Outcome classes: requests the rules cannot tell apart, so one evaluation answers for all of them.

Datalog without arithmetic cannot tell apart two requests whose values
relate the same way to every constant in the program (same symbols where
the rules name them, same side of every threshold and date): an
order-preserving renaming that fixes the program's constants maps one
model onto the other. `Abstraction.signature` computes that class (keyed
further by the facts that can matter, engine/batch/relevance.py);
`tests/test_batch.py` checks cached decisions against fresh ones.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from warrant.pipeline.cache import Bounded
from warrant.pipeline.datalog import Compare, Const, Not, compares_request_values
from warrant.pipeline.values import SYMBOL, kind_of, order_key  # noqa: F401 - order_key: author/invariants.py


@dataclass
class Abstraction:
    symbols: frozenset
    thresholds: dict          # kind -> sorted constant keys
    relational: bool          # rules compare two request values with each other
    relevance: object = None  # engine/relevance.Relevance, or None: every fact counts
    live_cache: dict = None
    checked: frozenset = frozenset()   # compiled predicates of the fields that key the relevance classes
    item_keyed: frozenset = frozenset()  # request facts read only of the item being decided (`item_keyed`)
    previous: tuple = None    # (live, setting, facts, keys) of the last `rule_keys`, whose unchanged keys it reuses
    views: dict = field(default_factory=dict)   # id(a rule's view) -> (it, its mappings) (`_view`)
    orders: dict = field(default_factory=lambda: Bounded(20_000))  # id(a rule's reads) -> (them, sorted) (`_in_order`)
    need_rows: tuple = ()     # per rest, its needs with whether each is read only of the item (`_can_hold`)

    @classmethod
    def of(cls, program) -> "Abstraction":
        """The program's abstraction, with a cache of its own (what depends on the program alone is worked
        out once per program: a decision's what-would-change search makes a decider of its own)."""
        symbols, thresholds, relational, keyed = program.memo("abstraction", lambda: cls._constants(program))
        from warrant.batch.relevance import Relevance
        relevance = Relevance.of(program)
        needs = () if relevance is None else tuple(
            tuple((predicate, shape, predicate[2:] in keyed) for predicate, shape in rest) for rest in relevance.needs)
        return cls(symbols, thresholds, relational, relevance, Bounded(100_000), program.vocabulary.checked, keyed,
                   need_rows=needs)

    @staticmethod
    def _constants(program) -> tuple:
        symbols, thresholds, relational = set(), {}, False
        for atom in program.set_facts:
            symbols.update(a.value for a in atom.args)
        for rule in program.rules.values():
            for literal in rule.body + (rule.head,):
                atom = literal.atom if isinstance(literal, Not) else literal
                terms = (atom.left, atom.right) if isinstance(atom, Compare) else atom.args
                if compares_request_values(atom):
                    relational = True
                for term in terms:
                    if isinstance(term, Const):
                        kind = kind_of(term.value)
                        if kind == SYMBOL:
                            symbols.add(term.value)
                        else:
                            thresholds.setdefault(kind, set()).add(order_key(term.value))
        return frozenset(symbols), {k: sorted(v) for k, v in thresholds.items()}, relational, item_keyed(program)

    def _class_of(self, value, renamed: dict, cuts: dict):
        """A value's class: a symbol the rules never name renamed in order of appearance (`renamed`), an
        ordered value its place among `cuts` of its kind (and itself where the rules compare request
        values with each other)."""
        kind = kind_of(value)
        if kind == SYMBOL:
            return value if value in self.symbols else renamed.setdefault(value, f"#{len(renamed)}")
        key = order_key(value)
        points = cuts.get(kind, ())
        position = bisect.bisect_left(points, key)
        return (kind, position, position < len(points) and points[position] == key, key if self.relational else None)

    def _live(self, request, date):
        """(live conjunctions, relevant predicates) of the request's checked fields; (None, None) without
        a relevance (every fact counts)."""
        if self.relevance is None:
            return None, None
        checked = tuple(sorted((("u_" + f.predicate), (date if date is not None and f.predicate == "request_date"
                                                        else f.args[0]))
                               for f in request.facts if "u_" + f.predicate in self.checked))
        # values the checks cannot tell apart pass the same checks: key the cache by that (`Relevance.place`)
        place = self.relevance.place
        cache_key = tuple((p, place(p, v)) for p, v in checked)
        found = self.live_cache.get(cache_key)
        if found is None:
            found = self.live_cache[cache_key] = self.relevance.key(dict(checked))
        return found

    def _facts(self, request, date, relevant, skip=()) -> tuple:
        """The request's facts that can matter (all of them when `relevant` is None), abstracted to their
        class: a symbol the rules never name renamed in order of appearance, an ordered value to its place
        among the program's constants of its kind."""
        renamed: dict = {}
        out = []
        for fact in request.facts:
            if (relevant is not None and "u_" + fact.predicate not in relevant) or fact.predicate in skip:
                continue
            args = (date,) if date is not None and fact.predicate == "request_date" else fact.args
            out.append((fact.predicate, tuple(self._class_of(v, renamed, self.thresholds) for v in args)))
        return tuple(sorted(out, key=repr))

    def signature(self, request, date=None) -> tuple:
        """The request's class: equal classes get equal outcomes for every item."""
        live, relevant = self._live(request, date)
        return (live, self._facts(request, date, relevant), request.items, request.assume, request.drafts)

    def item_keys(self, request, date=None) -> list:
        """One key per requested item, when items are decided independently (see `items_independent`).

        An item's key holds only what can decide it: the live conjunctions whose
        tests of the item it passes, the facts those read (not the other items
        requested), and of the facts read only of the decided item
        (`item_keyed`), those about it."""
        live, relevant = self._live(request, date)
        keys = []
        for item in request.items:
            mine, reads = (live, relevant) if live is None else self.relevance.for_item(live, item)
            facts = self._facts(request, date, reads, skip=("requested",) + tuple(self.item_keyed))
            keys.append((mine, facts, item, self._of_item(request, item), request.assume, request.drafts))
        return keys

    def _of_item(self, request, item) -> tuple:
        """The request's facts read only of the item being decided (`item_keyed`) that are about `item`."""
        if not self.item_keyed:
            return ()
        return tuple(sorted(((f.predicate, f.args) for f in request.facts
                             if f.predicate in self.item_keyed and f.args[:1] == (item,)), key=repr))

    def _in_order(self, reads: frozenset) -> tuple:
        """A rule's read predicates, sorted (once per set: `rule_keys` walks a request's facts by them)."""
        found = self.orders.get(id(reads))
        if found is None or found[0] is not reads:
            found = self.orders[id(reads)] = (reads, tuple(sorted(reads)))
        return found[1]

    def _view(self, view: tuple) -> tuple:
        """(cuts by kind, literal patterns by predicate) of a rule's view (`Relevance._cuts`), as mappings."""
        views = self.views
        found = views.get(id(view))
        if found is None or found[0] is not view:
            if len(views) >= 20_000:
                views.clear()
            found = views[id(view)] = (view, dict(view[0]), dict(view[1]))
        return found[1], found[2]

    def _can_hold(self, rests: frozenset, read: dict, keyed: tuple, held: dict) -> bool:
        """Whether some rest can hold: each fact it needs (`Relevance.needs`) is among the request's, `read`
        by predicate (the item's own, `keyed`, for a fact read only of the decided item). `held` keeps, for
        one request, whether each need that is not the item's is met. A rule none of whose rests can hold
        concludes nothing, whatever its other facts."""
        for rest in rests:
            for need in self.need_rows[rest]:
                predicate, shape, of_item = need
                if of_item:
                    met = any(name == predicate[2:] and _matches(shape, args) for name, args in keyed)
                else:
                    met = held.get(need)
                    if met is None:
                        met = held[need] = any(_matches(shape, args) for _, args in read.get(predicate, ()))
                if not met:
                    break
            else:
                return True
        return False

    def _facts_by_predicate(self, request, date=None) -> dict:
        """The request's facts but the requested items and those read only of an item, by compiled
        predicate: {u_ predicate: [(field predicate, values), ...]} in the request's order (the date as
        decided, where one is given)."""
        skip = ("requested",) + tuple(self.item_keyed)
        read: dict = {}
        for fact in request.facts:
            if fact.predicate not in skip:
                read.setdefault("u_" + fact.predicate, []).append(
                    (fact.predicate, (date,) if date is not None and fact.predicate == "request_date" else fact.args))
        return read

    def rule_keys(self, request, date=None) -> list | None:
        """Per requested item, ((head, key), ...): one key for each permission and prohibition that can
        conclude about it, holding only what that rule's conclusion depends on (None without a relevance).

        A rule concludes about an item or not by its own live conjunctions
        admitting the item (the live set is fixed by the checked fields, so
        those conjunctions are part of the key) and the facts they read,
        abstracted to their class as `signature` does; so its conclusion can
        be cached per key, and a request whose every key is known needs no
        evaluation. Keys are small where a class is large: a law of many
        routes, each reading a few fields, repeats each route's key long
        before it repeats a whole request's class (issue 35)."""
        facts, setting = request.facts, (date, request.items, request.assume, request.drafts)
        # The answers to one request's open judgements are requests that add a few facts to its own (the
        # worlds of engine/pipeline/judgement.py): a rule that reads none of the facts in which this request
        # and the last one keyed differ keeps the last one's key, the same object (see `changed`); where
        # none of those facts is a checked field, the live set is the last one's too.
        previous = self.previous
        changed = live = None
        if previous is not None and previous[1] == setting:
            earlier = previous[2]
            common = 0
            for a, b in zip(earlier, facts):
                if a is not b:
                    break
                common += 1
            changed = frozenset("u_" + f.predicate for f in earlier[common:]) | \
                frozenset("u_" + f.predicate for f in facts[common:])
            if not changed & self.checked:
                live = previous[0]
        if live is None:
            live, _ = self._live(request, date)
            if live is None:
                return None
            if changed is not None and live is not previous[0]:
                changed = None
        read = self._facts_by_predicate(request, date)
        subsets: dict = {}     # (id(reads), id(view)) -> (reads, view, rows): the objects kept, so ids stay theirs

        def facts_read(reads: frozenset, view: tuple) -> tuple:
            """The facts the rule reads that its literals can match (`Relevance._cuts`), each value
            abstracted to its class among the rule's own cut points."""
            hit = subsets.get((id(reads), id(view)))
            if hit is not None and hit[0] is reads and hit[1] is view:
                return hit[2]
            renamed: dict = {}
            rows = []
            by_kind, shapes = self._view(view)
            for predicate in self._in_order(reads):     # the predicates it reads, in one order; each one's
                facts_of = read.get(predicate)           # facts in the request's
                if facts_of is None:
                    continue
                shape = shapes.get(predicate)
                for name, args in facts_of:
                    if shape is not None and not any(len(s) == len(args) and
                                                     all(v is None or v == a for v, a in zip(s, args))
                                                     for s in shape):
                        continue
                    rows.append((name, tuple(self._class_of(v, renamed, by_kind) for v in args)))
            found = tuple(rows)
            subsets[(id(reads), id(view))] = (reads, view, found)
            return found

        held: dict = {}
        keys = []
        for index, item in enumerate(request.items):
            keyed = self._of_item(request, item)
            before = previous[3][index] if changed is not None else None
            keys.append(tuple(before[number] if before is not None and not reads & changed else
                              (head, (head, own, facts_read(reads, cuts), about,
                                      tuple(k for k in keyed if "u_" + k[0] in reads), request.assume,
                                      request.drafts) if self._can_hold(own, read, keyed, held) else (head, None))
                              for number, (head, own, reads, cuts, about)
                              in enumerate(self.relevance.for_item_rules(live, item))))
        self.previous = (live, setting, facts, keys)
        return keys


def _matches(shape: tuple, args: tuple) -> bool:
    """Whether a fact's values fit a literal's shape (a constant where the literal has one)."""
    return len(shape) == len(args) and all(v is None or v == a for v, a in zip(shape, args))


def items_independent(program) -> bool:
    """True when no rule looks at the requested items other than its own `Item` (worked out once per program).

    Then each item's outcome depends only on the other facts and the item
    itself, and can be cached per item. A rule is item-local when every
    requested-item fact it reads, directly or through a concept defined from
    them, is about its own first head argument (a permission's, prohibition's
    or obligation's `Item`, or a concept's first argument, itself read only
    of the reading rule's own item).
    """
    return program.memo("items independent", lambda: _items_independent(program))


def _items_independent(program) -> bool:
    from warrant.pipeline.datalog import Atom
    reads_items = {"u_requested"}
    changed = True
    while changed:                              # concepts defined from the requested items, to a fixpoint
        changed = False
        for rule in program.rules.values():
            if rule.head.predicate in reads_items or rule.kind in ("permit", "forbid"):
                continue
            if any(isinstance(a, Atom) and a.predicate in reads_items
                   for a in (l.atom if isinstance(l, Not) else l for l in rule.body)):
                reads_items.add(rule.head.predicate)
                changed = True
    for rule in program.rules.values():
        item = rule.head.args[0] if rule.head.args else None
        for literal in rule.body:
            atom = literal.atom if isinstance(literal, Not) else literal
            if isinstance(atom, Compare) or atom.predicate not in reads_items:
                continue
            if isinstance(literal, Not) and atom.predicate == "u_requested":
                return False
            if rule.kind not in ("permit", "forbid", "duty", "define") or item is None or \
                    not atom.args or atom.args[0] != item:
                return False
    return True


def item_keyed(program) -> frozenset:
    """Request facts (by field predicate, without `u_`) that every rule reads only of the item it decides.

    A fact `designated(X)` read only as `designated(Item)` by the rule deciding
    `Item` (directly, or through a concept whose first argument is that item)
    matters to item I only when X is I: with items decided independently
    (`items_independent`), an item's class key keeps those facts about itself
    and leaves out those about the other items requested."""
    from warrant.pipeline.datalog import Atom
    rules = list(program.rules.values())
    read = {(l.atom if isinstance(l, Not) else l).predicate for r in rules for l in r.body
            if isinstance(l.atom if isinstance(l, Not) else l, Atom)}
    candidates = {p for p in read if p.startswith("u_") and p != "u_requested"} | set(program.by_head)
    changed = True
    while changed:                              # the greatest set closed under "read only of the item"
        changed = False
        for rule in rules:
            item = rule.head.args[0] if rule.head.args else None
            local = rule.kind in ("permit", "forbid", "duty") or (rule.kind == "define" and
                                                                   rule.head.predicate in candidates)
            for literal in rule.body:
                atom = literal.atom if isinstance(literal, Not) else literal
                if not isinstance(atom, Atom) or atom.predicate not in candidates:
                    continue
                if not (local and item is not None and atom.args and atom.args[0] == item and
                        not isinstance(item, Const)):
                    candidates.discard(atom.predicate)
                    changed = True
    return frozenset(p[2:] for p in candidates if p.startswith("u_"))

"""Check stage: parsed rule files -> `Checked` symbol tables + diagnostics.

In: `syntax.RuleFile`s. Out: a `Checked` (sources, assumptions, sets,
policies, rules, predicate signatures) and every `Diagnostic` found, all at
once. Error codes C101-C122 are listed in docs/ERRORS.md; nothing here
evaluates anything. The compiler only runs when there are no errors.
"""
from __future__ import annotations

import datetime as _dt
from collections import defaultdict
from dataclasses import dataclass, field, replace

from warrant.pipeline import syntax as S
from warrant.pipeline.errors import Diagnostic, did_you_mean
from warrant.pipeline.values import SYMBOL, kind_of, order_key
from warrant.pipeline.limits import MAX_DATED_CLAUSES, MAX_DEFINITION_DEPTH, MAX_READINGS
from warrant.pipeline.vocabulary import DATE_FIELD, ITEMS_FIELD, Vocabulary, build_vocabulary

SOURCE_KEYS = {"publisher": True, "title": True, "date": False, "author": False, "file": False, "url": False,
               "note": False}
ASSUMPTION_KEYS = {"question": True, "position": True, "reason": True, "reading": False, "default": False,
                   "off": False}   # `position` is the on reading; `off` the reading when switched off
RESERVED = {"requested"}  # requested(Item) is supplied by the request itself


@dataclass
class Checked:
    files: list[S.RuleFile]
    sources: dict[str, S.SourceDecl] = field(default_factory=dict)
    assumptions: dict[str, S.AssumptionDecl] = field(default_factory=dict)
    sets: dict[str, S.SetDecl] = field(default_factory=dict)
    values: dict[str, S.ValueDecl] = field(default_factory=dict)
    policies: dict[str, S.PolicyDecl] = field(default_factory=dict)
    rules: dict[str, S.Rule] = field(default_factory=dict)
    invariants: dict[str, S.Invariant] = field(default_factory=dict)
    vocabulary: Vocabulary = field(default_factory=lambda: Vocabulary(()))
    derived: dict[str, tuple[str | None, ...]] = field(default_factory=dict)   # predicate -> arg kinds
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    def versions(self, lineage: str) -> list[S.PolicyDecl]:
        """The policies of a lineage (`version of NAME`), drafts included, in name order."""
        return sorted((p for p in self.policies.values() if p.family == lineage and p.name != lineage),
                      key=lambda p: p.name)

    def defines(self, predicate: str) -> list[S.Rule]:
        return [r for r in self.rules.values() if r.kind == "define" and r.head.predicate == predicate]

    def assumption_default(self, name: str):
        """An assumption's setting when nothing says otherwise: on/off, or its default reading's name."""
        return self.assumptions[name].default_setting()


class _Checker:
    def __init__(self, files: list[S.RuleFile]):
        self.out = Checked(files)
        self.diags = self.out.diagnostics

    def error(self, code: str, message: str, span, *, suggestion=None, notes=(), severity="error", related=()):
        self.diags.append(Diagnostic(code, message, span, severity, tuple(notes), suggestion,
                                     tuple(r for r in related if r is not None)))

    # ---- symbol tables --------------------------------------------------------
    def collect(self) -> None:
        seen: dict[str, S.Span] = {}
        enums, fields, order = [], [], {}
        for rule_file in self.out.files:
            for decl in rule_file.declarations:
                if isinstance(decl, (S.EnumDecl, S.FieldDecl)):
                    order[id(decl)] = len(order)
                    (enums if isinstance(decl, S.EnumDecl) else fields).append(decl)
                    continue
                table, name = self._table_for(decl)
                if name in table or (isinstance(decl, S.Rule) and name in seen):
                    first = seen.get(name) or _id_span(table[name])
                    self.error("C109", f"{_kind_name(decl)} `{name}` is declared twice", _id_span(decl),
                               notes=(f"first declared at {first}",), related=(first,))
                    continue
                table[name] = decl
                seen[name] = _id_span(decl)
                if isinstance(decl, S.PolicyDecl):
                    for rule in decl.rules:
                        if rule.id in self.out.rules:
                            first = self.out.rules[rule.id].id_span
                            self.error("C109", f"rule `{rule.id}` is declared twice", rule.id_span,
                                       notes=(f"first declared at {first}",), related=(first,))
                            continue
                        self.out.rules[rule.id] = rule
        self.out.vocabulary, found = build_vocabulary(enums, fields, order)
        self.diags.extend(found)
        self.by_predicate = self.out.vocabulary.by_predicate

    def _table_for(self, decl):
        o = self.out
        if isinstance(decl, S.SourceDecl):
            return o.sources, decl.name
        if isinstance(decl, S.AssumptionDecl):
            return o.assumptions, decl.name
        if isinstance(decl, S.SetDecl):
            return o.sets, decl.name
        if isinstance(decl, S.ValueDecl):
            return o.values, decl.name
        if isinstance(decl, S.PolicyDecl):
            return o.policies, decl.name
        if isinstance(decl, S.Invariant):
            return o.invariants, decl.name
        return o.rules, decl.id

    # ---- declarations ---------------------------------------------------------
    def check_declarations(self) -> None:
        for decl in self.out.sources.values():
            self._properties(decl, SOURCE_KEYS, "source")
        for decl in self.out.assumptions.values():
            self._properties(decl, {**ASSUMPTION_KEYS, "position": not decl.has_readings}, "assumption")
            default = decl.get("default")
            if decl.has_readings:
                self._readings(decl)
            elif default is not None and default not in ("on", "off"):
                prop = next(p for p in decl.properties if p.key == "default")
                self.error("C113", f"`default` is `on` or `off`, not `{default}`", prop.span)
            for prop in decl.properties:
                self._citations(prop.cites)
        for name, decl in list(self.out.sets.items()):
            if any(p.change for p in decl.periods):
                self.out.sets[name] = self._changes(decl)
        for decl in self.out.sets.values():
            for members, span in [(decl.members, decl.span)] + [(p.value, p.span) for p in decl.periods]:
                if len(set(members)) != len(members):
                    self.error("C109", f"set `{decl.name}` lists a member twice", span)
            self._periods(decl, "set")
        for decl in self.out.values.values():
            self._periods(decl, "value")
            self._value(decl)
        clauses = 0
        for decl in [d for d in self.out.sets.values() if d.dated] + list(self.out.values.values()):
            clauses += sum(len(p.value) if isinstance(decl, S.SetDecl) else 1 for p in decl.periods)
            if clauses > MAX_DATED_CLAUSES:      # each is a clause the engine holds: bounded like a rule body
                self.error("W006", f"more than {MAX_DATED_CLAUSES:,} dated members and values in this rulebase "
                                   f"(reached at `{decl.name}`)", decl.span,
                           notes=("each member of each period is a clause of its own; an undated set has no such "
                                  "bound beyond the file size",))
                break
        for policy in self.out.policies.values():
            self._citations(policy.cites)
            for obligation in policy.obligations:
                self.error("C138", f"`requires` on policy `{policy.name}`: put the obligation on the permit rules "
                                   "that carry it", obligation.span)
            self._assumes(policy.assumes, policy.span)
            period = policy.period
            if period and period.start and period.end and period.start > period.end:
                self.error("C114", f"policy `{policy.name}` ends ({period.end}) before it starts ({period.start})",
                           period.span)
            if policy.family and policy.family in self.out.policies and policy.family != policy.name:
                self.error("C117", f"`version of {policy.family}` names a policy; name the lineage they share instead",
                           policy.span, severity="warning")

    def _readings(self, decl: S.AssumptionDecl) -> None:
        """An assumption with named readings (C142): two or more, every reading named, each name once, a
        `default` that names one of them, and no `off` (no reading is "off")."""
        labels = [p.label for p in decl.readings]
        if len(labels) > MAX_READINGS:
            self.error("W006", f"assumption `{decl.name}` has {len(labels)} readings; at most {MAX_READINGS}",
                       decl.readings[MAX_READINGS].span)
        for prop in decl.properties:
            if prop.key == "reading" and prop.label is None:
                self.error("C142", f"assumption `{decl.name}` names its readings; name this one too "
                                   "(`reading NAME \"text\"`)", prop.span)
            elif prop.key == "off":
                self.error("C142", f"assumption `{decl.name}` is read one of several ways, never `off`: "
                                   "make the off reading one of them", prop.span)
        if len(labels) < 2:
            self.error("C142", f"assumption `{decl.name}` names one reading; an assumption with one reading "
                               "is on or off (drop the name)", decl.readings[0].span)
        for index, prop in enumerate(decl.readings):
            if prop.label in labels[:index]:
                self.error("C142", f"assumption `{decl.name}` names reading `{prop.label}` twice", prop.span)
        default = next((p for p in decl.properties if p.key == "default"), None)
        if default is None:
            self.error("C142", f"assumption `{decl.name}` has readings but no `default` naming one of them",
                       decl.span, notes=(f"for example: default {labels[0]}",))
        elif default.value not in labels:
            self.error("C142", f"`default` of assumption `{decl.name}` names no reading: `{default.value}`",
                       default.span, suggestion=did_you_mean(str(default.value), labels),
                       notes=(f"its readings: {', '.join(labels)}",))

    def _periods(self, decl, what: str) -> None:
        """A dated set's or value's periods: each ends after it starts, none overlaps the next (C139), and
        none leaves days between itself and the next (C140)."""
        for period in decl.periods:
            self._citations(period.cites)
            if period.start and period.end and period.end < period.start:
                self.error("C139", f"{what} `{decl.name}`: a value ends ({period.end}) before it starts "
                                   f"({period.start})", period.span)
        ordered = S.in_effect(decl.periods)
        for (before, _, end), (after, start, _) in zip(ordered, ordered[1:]):
            if before.start == after.start or (before.end and before.end >= after.start):
                self.error("C139", f"{what} `{decl.name}` has two values on {after.start}: the one "
                                   f"{S.effect_text(before.start, before.end)} and the one from {after.start}",
                           after.span, notes=("one value holds on any day; end the earlier one the day before "
                                              "the later one starts",))
            elif end and (after.start - end).days > 1:
                self.error("C140", f"{what} `{decl.name}` has no value from {end + _dt.timedelta(days=1)} "
                                   f"until {after.start - _dt.timedelta(days=1)}", after.span,
                           notes=("give those days a value of their own" +
                                  (" (`{}` for none)" if what == "set" else "") +
                                  ", or drop the `until` that leaves them out",))

    def _changes(self, decl: S.SetDecl) -> S.SetDecl:
        """A dated set whose periods add and remove members (`from D add {x} remove {y}`), each period's full
        membership worked out from the one before it (C144): the first period lists its members; a change
        removes only members and adds only names that are not."""
        resolved, before = {}, None
        for period, _, _ in S.in_effect(decl.periods):
            if not period.change:
                before = resolved[id(period)] = period.value
                continue
            spans = dict(zip(period.added + period.removed, period.member_spans))
            if before is None:
                self.error("C144", f"set `{decl.name}`: the period from {period.start} is written as changes, but no "
                                   "period before it lists the members to change", period.span,
                           notes=("the first period says its members in full: `from D = {a, b}`",))
                before = ()
            members = list(before)
            for member in period.removed:
                if member in members:
                    members.remove(member)
                else:
                    self.error("C144", f"set `{decl.name}` from {period.start} removes `{member}`, which is not "
                                       f"a member then ({S.period_value_text(decl, replace(period, value=before))})",
                               spans.get(member, period.span), suggestion=did_you_mean(member, before))
            for member in period.added:
                if member in before and member not in period.removed:
                    self.error("C144", f"set `{decl.name}` from {period.start} adds `{member}`, which is a member "
                                       "already", spans.get(member, period.span))
                elif member not in members:
                    members.append(member)
            before = resolved[id(period)] = tuple(members)
        return replace(decl, periods=tuple(replace(p, value=resolved[id(p)]) if p.change else p
                                           for p in decl.periods))

    def _value(self, decl: S.ValueDecl) -> None:
        """A named value is a constant of one kind, and its name is no enumeration value or set (C141)."""
        kinds = set()
        for period in decl.periods:
            if isinstance(period.value, S.Variable):
                self.error("C141", f"value `{decl.name}` is a constant, not a variable (`{period.value.name}`)",
                           period.value.span)
            else:
                kinds.add(kind_of(period.value.value))
        if len(kinds) > 1:
            self.error("C141", f"value `{decl.name}` mixes kinds ({', '.join(sorted(kinds))}); each of its "
                               "values is of one kind", decl.span)
        clash = "a set" if decl.name in self.out.sets else \
            "an enumeration value" if any(decl.name in e.values for e in self.out.vocabulary.enums) else None
        if clash:
            self.error("C141", f"value `{decl.name}` has the name of {clash}: in a comparison the name would "
                               "mean either", decl.span)

    def value_kind(self, name: str) -> str | None:
        decl = self.out.values.get(name)
        found = [p.value for p in decl.periods if isinstance(p.value, S.Constant)] if decl else []
        return kind_of(found[0].value) if found else None

    def resolve(self) -> None:
        """Read the names of dated sets and values in rule bodies (see `S.ValueOf`): a membership of a
        dated set is marked, and a comparison naming a value first binds the value on the request's date."""
        def body_of(body):
            out = []
            for cond in body:
                if isinstance(cond, S.Member) and cond.set_name in self.out.sets \
                        and self.out.sets[cond.set_name].dated:
                    cond = replace(cond, dated=True)
                elif isinstance(cond, S.Comparison):
                    terms = []
                    for term in (cond.left, cond.right):
                        if isinstance(term, S.Constant) and isinstance(term.value, str) \
                                and term.value in named:
                            var = S.Variable(f"{S.VALUE_VAR}{term.value}", term.span)
                            if not any(isinstance(c, S.ValueOf) and c.name == term.value for c in out):
                                out.append(S.ValueOf(term.value, var, term.span))
                            term = var
                        terms.append(term)
                    cond = replace(cond, left=terms[0], right=terms[1])
                out.append(cond)
            return tuple(out)

        if not self.out.values and not any(d.dated for d in self.out.sets.values()):
            return
        enum_values = {v for e in self.out.vocabulary.enums for v in e.values}
        named = {n for n in self.out.values if n not in enum_values and n not in self.out.sets}   # else C141
        for rule_id, rule in list(self.out.rules.items()):
            self.out.rules[rule_id] = replace(rule, body=body_of(rule.body),
                                              obligations=tuple(replace(o, when=body_of(o.when)) if o.when else o
                                                                for o in rule.obligations))
        for name, invariant in list(self.out.invariants.items()):
            self.out.invariants[name] = replace(invariant, body=body_of(invariant.body))

    def _properties(self, decl, keys: dict[str, bool], what: str) -> None:
        present = {p.key for p in decl.properties}
        for prop in decl.properties:
            if prop.key not in keys:
                self.error("C113", f"unknown property `{prop.key}` in {what} `{decl.name}`", prop.span,
                           suggestion=did_you_mean(prop.key, keys), notes=(f"known: {', '.join(keys)}",))
        for key, required in keys.items():
            if required and key not in present:
                self.error("C113", f"{what} `{decl.name}` has no `{key}`", decl.span)

    def _citations(self, cites) -> None:
        for cite in cites:
            if cite.source not in self.out.sources:
                self.error("C105", f"unknown source `{cite.source}`", cite.span,
                           suggestion=did_you_mean(cite.source, self.out.sources))

    def _assumes(self, names, span) -> None:
        for name in names:
            if name not in self.out.assumptions:
                self.error("C106", f"unknown assumption `{name}`", span,
                           suggestion=did_you_mean(name, self.out.assumptions))

    # ---- predicates and types -------------------------------------------------
    def signature(self, predicate: str):
        if predicate in self.by_predicate:
            return self.by_predicate[predicate].arg_kinds()
        return self.out.derived.get(predicate)

    def infer_derived(self) -> None:
        """Arity from each define head; argument kinds to a fixpoint over bodies."""
        for rule in self.out.rules.values():
            if rule.kind != "define":
                continue
            name = rule.head.predicate
            if name in self.by_predicate or name in RESERVED:
                self.error("C119", f"`{name}` is a fact of the request and cannot be defined by a rule",
                           rule.head.span)
                continue
            known = self.out.derived.get(name)
            if known is not None and len(known) != len(rule.head.args):
                self.error("C102", f"`{name}` is defined with {len(rule.head.args)} argument(s) here "
                                   f"but {len(known)} elsewhere", rule.head.span)
                continue
            self.out.derived.setdefault(name, (None,) * len(rule.head.args))
        for _ in range(len(self.out.derived) + 1):
            changed = False
            for rule in self.out.rules.values():
                if rule.kind != "define" or rule.head.predicate not in self.out.derived:
                    continue
                kinds = self.variable_kinds(rule)
                current = list(self.out.derived[rule.head.predicate])
                for index, arg in enumerate(rule.head.args):
                    kind = kinds.get(arg.name) if isinstance(arg, S.Variable) else kind_of(arg.value)
                    if current[index] is None and kind is not None:
                        current[index] = kind
                        changed = True
                self.out.derived[rule.head.predicate] = tuple(current)
            if not changed:
                break

    def variable_kinds(self, rule: S.Rule) -> dict[str, str]:
        kinds: dict[str, str] = {}
        if rule.item_var:
            kinds[rule.item_var] = SYMBOL
        for cond in rule.body:
            if isinstance(cond, S.Positive):
                sig = self.signature(cond.atom.predicate)
                if sig and len(sig) == len(cond.atom.args):
                    for arg, kind in zip(cond.atom.args, sig):
                        if isinstance(arg, S.Variable) and kind:
                            kinds.setdefault(arg.name, kind)
            elif isinstance(cond, S.Member) and not cond.negated and isinstance(cond.term, S.Variable):
                kinds.setdefault(cond.term.name, SYMBOL)
            elif isinstance(cond, S.ValueOf) and self.value_kind(cond.name):
                kinds.setdefault(cond.var.name, self.value_kind(cond.name))
        return kinds

    def check_rule(self, rule: S.Rule) -> None:
        if not rule.cites and rule.kind not in ("invariant", "obligation"):
            self.error("C110", f"rule `{rule.id}` cites no source", rule.id_span,
                       notes=("every rule names the source it rests on: `cites SOURCE \"locator\"`",))
        self._citations(rule.cites)
        self._assumes(rule.assumes, rule.id_span)
        for obligation in rule.obligations:
            self._citations(obligation.cites)
            if rule.kind != "permit":
                self.error("C138", f"`requires` on a {rule.kind} rule: an obligation is what a permitted item "
                                   "carries, so only a permit rule can say it", obligation.span)
            elif obligation.when:       # its conditions are checked as a body about the permission's item
                self.check_rule(S.Rule("obligation", rule.id, rule.statement, obligation.when, (), (),
                                       rule.item_var, span=obligation.span, id_span=rule.id_span))
        kinds = self.variable_kinds(rule)
        bound = set(kinds) | ({rule.item_var} if rule.item_var else set())
        for cond in rule.body:
            if isinstance(cond, S.ValueOf):
                bound.add(cond.var.name)
            elif isinstance(cond, (S.Positive, S.Negative)):
                self._atom(cond.atom)
                if isinstance(cond, S.Positive):
                    bound |= {a.name for a in cond.atom.args if isinstance(a, S.Variable)}
            elif isinstance(cond, S.Member):
                if cond.set_name not in self.out.sets:
                    self.error("C104", f"unknown set `{cond.set_name}`", cond.span,
                               suggestion=did_you_mean(cond.set_name, self.out.sets))
                if isinstance(cond.term, S.Constant) and not isinstance(cond.term.value, str):
                    self.error("C103", f"sets hold names; {_show(cond.term)} is a {kind_of(cond.term.value)}",
                               cond.term.span)
                elif isinstance(cond.term, S.Variable) and kinds.get(cond.term.name, SYMBOL) != SYMBOL:
                    self.error("C103", f"sets hold names; `{cond.term.name}` is a {kinds[cond.term.name]}",
                               cond.term.span)
            elif isinstance(cond, S.Assuming):
                if cond.name not in self.out.assumptions:
                    self.error("C106", f"unknown assumption `{cond.name}`", cond.span,
                               suggestion=did_you_mean(cond.name, self.out.assumptions))
                else:
                    self._assuming(cond)
            elif isinstance(cond, S.InForce):
                self._in_force(rule, cond)
            elif isinstance(cond, S.Comparison):
                self._comparison(cond, kinds)
        # safety: every variable must be bound by a positive condition
        for cond in rule.body:
            if isinstance(cond, (S.Positive, S.ValueOf)) or (isinstance(cond, S.Member) and not cond.negated):
                continue
            for var in _variables(cond):
                if var.name not in bound:
                    self.error("C107", f"variable `{var.name}` is not bound by any positive condition",
                               var.span, notes=("a variable must first appear in a fact or definition "
                                                "that is not negated, or in `X in SET`",))
        if rule.head is not None:
            for var in (a for a in rule.head.args if isinstance(a, S.Variable)):
                if var.name not in bound:
                    self.error("C107", f"variable `{var.name}` in the head is not bound by the body", var.span)
        self._contradictions(rule, kinds)

    def _assuming(self, cond: S.Assuming) -> None:
        """`assuming NAME` for an on/off assumption, `assuming NAME = READING` for one with readings (C142)."""
        labels = [p.label for p in self.out.assumptions[cond.name].readings]
        if labels and cond.reading is None:
            self.error("C142", f"assumption `{cond.name}` is read one of several ways: say which "
                               f"(`assuming {cond.name} = {labels[0]}`)", cond.span,
                       notes=(f"its readings: {', '.join(labels)}",))
        elif not labels and cond.reading is not None:
            self.error("C142", f"assumption `{cond.name}` is on or off and names no readings: "
                               f"`assuming {cond.name}`", cond.span)
        elif cond.reading is not None and cond.reading not in labels:
            self.error("C142", f"assumption `{cond.name}` has no reading `{cond.reading}`", cond.span,
                       suggestion=did_you_mean(cond.reading, labels), notes=(f"its readings: {', '.join(labels)}",))

    def _in_force(self, rule: S.Rule, cond: S.InForce) -> None:
        """`in force(NAME)` names a policy or a lineage; C135 otherwise, C136 when it cannot differ from the
        rule's own policy (its own name, or its own lineage: always true wherever the rule applies)."""
        if cond.name not in self.out.policies and not self.out.versions(cond.name):
            lineages = {p.family for p in self.out.policies.values() if p.family}
            self.error("C135", f"`in force({cond.name})` names no policy or lineage", cond.span,
                       suggestion=did_you_mean(cond.name, list(self.out.policies) + sorted(lineages)),
                       notes=("name a policy, or the lineage its versions share (`version of NAME`)",))
            return
        own = self.out.policies.get(rule.policy) if rule.policy else None
        if own is not None and not own.draft and cond.name in (own.name, own.family):
            state = "false" if cond.negated else "true"
            self.error("C136", f"`{'not ' if cond.negated else ''}in force({cond.name})` is always {state} in "
                               f"rule `{rule.id}`: the rule applies only while its own policy `{own.name}` is in "
                               "force", cond.span, severity="error" if cond.negated else "warning",
                       notes=("drop the condition" if not cond.negated else "the rule can never fire",))

    def _atom(self, atom: S.Atom) -> None:
        name = atom.predicate
        sig = (SYMBOL,) if name == "requested" else self.signature(name)
        if sig is None:
            candidates = list(self.by_predicate) + list(self.out.derived)
            self.error("C101", f"unknown fact or definition `{name}`", atom.span,
                       suggestion=did_you_mean(name, candidates))
            return
        if len(sig) != len(atom.args):
            self.error("C102", f"`{name}` takes {len(sig)} argument(s), given {len(atom.args)}", atom.span)
            return
        field = self.by_predicate.get(name)
        for index, (arg, kind) in enumerate(zip(atom.args, sig)):
            if not isinstance(arg, S.Constant) or kind is None:
                continue
            allowed = () if field is None else field.column_values[index] if field.kind == "records" \
                else field.values
            if kind_of(arg.value) != kind:
                self.error("C103", f"argument {index + 1} of `{name}` is a {kind}, not a {kind_of(arg.value)} "
                                   f"({_show(arg)})", arg.span)
            elif kind == SYMBOL and allowed and arg.value not in allowed:
                self.error("C111", f"`{arg.value}` is not a value `{name}` can take", arg.span,
                           suggestion=did_you_mean(arg.value, allowed),
                           notes=(f"allowed: {', '.join(allowed)}",))

    def _comparison(self, cond: S.Comparison, kinds: dict[str, str]) -> None:
        def kind(term):
            return kinds.get(term.name) if isinstance(term, S.Variable) else kind_of(term.value)

        left, right = kind(cond.left), kind(cond.right)
        if left and right and left != right:
            self.error("C103", f"cannot compare {_show(cond.left)} ({left}) with {_show(cond.right)} ({right})",
                       cond.span, notes=("money, months, dates, numbers and names never compare with each other",))
        elif cond.op not in ("=", "!=") and SYMBOL in (left, right):
            self.error("C112", f"`{cond.op}` orders values, but names have no order", cond.span,
                       notes=("use = or != for names, or `in SET`",))

    # ---- contradictions ---------------------------------------------------------
    def _contradictions(self, rule: S.Rule, kinds: dict[str, str]) -> None:
        """Report a rule whose conditions can never all hold together (C115)."""
        positives, negatives = set(), set()
        members, non_members = set(), set()
        on, off = set(), set()
        forced, not_forced = set(), set()
        bounds: dict[str, list] = defaultdict(lambda: [None, None, set(), None])  # low, high, excluded, equal
        reason = None
        for cond in rule.body:
            if isinstance(cond, S.Positive):
                positives.add(cond.atom)
            elif isinstance(cond, S.Negative):
                negatives.add(cond.atom)
            elif isinstance(cond, S.Member):
                (non_members if cond.negated else members).add((cond.term, cond.set_name))
            elif isinstance(cond, S.Assuming):
                (off if cond.negated else on).add(cond.switch)
            elif isinstance(cond, S.InForce):
                (not_forced if cond.negated else forced).add(cond.name)
            elif isinstance(cond, S.Comparison):
                var, op, const = _normalise(cond)
                if var is None:
                    continue
                key = order_key(const.value)
                b = bounds[var]
                if op == "=":
                    if b[3] is not None and b[3] != key:
                        reason = f"`{var}` cannot equal two different values"
                    b[3] = key
                elif op == "!=":
                    b[2].add(key)
                elif isinstance(key, int):
                    low, high = {">": (key + 1, None), ">=": (key, None), "<": (None, key - 1),
                                 "<=": (None, key)}[op]
                    if low is not None:
                        b[0] = low if b[0] is None else max(b[0], low)
                    if high is not None:
                        b[1] = high if b[1] is None else min(b[1], high)
        if positives & negatives:
            reason = f"it requires `{next(iter(positives & negatives)).predicate}` both to hold and not to hold"
        elif members & non_members:
            reason = "it requires a value both in and not in the same set"
        elif on & off:
            reason = f"it requires assumption `{next(iter(on & off))}` both on and off"
        elif _two_readings(on):
            reason = "it requires two readings of one assumption at once"
        elif forced & not_forced:
            reason = f"it requires `{sorted(forced & not_forced)[0]}` both in force and not in force"
        for var, (low, high, excluded, equal) in bounds.items():
            if reason:
                break
            if equal is not None and isinstance(equal, int):
                if (low is not None and equal < low) or (high is not None and equal > high) or equal in excluded:
                    reason = f"no value of `{var}` meets all its comparisons"
            elif equal is not None and equal in excluded:
                reason = f"`{var}` must both equal and differ from the same value"
            elif low is not None and high is not None and low > high:
                reason = f"no value of `{var}` meets all its comparisons"
        if reason:
            self.error("C115", f"rule `{rule.id}` can never fire: {reason}", rule.id_span)
            return
        self._outside_period(rule, bounds)

    def _outside_period(self, rule: S.Rule, bounds) -> None:
        """C120: the rule's own dates are possible, but none falls inside its policy's period."""
        policy = self.out.policies.get(rule.policy) if rule.policy else None
        if not (policy and policy.period):
            return
        start = policy.period.start.toordinal() if policy.period.start else None
        end = policy.period.end.toordinal() if policy.period.end else None
        for cond in rule.body:
            if not (isinstance(cond, S.Positive) and cond.atom.predicate == "request_date"
                    and cond.atom.args and isinstance(cond.atom.args[0], S.Variable)):
                continue
            low, high, _, equal = bounds.get(cond.atom.args[0].name, [None, None, set(), None])
            if equal is not None:
                low = high = equal
            if (start is not None and high is not None and high < start) or \
                    (end is not None and low is not None and low > end):
                self.error("C120", f"rule `{rule.id}` can never fire: its dates never fall inside the period "
                                   f"of policy `{policy.name}` ({_period_text(policy.period)})", rule.id_span,
                           notes=("a rule only applies while its policy is in force",))
                return

    # ---- stratification ---------------------------------------------------------
    def stratify(self) -> None:
        graph: dict[str, set[tuple[str, bool, S.Rule]]] = defaultdict(set)
        for rule in self.out.rules.values():
            head = rule.head.predicate if rule.head else f"<{rule.kind}>"
            for cond in rule.body:
                if isinstance(cond, (S.Positive, S.Negative)) and cond.atom.predicate in self.out.derived:
                    graph[head].add((cond.atom.predicate, isinstance(cond, S.Negative), rule))
        for component in strongly_connected({k: {t for t, _, _ in v} for k, v in graph.items()}):
            for head in sorted(component):
                for target, negated, rule in sorted(graph[head], key=lambda e: (e[0], e[2].id)):
                    if negated and target in component:
                        cycle = _cycle(graph, target, head) + [target]
                        self.error("C108", f"negation inside a cycle: {' -> '.join(cycle)}", rule.id_span,
                                   notes=(f"rule `{rule.id}` negates `{target}`, which depends on `{head}`; "
                                          "such rules have no single meaning (not stratifiable)",))
                        return
        warned = set()
        for component in strongly_connected({k: {t for t, _, _ in v} for k, v in graph.items()}):
            for head in sorted(component):
                for target, _, rule in sorted(graph[head], key=lambda e: (e[0], e[2].id)):
                    if target in component and (len(component) > 1 or target == head) and rule.id not in warned:
                        warned.add(rule.id)
                        self.error("C122", f"rule `{rule.id}` is recursive (`{head}` depends on itself)",
                                   rule.id_span, severity="warning",
                                   notes=("pyDatalog can fail to finish on some recursive rules (right recursion "
                                          "over a cycle); keep recursion left-recursive and over acyclic facts",))

    def definition_depth(self) -> None:
        """W006: definitions built on definitions deeper than proofs may follow (recursion aside)."""
        graph: dict[str, set[str]] = defaultdict(set)
        for rule in self.out.rules.values():
            if rule.kind == "define":
                graph[rule.head.predicate] |= {c.atom.predicate for c in rule.body
                                               if isinstance(c, (S.Positive, S.Negative))
                                               and c.atom.predicate in self.out.derived}
        component = {}
        for index, members in enumerate(strongly_connected(graph)):
            for member in members:
                component[member] = index
        depth = {name: 1 for name in graph}
        for _ in range(MAX_DEFINITION_DEPTH + 1):       # longest chain by relaxation: bounded, no recursion
            changed = False
            for head, targets in graph.items():
                for target in targets:
                    if component.get(target) != component.get(head) and depth.get(target, 1) + 1 > depth[head]:
                        depth[head] = depth.get(target, 1) + 1
                        changed = True
            if not changed:
                break
        for head in sorted(graph):
            if depth[head] > MAX_DEFINITION_DEPTH:
                rule = self.out.defines(head)[0]
                self.error("W006", f"`{head}` is built on a chain of more than {MAX_DEFINITION_DEPTH} definitions",
                           rule.head.span, notes=("flatten the chain: proofs and explanations follow every link",))
                return

    # ---- usage ------------------------------------------------------------------
    def unused(self) -> None:
        used_preds, used_sets, used_sources, used_assumptions = set(), set(), set(), set()
        used_values = set()
        for rule in list(self.out.rules.values()) + [i.as_rule() for i in self.out.invariants.values()]:
            used_sources |= {c.source for c in rule.cites} | {c.source for o in rule.obligations for c in o.cites}
            used_assumptions |= set(rule.assumes)
            for cond in rule.body + tuple(c for o in rule.obligations for c in o.when):
                if isinstance(cond, (S.Positive, S.Negative)):
                    used_preds.add(cond.atom.predicate)
                elif isinstance(cond, S.Member):
                    used_sets.add(cond.set_name)
                elif isinstance(cond, S.ValueOf):
                    used_values.add(cond.name)
                elif isinstance(cond, S.Assuming):
                    used_assumptions.add(cond.name)
        for policy in self.out.policies.values():
            used_sources |= {c.source for c in policy.cites}
            used_assumptions |= set(policy.assumes)
        for decl in self.out.assumptions.values():
            for prop in decl.properties:
                used_sources |= {c.source for c in prop.cites}
        for name, rules in _group(r for r in self.out.rules.values() if r.kind == "define"):
            if name not in used_preds:
                self.error("C116", f"`{name}` is defined but never used", rules[0].head.span, severity="warning")
        for name, decl in self.out.sets.items():
            if name not in used_sets:
                self.error("C116", f"set `{name}` is never used", decl.span, severity="warning")
        for name, decl in self.out.values.items():
            if name not in used_values:
                self.error("C116", f"value `{name}` is never used", decl.span, severity="warning")
        for decl in list(self.out.sets.values()) + list(self.out.values.values()):
            used_sources |= {c.source for p in decl.periods for c in p.cites}
        for name, decl in self.out.sources.items():
            if name not in used_sources:
                self.error("C116", f"source `{name}` is never cited", decl.span, severity="warning")
        for name, decl in self.out.assumptions.items():
            if name not in used_assumptions:
                self.error("C116", f"assumption `{name}` is never used", decl.span, severity="warning")
        vocabulary = self.out.vocabulary
        for spec in vocabulary.fields:
            if spec.path not in (DATE_FIELD, ITEMS_FIELD) and spec.predicate not in used_preds:
                self.error("C128", f"field `{spec.path}` is declared but no rule uses `{spec.predicate}`", spec.span,
                           severity="warning", notes=("a request may still state it; it cannot change a decision",))
        used_enums = {f.enum for f in vocabulary.fields}
        for enum in vocabulary.enums:
            if enum.name not in used_enums and not any(enum.values == v for f in vocabulary.fields
                                                       for v in f.column_values):
                self.error("C128", f"enumeration `{enum.name}` is declared but no field uses it", enum.span,
                           severity="warning")

    # ---- temporal coverage ----------------------------------------------------------
    def coverage(self) -> None:
        """Versions of one policy must not overlap (C117). They may leave days between them: on those days
        the provision is simply not in force (`in force(LINEAGE)` is false; traces say so)."""
        lineages: dict[str, list[S.PolicyDecl]] = defaultdict(list)
        for policy in self.out.policies.values():
            if policy.family and not policy.draft:
                lineages[policy.family].append(policy)
        for family, versions in sorted(lineages.items()):
            versions.sort(key=lambda p: (p.period.start if p.period and p.period.start else _MIN))
            for before, after in zip(versions, versions[1:]):
                end = before.period.end if before.period else None
                start = after.period.start if after.period else None
                if end is None or (start is not None and start <= end):
                    self.error("C117", f"versions `{before.name}` and `{after.name}` of `{family}` are both "
                                       f"in force on {start or 'some dates'}", after.period.span if after.period
                               else after.span, related=(before.period.span if before.period else before.span,))

    # ---- invariants ---------------------------------------------------------------------
    def invariant_by(self, invariant: S.Invariant) -> None:
        """`never permit Item by NAME`: NAME is a permission, a policy or a lineage with permissions (C143)."""
        name = invariant.by
        if name is None:
            return
        rule = self.out.rules.get(name)
        if rule is not None:
            if rule.kind != "permit":
                self.error("C143", f"`by {name}` names a {rule.kind} rule: an item is permitted by a permission, "
                                   "a policy or a lineage", invariant.by_span)
            return
        if name in self.out.policies or self.out.versions(name):
            if not permissions_by(self.out, name):
                self.error("C143", f"`by {name}`: policy or lineage `{name}` has no permission, so the invariant "
                                   "holds of nothing", invariant.by_span, severity="warning")
            return
        known = [r.id for r in self.out.rules.values() if r.kind == "permit"] + list(self.out.policies) + \
            sorted({p.family for p in self.out.policies.values() if p.family})
        self.error("C143", f"`by {name}`: no permission, policy or lineage is called `{name}`", invariant.by_span,
                   suggestion=did_you_mean(name, known))

    def run(self) -> Checked:
        self.collect()
        self.check_declarations()
        self.resolve()
        self.infer_derived()
        for rule in self.out.rules.values():
            self.check_rule(rule)
        for invariant in self.out.invariants.values():
            self.check_rule(invariant.as_rule())
            self.invariant_by(invariant)
        self.stratify()
        self.definition_depth()
        self.unused()
        self.coverage()
        self.diags.sort(key=lambda d: (d.span.file, d.span.line, d.span.column, d.code) if d.span
                        else ("", 0, 0, d.code))
        return self.out


_MIN = _dt.date.min


def permissions_by(checked: Checked, name: str) -> list[str]:
    """The permissions `never permit Item by NAME` means: NAME itself, or every permission of policy NAME, or of
    every version of lineage NAME (drafts included: a draft switched on permits too)."""
    if name in checked.rules:
        return [name]
    policies = {name} | {p.name for p in checked.versions(name)}
    return sorted(r.id for r in checked.rules.values() if r.kind == "permit" and r.policy in policies)


def check(files: list[S.RuleFile]) -> Checked:
    """Check rule files together. Diagnostics are sorted by file and position."""
    return _Checker(files).run()


# ---- helpers --------------------------------------------------------------------


def _kind_name(decl) -> str:
    return {S.SourceDecl: "source", S.AssumptionDecl: "assumption", S.SetDecl: "set", S.ValueDecl: "value",
            S.PolicyDecl: "policy", S.Invariant: "invariant"}.get(type(decl), "rule")


def _id_span(decl):
    return getattr(decl, "id_span", None) or decl.span


def _period_text(period: S.Period) -> str:
    start = f"from {period.start}" if period.start else ""
    end = f"until {period.end}" if period.end else ""
    return " ".join(p for p in (start, end) if p) or "always"


def _two_readings(switches) -> bool:
    """Whether switches required on name two readings of one assumption."""
    named = [name for name, reading in map(S.split_switch, switches) if reading]
    return len(set(named)) < len(named)


def _show(term) -> str:
    from warrant.pipeline.values import show
    if isinstance(term, S.Variable):
        return term.name[len(S.VALUE_VAR):] if term.name.startswith(S.VALUE_VAR) else term.name     # a named value (`resolve`)
    return show(term.value)


def _variables(cond):
    if isinstance(cond, (S.Positive, S.Negative)):
        return [a for a in cond.atom.args if isinstance(a, S.Variable)]
    if isinstance(cond, S.Comparison):
        return [t for t in (cond.left, cond.right) if isinstance(t, S.Variable)]
    if isinstance(cond, S.Member):
        return [cond.term] if isinstance(cond.term, S.Variable) else []
    return []


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}


def _normalise(cond: S.Comparison):
    if isinstance(cond.left, S.Variable) and isinstance(cond.right, S.Constant):
        return cond.left.name, cond.op, cond.right
    if isinstance(cond.right, S.Variable) and isinstance(cond.left, S.Constant):
        return cond.right.name, _FLIP[cond.op], cond.left
    return None, None, None




def _group(rules):
    groups: dict[str, list] = defaultdict(list)
    for rule in rules:
        groups[rule.head.predicate].append(rule)
    return sorted(groups.items())


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components (Tarjan), deterministic order.

    Iterative, with an explicit stack: the depth of a definition chain is the
    author's to choose, and must not be Python's recursion limit."""
    index, low, stack, on_stack, result = {}, {}, [], set(), []
    counter = 0
    for root in sorted(set(graph) | {t for ts in graph.values() for t in ts}):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            advanced = False
            for nxt in successors:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    item = stack.pop()
                    on_stack.discard(item)
                    component.add(item)
                    if item == node:
                        break
                result.append(component)
    return result


def _cycle(graph, start: str, goal: str) -> list[str]:
    """A path start -> ... -> goal through the dependency graph (breadth first)."""
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        if node == goal:
            return paths[node]
        for target, _, _ in sorted(graph.get(node, ()), key=lambda e: e[0]):
            if target not in paths:
                paths[target] = paths[node] + [target]
                queue.append(target)
    return [start, goal]

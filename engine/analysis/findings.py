"""Findings only an exact analysis can give, as `warrant check` warnings.

Each is one solver question over every request, every setting and every
draft (engine/analysis/encode.py), asked of the compiled program:

- C129 a permission no request can trigger (dead);
- C130 a permission that a prohibition overrides for every request where it
  applies (shadowed);
- C131 a condition the rule's other conditions already imply, for every
  request and setting: removing it would change nothing the rule concludes.
  (A condition that other rules make irrelevant, like a permission's
  condition on who asks beside a prohibition for everyone else who asks,
  is defence in depth and not reported by default.)
- C133 (asked for with `warrant check --outcome-redundancy`) a condition
  whose removal changes no decision of any request, because other rules
  already decide every case it covers: the defence in depth C131 leaves out;
- C132 a policy version that no request can find in force (unreachable).

A program the analysis cannot encode (recursive rules) gets none of these:
the check says so instead of guessing.
"""
from __future__ import annotations

import os
import time

import z3

from warrant.analysis import budget
from warrant.analysis.encode import NotExact, Side, Space, _conj, _connect, _disj, _equal, _negate, concluding_about
from warrant.analysis.solve import Models
from warrant.pipeline.datalog import FORBID, IN_FORCE, is_safe
from warrant.pipeline.errors import Diagnostic

MAX_QUESTIONS = 2000        # solver questions one check asks, at most (then the rest are skipped, and said)
CAPPED = "redundant conditions not looked for past"
FORK_AFTER = 0.2            # seconds this process examines rules alone before sharing the rest (`run(jobs=)`)
FORK_WORTH = 0.3            # seconds the rules left should take this process, at least, to repay forking
_WORKER: dict = {}          # in a forked worker: the `_Findings` it inherited


def _examine_in_worker(rule_id: str) -> tuple[list, bool]:
    return _WORKER["findings"].examined(rule_id)


def exact_findings(rulebase, outcome_redundancy: bool = False, jobs: int = 1) -> list[Diagnostic]:
    """The dead, shadowed, redundant and unreachable findings of one rulebase, in rule order.

    `jobs` > 1 lets a long examination fork that many worker processes
    (`_Findings.run`): only from a process that has no other threads, as the
    CLI is; the API and the language server keep to one."""
    found: list[Diagnostic] = []
    try:
        space = Space([rulebase])
        side = Side(space, rulebase)
        items = space.item_codes()
        for diagnostic in _Findings(rulebase, space, side, items, outcome_redundancy).run(jobs):
            found.append(diagnostic)
    except budget.Stopped as stop:           # before the rules (the policies' reachability): say so
        found.append(Diagnostic("C134", f"exact findings stopped: {stop.reason}", None, "warning",
                                ("the rules were not examined", stop.hint)))
    except NotExact as exc:
        return [Diagnostic("C129", f"exact findings skipped: {exc}", None, "warning",
                           ("dead, shadowed and redundant rules are only found for non-recursive rules",))]
    return sorted(found, key=lambda d: (d.span.file, d.span.line, d.span.column) if d.span else ("", 0, 0))


class _Findings:
    def __init__(self, rulebase, space, side, items, outcome_redundancy: bool = False):
        self.rb, self.space, self.side, self.items = rulebase, space, side, items
        self.outcome_redundancy = outcome_redundancy
        self.asked = 0
        self.cap = MAX_QUESTIONS     # this process's share of the questions (see `_shared`)
        self.baseline = None
        self.parts = None           # item -> rule -> (kind, its part of the item's outcome), made when first asked
        self.models = None          # the models found so far (`solve.Models`)
        self._left: dict = {}       # (item, rule) -> where the other rules leave the outcome to it

    def ask(self, *formulas) -> bool:
        self.asked += 1
        if self.models is None:
            self.models = Models(self.space)
        return self.models.satisfiable(*formulas)

    def run(self, jobs: int = 1):
        """The findings in rule order. With `jobs` > 1, the rules left once this process has examined rules
        alone for FORK_AFTER seconds are shared out among forked workers (see `_shared`), if they would take
        it FORK_WORTH seconds more at its rate so far."""
        checked = self.rb.checked
        for name in sorted(checked.policies):
            policy = checked.policies[name]
            reachable = self.side.member(IN_FORCE, (self.space.names.encode(name),))
            if reachable is False or (reachable is not True and not self.ask(reachable)):
                yield Diagnostic("C132", f"policy `{name}` is never in force for any request", policy.span,
                                 "warning", ("no date, assumption or draft setting reaches its period",))
        rule_ids = [r for r in sorted(self.rb.program.rules) if r in checked.rules]
        started = time.perf_counter()
        for index, rule_id in enumerate(rule_ids):
            spent = time.perf_counter() - started
            if jobs > 1 and spent > FORK_AFTER and spent / max(index, 1) * (len(rule_ids) - index) > FORK_WORTH:
                yield from self._shared(rule_ids[index:], jobs)
                return
            found, time_bound = self.examined(rule_id)
            yield from found
            if time_bound:
                return

    def examined(self, rule_id: str) -> tuple[list, bool]:
        """(the findings on one rule, whether the analysis's time ran out on it)."""
        source = self.rb.checked.rules[rule_id]
        budget.note(f"exact findings: {rule_id}")
        try:
            return list(self.examine(self.rb.program.rules[rule_id], source)), False
        except budget.Stopped as stop:
            return list(found_so_far(stop, rule_id, source)), stop.time_bound

    def _shared(self, rule_ids: list, jobs: int):
        """The rules' findings from `jobs` forked workers, in rule order, as `run` would yield them.

        Each worker starts from this process's state (the encodings and
        models made so far, and every rule's part of the outcomes when C133 is
        asked) and is handed the next rule when it owes fewest (`pool`), so
        one slow rule does not hold the others up for long. Every answer is exact, so which
        process asks a question does not change a finding; the question cap
        (MAX_QUESTIONS) is shared out evenly among the workers, so a check
        that reaches it may examine other rules than one process would."""
        from warrant.batch.batch import worker_start
        from warrant.batch.pool import WorkerDied, WorkerFailed, ordered_map
        from warrant.pipeline.errors import InternalError
        self.cap = self.asked + max(0, MAX_QUESTIONS - self.asked) // jobs
        if self.outcome_redundancy:
            self._make_parts()        # what every worker's outcome questions read: made once, inherited
        _WORKER["findings"] = self
        parent = os.getpid()
        try:
            for rule_id, (found, time_bound) in ordered_map(_examine_in_worker, rule_ids, jobs,
                                                            start=lambda: worker_start(parent), depth=4):
                for diagnostic in found:
                    if diagnostic.message.startswith(CAPPED):
                        if self.__dict__.get("_said"):
                            continue
                        self._said = True
                    yield diagnostic
                if time_bound:
                    return
        except WorkerDied:
            raise InternalError("a worker process of the exact findings died (killed, or out of memory)") from None
        except WorkerFailed as failed:
            raise InternalError(f"a worker of the exact findings failed: {failed}") from None
        finally:
            _WORKER.clear()

    def examine(self, rule, source):
        """The findings on one rule (C129, C130, then C131/C133 on each condition)."""
        rule_id = rule.id
        if rule.kind == "permit":
            fires = self.side.fires(rule_id)
            if not self.ask(fires):
                yield Diagnostic("C129", f"permission `{rule_id}` can never apply: no request, date or "
                                         "setting satisfies all its conditions", source.id_span or source.span,
                                 "warning")
                return
            ctx = self.space.ctx
            escapes = [z3.And(_bool(g, ctx), z3.Not(_bool(self.side._any(FORBID, args[0]), ctx)))
                       for g, args in self.side.rule_tuples(rule_id)]
            if not self.ask(z3.Or(*escapes)):
                yield Diagnostic("C130", f"permission `{rule_id}` is always overridden: wherever it applies, "
                                         "a prohibition applies too", source.id_span or source.span, "warning")
                return
        if rule.kind in ("permit", "forbid", "define"):
            yield from self.redundant(rule, source)

    def redundant(self, rule, source):
        """Conditions of a rule that its other conditions imply: without them it concludes the same facts."""
        head = tuple(z3.Int(f"head:{rule.id}:{k}", self.space.ctx) for k in range(len(rule.head.args)))
        concludes = _concludes(self.side.rule_tuples(rule.id), head, self.space.ctx)
        for index, literal in enumerate(rule.body):
            position = rule.source_order[index] if index < len(rule.source_order) else -1
            if position < 0 or position >= len(source.body) or not _removable(rule, index):
                continue
            if self.asked >= self.cap:
                if not self.__dict__.get("_said"):
                    self._said = True
                    yield Diagnostic("C131", f"{CAPPED} {MAX_QUESTIONS:,} solver questions: the rest of the rules "
                                             "were not examined", None, "warning")
                return
            variant = self.side.variant(rule.id, rule.body[:index] + rule.body[index + 1:])
            condition = source.body[position]
            if not self.ask(z3.Xor(concludes, _concludes(variant.rule_tuples(rule.id), head, self.space.ctx))):
                yield Diagnostic("C131", f"condition {position + 1} of `{rule.id}` is implied by its other "
                                         "conditions: without it the rule applies to exactly the same requests",
                                 condition.span or source.span, "warning", (_why_redundant(source, condition),))
            elif self.outcome_redundancy:
                if rule.kind in ("permit", "forbid"):       # only this rule's part of each item's outcome moves
                    differs = self._outcome_changes(rule, variant)
                else:                                        # a concept: whatever reads it moves too
                    if self.baseline is None:
                        self.baseline = {i: self.side.permitted(i) for i in self.items}
                    differs = [z3.Xor(self.baseline[i], after) for i in self.items
                               for after in [variant.permitted(i)] if not after.eq(self.baseline[i])]
                if not differs or not self.ask(z3.Or(*differs)):
                    yield Diagnostic("C133", f"condition {position + 1} of `{rule.id}` never changes a decision: "
                                             "other rules already decide every request it would",
                                     condition.span or source.span, "warning",
                                     ("defence in depth, or a condition to drop: say which",))


    def _outcome_changes(self, rule, variant) -> list:
        """For a permission or prohibition with one condition removed: per item whose part changes, "the
        item's outcome differs", built from each rule's part (the others' parts shared with the rules')."""
        self._make_parts()
        ctx = self.space.ctx
        out = []
        for item in self.items:
            parts = self.parts[item]
            kind, before = parts[rule.id]
            after = concluding_about(variant.rule_tuples(rule.id), item)
            if before is after or (not isinstance(before, bool) and not isinstance(after, bool) and before.eq(after)):
                continue
            # The outcome is "requested, some permission applies, no prohibition does": it turns on this rule's
            # part exactly where the part changes and the other rules leave the outcome to it (no other
            # permission applies, for a permission; some permission and no other prohibition, for a prohibition).
            left_to_it = self._left_to(item, rule.id, kind)
            changed = z3.Xor(_bool(before, ctx), _bool(after, ctx))
            out.append(_connect(z3.Z3_mk_and, [_bool(self.space.requested(item), ctx), changed] + left_to_it))
        return out

    def _make_parts(self) -> None:
        """Each permission's and prohibition's part of each item's outcome (`parts`), once: every rule's
        outcome question reads all of them."""
        if self.parts is None:
            program = self.rb.program
            rules = [(r, program.rules[r].kind) for r in sorted(program.rules)
                     if program.rules[r].kind in ("permit", "forbid")]
            self.parts = {i: {r: (kind, concluding_about(self.side.rule_tuples(r), i)) for r, kind in rules}
                          for i in self.items}

    def _left_to(self, item, rule_id: str, kind: str) -> list:
        """Where the other rules leave the item's outcome to this rule's part (see `_outcome_changes`): the
        same for every condition of the rule, so made once per item and rule."""
        key = (item, rule_id)
        found = self._left.get(key)
        if found is None:
            ctx, parts = self.space.ctx, self.parts[item]
            others = {k: _disj([a for r, (kk, a) in parts.items() if kk == k and r != rule_id])
                      for k in ("permit", "forbid")}
            found = self._left[key] = [_negate(_bool(others["forbid"], ctx))] + \
                ([_negate(_bool(others["permit"], ctx))] if kind == "permit" else
                 [_bool(_disj([a for kk, a in parts.values() if kk == "permit"]), ctx)])
        return found


def _why_redundant(source, condition) -> str:
    """C131's note: what to do with the condition; `requested(Item)` is what `for Item` already says."""
    from warrant.pipeline import syntax as S
    atom = condition.atom if isinstance(condition, S.Positive) else None
    if atom is not None and atom.predicate == "requested" and source.item_var and \
            [getattr(a, "name", None) for a in atom.args] == [source.item_var]:
        return (f"`for {source.item_var}` already binds {source.item_var} to each requested item in turn: "
                f"remove `requested({source.item_var})`")
    return "remove it, or say why it stays"


def found_so_far(stop, rule_id: str, source):
    """C134: where the exact findings stopped, and what that leaves unexamined."""
    rest = "this rule and the rules after it (by id) were not examined" if stop.time_bound else \
        "this rule was not examined; the others were"
    yield Diagnostic("C134", f"exact findings stopped at `{rule_id}`: {stop.reason}", source.id_span or source.span,
                     "warning", (rest, stop.hint))


def _concludes(tuples, head, ctx) -> object:
    """The rule derives exactly the head values `head` (fresh variables): a formula."""
    options = [_conj([_bool(guard, ctx)] + [_equal(a, h) for a, h in zip(args, head)]) for guard, args in tuples]
    return _bool(_disj(options), ctx) if options else z3.BoolVal(False, ctx)


def _removable(rule, index: int) -> bool:
    """Whether the body stays safe without this literal (every variable still bound by a positive atom)."""
    return is_safe(rule.body[:index] + rule.body[index + 1:], head=rule.head)


def _bool(value, ctx):
    return z3.BoolVal(value, ctx) if value is True or value is False else value

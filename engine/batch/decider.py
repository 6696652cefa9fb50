"""The batch decider: many requests against one rulebase, reusing work where it is exact to do so.

Outcomes are cached per outcome class (engine/batch/classes.py); a trace is
reused only for the same facts at the same places, or made from a template
of the request's shape (engine/batch/templates.py), which the decider
records through the pipeline's `Answers` seam (engine/pipeline/evaluate.py).
"""
from __future__ import annotations

import contextlib

from warrant.batch import templates
from warrant.pipeline.cache import Bounded
from warrant.batch.classes import Abstraction, items_independent
from warrant.batch.templates import MappedSession, Shapes, Template, TemplateMiss
from warrant.pipeline.datalog import FORBID, PERMIT, fact_predicate
from warrant.pipeline.evaluate import value_key
from warrant.pipeline.decide import conclusions, decide, decide_outcomes, deciding_rules, duties_held, outcomes_from
from warrant.pipeline.errors import WarrantError
from warrant.pipeline.grounding import settings_for
from warrant.pipeline.judgement import open_questions
from warrant.pipeline.outcome import overall
from warrant.pipeline.record import decision_record
from warrant.pipeline.render.json import decision_to_json, duty_to_json


FEW_RULES = 6     # rules whose conclusions a request misses that are asked about one by one, not all at once


class BatchDecider:
    """Decides many requests against one rulebase, reusing work where it is exact to do so."""

    def __init__(self, rulebase, trace: str = "refused", at=None, assume=None, drafts=()):
        if trace not in ("none", "refused", "all"):
            raise WarrantError.at("O006", f"--trace is none, refused or all, not {trace!r}")
        self.rulebase = rulebase
        self.trace = trace
        self.at, self.assume, self.drafts = at, dict(assume or {}), tuple(drafts)
        self.abstraction = Abstraction.of(rulebase.program)
        self.outcomes: dict = Bounded(200_000)
        self.item_outcomes: dict = Bounded(200_000)
        self.per_item = items_independent(rulebase.program)
        # with items decided independently and a relevance, each rule's conclusion is cached on its own
        self.per_rule = self.per_item and self.abstraction.relevance is not None
        self.conclusions_of: dict = Bounded(500_000)   # a rule's key (`Abstraction.rule_keys`) -> it concludes
        self.answered: dict = Bounded(20_000)         # a request's facts -> its outcome (`_answered_outcome`)
        self.last_found: dict = {}                    # id(key) -> (key, it concludes) of the last `_by_rules`
        self.traces: dict = Bounded(2_000)      # whole traces are large; only exact repeats hit
        self.settings: dict = Bounded(10_000)    # (request's assume, drafts) -> settings in effect
        self.shapes = Shapes(rulebase.program, at)
        self.templates: dict = Bounded(2_000)    # (class, reads, shape) -> the engine's answers (batch/templates.py)
        self.read_sets: dict = Bounded(20_000)   # outcome class -> the `reads` its templates were keyed by
        self.template_hits = 0
        self.evaluations = 0
        self.duties: dict = Bounded(200_000)     # outcome class -> the conditional obligations that hold

    def _traced(self, request, key):
        """A decision with its trace: from a template of the request's shape, else fresh (recording one).

        Templates are keyed by the request's outcome class `key` (which fixes
        the engine's answers about permissions and prohibitions) and by the
        shape of only the facts the recorded answers depend on
        (`templates.reads`), so requests that differ elsewhere share one.
        """
        options = dict(at=self.at, assume=self.assume, drafts=self.drafts,
                       concluded=self.conclusions(request) if self.per_rule else None,
                       live_reads=self.live_reads(request))
        for reads in self.read_sets.get(key, ()):
            shape, free = self.shapes.of(request, reads)
            template = self.templates.get((key, reads, shape))
            if template is None:
                continue
            try:
                mapped = MappedSession(template, free)
                decision = decide(self.rulebase, request, answers=lambda atoms: contextlib.nullcontext(mapped),
                                  outcomes_of=self._answered_outcome, duties_of=self._duties, **options)
                self.template_hits += 1
                return decision
            except TemplateMiss:
                break
        opened = []

        @contextlib.contextmanager
        def recording(atoms):
            with self.rulebase.engine.session(atoms) as session:
                opened.append(session)
                yield session

        self.evaluations += 1
        decision = decide(self.rulebase, request, answers=recording, outcomes_of=self._answered_outcome,
                          duties_of=self._duties, **options)
        answers = opened[0].recorded()
        reads = templates.reads(self.rulebase.program, answers, (PERMIT, FORBID))
        known = self.read_sets.get(key, ())
        if reads not in known:
            self.read_sets[key] = (known + (reads,))[-8:]      # a class's few ways of being traced
        shape, free = self.shapes.of(request, reads)
        self.templates[(key, reads, shape)] = Template(free, answers)
        return decision

    def decide_record(self, request) -> dict:
        """One output record: id, outcome, item outcomes, the trace if asked for, and the decision record."""
        found = self._decide_record(request)
        found["record"] = self.record(request)
        return found

    def record(self, request) -> dict:
        """engine/pipeline/record.py for one request, the settings per request's own switches (cached)."""
        settings = self.settings.get((request.assume, request.drafts))
        if settings is None:
            settings = self.settings[(request.assume, request.drafts)] = settings_for(self.rulebase, request,
                                                                                      self.assume, self.drafts)
        return decision_record(self.rulebase, request, self.at or request.date, *settings)

    def _decide_record(self, request) -> dict:
        if self.trace == "none":
            return self._summary(request, self.outcome(request))
        if open_questions(self.rulebase, request):
            # An open judgement reads like a "no" to the engine, so no cache keyed by facts may answer the
            # request's outcome; but the request as given is an evaluation like any other (its proofs from a
            # template of its class and shape), and each answer to the open judgements is a request with them
            # answered (its outcome and obligations from the class caches).
            exact = (request.facts, request.items, request.assume, request.drafts, "open")
            data = self.traces.get(exact)
            if data is None and self.trace == "refused":
                settled = self.outcome(request)
                if settled[0] == "permitted":
                    return self._summary(request, settled)     # no trace wanted: the caches answer
            if data is None:
                data = self.traces[exact] = decision_to_json(
                    self._traced(request, self.abstraction.signature(request, self.at)))
            if self.trace == "refused" and data["outcome"] == "permitted":
                return _summary_of_trace(request.id, data)
            return {**data, "request": request.id}
        key = self.abstraction.signature(request, self.at)
        cached = self.outcomes.get(key)
        if cached is None and self.trace == "refused":
            cached = self._answered_outcome(request)      # cheap from the per-rule caches: trace only a refusal
        wants_trace = self.trace == "all" or (self.trace == "refused" and cached[0] != "permitted")
        if wants_trace:
            # A trace names each fact's origin (`subject.convictions[1]`), so it is reused only for a
            # request with the same facts at the same places: the ordered facts with their origins.
            exact = (request.facts, request.items, request.assume, request.drafts)
            data = self.traces.get(exact)
            if data is None:
                decision = self._traced(request, key)
                data = decision_to_json(decision)
                self.traces[exact] = data
                self.outcomes[key] = (decision.outcome, deciding_rules(decision))
            if self.trace == "refused" and data["outcome"] == "permitted":
                return _summary_of_trace(request.id, data)
            return {**data, "request": request.id}
        return self._summary(request, cached if cached is not None else self.outcome(request))

    def outcome(self, request) -> tuple:
        """(overall, ((item, outcome, deciding rule), ...)) for a request, from the class caches.

        A request with open judgements is settled over their answers
        (engine/pipeline/judgement.py), each answered request from the caches.
        """
        questions = open_questions(self.rulebase, request)
        if questions:
            return decide_outcomes(self.rulebase, request, at=self.at, assume=self.assume, drafts=self.drafts,
                                   outcomes_of=self._answered_outcome, live_reads=self.live_reads(request, questions))
        return self._answered_outcome(request)

    def live_reads(self, request, questions=None):
        """For `judgement.settle`: item -> the predicates read by its permissions and prohibitions that can
        still hold on this request, whatever the answers (the relevance's live ways admitting the item);
        None without open judgements or a relevance, or where an answer could change which ways are live
        (a judgement that is a checked field). A judgement none of them reads cannot change the item's
        outcome or deciding rule. `questions`: the request's open judgements, where the caller has them.
        (Leaving out the rules that need a fact the request lacks as well, as
        `rule_keys` does, spared only answers the caches already held, at more than it saved.)"""
        abstraction = self.abstraction
        if questions is None:
            questions = open_questions(self.rulebase, request)
        unknown = frozenset(fact_predicate(f.predicate) for f in questions)
        if not unknown or abstraction.relevance is None or unknown & abstraction.checked:
            return None
        live, _ = abstraction._live(request, self.at)
        return lambda item: abstraction.relevance.rules_read(live, item)

    def _answered_outcome(self, request) -> tuple:
        """`outcome` of a request with no open judgements (each answer to a request's open judgements is
        one: a traced request's are asked twice, for its outcome and for its branches), remembered by its
        facts."""
        exact = (request.facts, request.items, request.assume, request.drafts)
        found = self.answered.get(exact)
        if found is None:
            found = self.answered[exact] = self._answered(request)
        return found

    def _answered(self, request) -> tuple:
        if self.per_rule:
            keyed = self.abstraction.rule_keys(request, self.at)
            if keyed is not None:
                return outcomes_from(request.items, *self._by_rules(request, keyed))
        if self.per_item:
            keys = self.abstraction.item_keys(request, self.at)
            found = [self.item_outcomes.get(k) for k in keys]
            if None in found:
                self.evaluations += 1
                whole, items = decide_outcomes(self.rulebase, request, at=self.at, assume=self.assume,
                                               drafts=self.drafts)
                for key, row in zip(keys, items):
                    self.item_outcomes[key] = row
                return whole, items
            return overall(o for _, o, _ in found).value, tuple(found)
        key = self.abstraction.signature(request, self.at)
        cached = self.outcomes.get(key)
        if cached is None:
            self.evaluations += 1
            cached = self.outcomes[key] = decide_outcomes(self.rulebase, request, at=self.at, assume=self.assume,
                                                          drafts=self.drafts)
        return cached

    def conclusions(self, request) -> tuple[list, list]:
        """(permissions, prohibitions): the (item, rule) rows the engine concludes from the request's facts
        as given (an open judgement reads as "no"), sorted as the engine sorts them; from each rule's
        cached conclusion where every one is known (a what-would-change search asks this of every
        changed request it tries)."""
        if self.per_rule:
            keyed = self.abstraction.rule_keys(request, self.at)
            if keyed is not None:
                return self._by_rules(request, keyed)
        return conclusions(self.rulebase, request, at=self.at, assume=self.assume, drafts=self.drafts)

    def _by_rules(self, request, keyed: list) -> tuple[list, list]:
        """The conclusions from each rule's cached one. Where a few rules' entries are missing, the engine
        is asked about those rules alone (`_fill_rules`); where many are, one evaluation fills every
        rule's entry for this request (`_fill`)."""
        known, last = self.conclusions_of, self.last_found
        # read before any fill evicts; a key the last request also had (the same object: `rule_keys` keeps
        # the keys a judgement's answer cannot change) is not looked up again
        found = [[hit[1] if (hit := last.get(id(key))) is not None and hit[0] is key else known.get(key)
                  for _, key in rules] for rules in keyed]
        missing = {head for rules, row in zip(keyed, found) for (head, _), value in zip(rules, row) if value is None}
        if len(missing) > FEW_RULES:
            self.last_found = {}
            return self._fill(request, keyed)
        if missing:
            filled = self._fill_rules(request, keyed, missing)
            found = [[filled[key] if value is None else value for (_, key), value in zip(rules, row)]
                     for rules, row in zip(keyed, found)]
        self.last_found = {id(key): (key, value) for rules, row in zip(keyed, found)
                           for (_, key), value in zip(rules, row)}
        permits, forbids = [], []
        for item, rules, row in zip(request.items, keyed, found):
            for (head, _), value in zip(rules, row):
                if value:
                    (permits if head[0] == PERMIT else forbids).append((item, head[1]))
        order = lambda row: (value_key(row[0]), value_key(row[1]))      # noqa: E731 - as the engine sorts
        return sorted(permits, key=order), sorted(forbids, key=order)

    def _fill_rules(self, request, keyed: list, heads: set) -> dict:
        """Each rule's entry for this request, for the rules `heads` names (key -> it concludes, also kept):
        the engine asked, in one session of the request's facts, what each of them concludes (a question
        about one rule evaluates that rule alone, not the law)."""
        self.evaluations += 1
        found = set()
        for head, rows in zip(sorted(heads), conclusions(self.rulebase, request, at=self.at, assume=self.assume,
                                                         drafts=self.drafts, rules=sorted(heads))):
            found |= {(head, item) for item, _ in rows}
        filled = {}
        for item, rules in zip(request.items, keyed):
            for head, key in rules:
                if head in heads:
                    filled[key] = self.conclusions_of[key] = (head, item) in found
        return filled

    def _fill(self, request, keyed: list) -> tuple[list, list]:
        self.evaluations += 1
        permits, forbids = conclusions(self.rulebase, request, at=self.at, assume=self.assume, drafts=self.drafts)
        found = {(PERMIT, item, rule) for item, rule in permits} | {(FORBID, item, rule) for item, rule in forbids}
        covered = set()
        for item, rules in zip(request.items, keyed):
            for head, key in rules:
                covered.add((head[0], item, head[1]))
                self.conclusions_of[key] = (head[0], item, head[1]) in found
        if not found <= covered:
            # a conclusion from a rule the relevance did not expect: never cache by rules on this program
            self.per_rule = False
            self.conclusions_of.clear()
        return permits, forbids

    def _duties(self, request) -> frozenset:
        """The conditional obligations that hold for a request (no open judgements), one evaluation per class."""
        key = self.abstraction.signature(request, self.at)
        held = self.duties.get(key)
        if held is None:
            held = self.duties[key] = duties_held(self.rulebase, request, at=self.at, assume=self.assume,
                                                  drafts=self.drafts)
        return held

    def obligations(self, request, item, rule) -> tuple:
        """The obligations permission `rule` gives `item` of this request: its unconditional ones, and the
        conditional ones whose conditions hold (one evaluation per outcome class, and only when some
        permission has such an obligation)."""
        held = frozenset()
        if any(d.clause for d in self.rulebase.rule_obligations(rule)):
            held = self._duties(request)
        return self.rulebase.item_obligations(rule, item, held)

    def _summary(self, request, cached) -> dict:
        """A record without the trace: each item's outcome, and a permitted item's obligations."""
        outcome, items = cached
        rows = []
        for item, result, rule in items:
            row = {"item": item, "outcome": result}
            if result == "permitted" and rule is not None:
                duties = self.obligations(request, item, rule)
                if duties:
                    row["obligations"] = [duty_to_json(d) for d in duties]
            rows.append(row)
        return {"request": request.id, "outcome": outcome, "items": rows}


def _summary_of_trace(request_id: str, data: dict) -> dict:
    """The summary record of a decision already rendered as a trace (the trace is the evidence)."""
    return {"request": request_id, "outcome": data["outcome"],
            "items": [{k: i[k] for k in ("item", "outcome", "obligations") if k in i} for i in data["items"]]}

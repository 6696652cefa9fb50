"""Judgements: the yes/no questions a request may leave open, and what each answer would give.

A field declared `boolean judgement` ("the disclosure is necessary", "the
public interest outweighs the confidence") is a question somebody must
answer. A request that leaves it out has not answered it: that is not "no".

In: a rulebase, a request, and a function giving a request's outcomes (the
same two engine queries every decision starts from). Out: per item, the
outcome it has whatever the open questions' answers are, or `undetermined`
with its branches: for each answer that matters, the outcome it gives and
the rule that decides it. Each outcome is read from a full evaluation of
the request with some answers (never from a second reading of the rules),
and the request as given, whose open questions read as "no", is one of
them: a determined item keeps that evaluation's proof.

Undetermined is a third truth value, decided without enumerating every
answer (`settle`): an item is decided once, by the request as given, when
no permission or prohibition that can reach it reads an open question
(`item_reads`: through definitions, with the sign each question is read
with). Where each question it reads makes the item only more permissive
one way (read positively by its permissions and negatively by its
prohibitions, or the reverse), the most and the least permissive answers
bound every other: two evaluations decide it. Only an item whose outcome
truly turns on the answers is branched, and only over the questions it
reads, when its branches are asked for (a trace), or when the signs are
mixed.

Only open questions some rule reads are asked; at most `MAX_OPEN_QUESTIONS`
per request (2^n evaluations at worst), a located R009 beyond that.
"""
from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass

from warrant.pipeline.cache import Bounded
from warrant.pipeline.datalog import FORBID, PERMIT, Atom, Compare, Const, Not, Var, fact_predicate
from warrant.pipeline.errors import Span, WarrantError
from warrant.pipeline.facts import Fact, Request
from warrant.pipeline.limits import MAX_OPEN_QUESTIONS
from warrant.pipeline.outcome import Outcome


@dataclass(frozen=True, slots=True)
class Branch:
    """One way the open questions may be answered, and the outcome it gives an item."""

    answers: tuple[tuple[str, bool], ...]   # (field path, yes?) on this branch, in the order asked
    outcome: str                            # permitted | refused
    rule: str | None                        # the deciding rule: the first prohibition, else the first permission
    statement: str | None = None            # the deciding rule's statement and citations (filled by `decide`)
    citations: tuple = ()
    obligations: tuple = ()                 # a permitted branch: its permission's duties (trace.Duty)


def read_predicates(program) -> frozenset:
    """The engine predicates some rule body reads (positively or negated)."""
    def build():
        read = set()
        for rule in program.rules.values():
            for literal in rule.body:
                literal = literal.atom if isinstance(literal, Not) else literal
                if isinstance(literal, Atom):
                    read.add(literal.predicate)
        return frozenset(read)
    return program.memo("read_predicates", build)


def answered(data: object, path: str) -> bool:
    """Whether the request document states the field at a dotted path."""
    for part in path.split("."):
        if not isinstance(data, dict) or data.get(part) is None:
            return False
        data = data[part]
    return True


def open_questions(rulebase, request: Request) -> tuple:
    """The judgement fields the request leaves out and some rule reads, in declaration order (R009 past the bound)."""
    judgements = rulebase.vocabulary.judgements if rulebase.vocabulary is not None else ()
    if not judgements:
        return ()
    read = read_predicates(rulebase.program)
    found = tuple(f for f in judgements if fact_predicate(f.predicate) in read and not answered(request.data, f.path))
    if len(found) > MAX_OPEN_QUESTIONS:
        where = Span(request.file, 1, 1, 1, 1) if request.file else None
        raise WarrantError.at("R009", f"{len(found)} judgements are left unanswered and the rules read each of them; "
                                      f"at most {MAX_OPEN_QUESTIONS} can be left open", where,
                              notes=("answer some of them: " + ", ".join(f.path for f in found),))
    return found


def answering(request: Request, answers) -> Request:
    """The request with these judgements answered ((Field, yes?) pairs): a "yes" is a fact, as if stated."""
    data = _copy_levels(request.data, [f.path for f, _ in answers])
    facts = list(request.facts)
    for spec, yes in answers:
        node = data
        *heads, last = spec.path.split(".")
        for head in heads:
            node = node[head]           # made a fresh mapping by _copy_levels
        node[last] = yes
        if yes:
            facts.append(Fact(spec.predicate, (), spec.path))
    return dataclasses.replace(request, facts=tuple(facts), data=data)


def _copy_levels(data: dict, paths: list[str]) -> dict:
    """A copy of the document deep enough that setting these paths leaves the original alone."""
    top = dict(data) if isinstance(data, dict) else {}
    for path in paths:
        node = top
        for head in path.split(".")[:-1]:
            inner = node.get(head)
            node[head] = dict(inner) if isinstance(inner, dict) else {}
            node = node[head]
    return top


def signs(program) -> dict:
    """{rule id: {judgement predicate: signs}} for every permission and prohibition: each judgement
    its body reads through definitions, read positively (+1), under a negation (-1), or both."""
    def build():
        read: dict = {}                # derived predicate -> {judgement predicate: signs}
        judged = {fact_predicate(f.predicate) for f in program.vocabulary.judgements} \
            if program.vocabulary is not None else set()

        def of_body(body) -> dict:
            found: dict = {}
            for literal in body:
                flip = -1 if isinstance(literal, Not) else 1
                atom = literal.atom if isinstance(literal, Not) else literal
                if not isinstance(atom, Atom):
                    continue
                if atom.predicate in judged:
                    found.setdefault(atom.predicate, set()).add(flip)
                for j, seen in read.get(atom.predicate, {}).items():
                    found.setdefault(j, set()).update(sign * flip for sign in seen)
            return found
        changed = True
        while changed:                 # a fixpoint: sets of signs only grow, so recursion ends too
            changed = False
            for rule in program.rules.values():
                if rule.kind in ("permit", "forbid"):
                    continue
                mine = read.setdefault(rule.head.predicate, {})
                for j, seen in of_body(rule.body).items():
                    if not seen <= mine.get(j, set()):
                        mine.setdefault(j, set()).update(seen)
                        changed = True
        return {rule_id: (rule.kind, _item_filter(program, rule),
                          {j: frozenset(seen) for j, seen in of_body(rule.body).items()})
                for rule_id, rule in program.rules.items() if rule.kind in ("permit", "forbid")}
    return program.memo("judgement_signs", build)


def _item_filter(program, rule):
    """The items a permission or prohibition can conclude, when its own body says (a constant or static
    sets the item must be in), else None: any item."""
    item = rule.head.args[0]
    if isinstance(item, Const):
        return frozenset({item.value})
    allowed = None
    members: dict = {}
    for atom in program.set_facts:
        members.setdefault(atom.predicate, set()).add(atom.args[0].value)
    for literal in rule.body:
        if isinstance(literal, Atom) and literal.predicate.startswith("s_") and literal.args == (item,) and \
                literal.predicate not in program.by_head:
            found = frozenset(members.get(literal.predicate, ()))
        elif isinstance(literal, Compare) and literal.op == "=" and \
                {literal.left, literal.right} & {item} and isinstance(literal.right if literal.left == item
                                                                      else literal.left, Const):
            found = frozenset({(literal.right if literal.left == item else literal.left).value})
        else:
            continue
        allowed = found if allowed is None else allowed & found
    return allowed


def item_reads(program, item, questions: tuple) -> dict:
    """{question index: (signs in permissions, signs in prohibitions)} for the open questions some
    permission or prohibition that can conclude `item` reads (what every rule reads is kept per program by
    the item: a batch asks this of every item of every request with open judgements)."""
    kept = program.memo("item reads", lambda: Bounded(MAX_ITEM_READS))
    key = (type(item), item)
    every = kept.get(key)
    if every is None:
        every = kept[key] = _item_reads(program, item)
    out: dict = {}
    for n, f in enumerate(questions):
        found = every.get(fact_predicate(f.predicate))
        if found is not None:
            out[n] = found
    return out


MAX_ITEM_READS = 20_000     # items kept per program by `item_reads`


def _item_reads(program, item) -> dict:
    """{judgement predicate: (signs in permissions, signs in prohibitions)} of every predicate some rule
    that can conclude `item` reads (once per item)."""
    out: dict = {}
    for kind, allowed, read in signs(program).values():
        if allowed is not None and item not in allowed:
            continue
        for j, seen in read.items():
            permits, forbids = out.get(j, (frozenset(), frozenset()))
            out[j] = (permits | seen, forbids) if kind == "permit" else (permits, forbids | seen)
    return out


def settle(request: Request, questions: tuple, outcomes_of, given=None, *, program=None,
           branches: bool = True, live_reads=None) -> dict:
    """{item: (outcome, deciding rule, branches)}: each item's outcome over every answer to the open questions.

    `outcomes_of(request)` gives `(overall, ((item, outcome, rule), ...))`;
    `given` is that of the request as given, when the caller has it (it is
    the all-"no" answer, so it is not evaluated twice). Without `program`,
    every answer is evaluated. `branches=False`: an undetermined item's
    branches are not worked out (outcomes only), which spares evaluations.
    `live_reads(item)`, given, is what the item's rules that can still hold
    on this request read, whatever the answers (a batch's relevance): a
    question none of them reads cannot change the item and is not asked of
    it (an undetermined item's branches evaluate 2^n answers for n
    questions, so each one dropped halves them).
    """
    worlds: dict = {}

    def world(yes: frozenset) -> dict:
        if yes not in worlds:
            if given is not None and not yes:
                found = given
            else:
                found = outcomes_of(answering(request, tuple((q, n in yes) for n, q in enumerate(questions))))
            worlds[yes] = {item: (outcome, rule) for item, outcome, rule in found[1]}
        return worlds[yes]

    settled = {}
    for item in request.items:
        reads = item_reads(program, item, questions) if program is not None else \
            {n: ({1, -1}, {1, -1}) for n in range(len(questions))}
        if live_reads is not None:
            read_now = live_reads(item)
            reads = {n: signs for n, signs in reads.items() if fact_predicate(questions[n].predicate) in read_now}
        asked = sorted(reads)
        if not asked:
            settled[item] = (*world(frozenset())[item], ())
            continue
        permissive = {}
        for n in asked:                # the answer that can only make the item more permissive, if one does
            permits, forbids = reads[n]
            ups = {s for s in permits} | {-s for s in forbids}
            if len(ups) == 1:
                permissive[n] = ups.pop() == 1
        if len(permissive) == len(asked):
            # From the least permissive answers to the most, the item's permissions only grow and its
            # prohibitions only shrink, so its outcome only rises from refused to permitted: where the least
            # is already permitted, or the most still refused, so is every answer, and the other end need not
            # be evaluated (the one already at hand is looked at first: often the request as given).
            least = frozenset(n for n in asked if not permissive[n])
            most = frozenset(n for n in asked if permissive[n])
            if least in worlds or (most not in worlds and not least):
                first, second, settles = least, most, Outcome.PERMITTED.value
            else:
                first, second, settles = most, least, Outcome.REFUSED.value
            outcome = world(first)[item][0]
            if outcome == settles or outcome == world(second)[item][0]:
                settled[item] = (*world(frozenset())[item], ())
                continue
            if not branches:
                settled[item] = (Outcome.UNDETERMINED.value, None, ())
                continue
        table = [(values, world(frozenset(n for n, v in zip(asked, values) if v))[item])
                 for values in itertools.product((False, True), repeat=len(asked))]
        if len({result[0] for _, result in table}) == 1:
            settled[item] = (table[0][1][0], table[0][1][1], ())
        else:
            paths = tuple(questions[n].path for n in asked)
            settled[item] = (Outcome.UNDETERMINED.value, None,
                             tuple(_branches(paths, table, ())) if branches else ())
    return settled


def _branches(paths: tuple, table: list, fixed: tuple):
    """The tree of answers, asked until each leaf has one outcome and one deciding rule.

    The question asked first is the first (in declaration order) whose answer
    alone changes the outcome; where none does, the first whose answer alone
    changes the deciding rule (so a leaf never names a rule some of its
    answers are not decided by).
    """
    if len({result for _, result in table}) == 1:
        yield Branch(tuple((paths[i], v) for i, v in fixed), table[0][1][0], table[0][1][1])
        return
    asked = {i for i, _ in fixed}
    by_values = dict(table)

    def changes(i: int, part: int) -> bool:
        return any(values[i] is False and (values[:i] + (True,) + values[i + 1:]) in by_values and
                   by_values[values[:i] + (True,) + values[i + 1:]][part] != result[part]
                   for values, result in by_values.items())

    free = [i for i in range(len(paths)) if i not in asked]
    question = next((i for i in free if changes(i, 0)), None)
    if question is None:
        question = next(i for i in free if changes(i, 1))
    for answer in (True, False):
        yield from _branches(paths, [(v, r) for v, r in table if v[question] is answer], fixed + ((question, answer),))


def questions_of(branches) -> tuple[str, ...]:
    """The questions an undetermined item turns on, in the order its branches ask them."""
    return tuple(dict.fromkeys(path for branch in branches for path, _ in branch.answers))


def answers_text(branch: Branch) -> str:
    """The branch's answers in words: "disclosure_necessary is yes and disclosure_expedient is no"."""
    return " and ".join(f"{path} is {'yes' if yes else 'no'}" for path, yes in branch.answers)


def result_text(branch: Branch) -> str:
    """What the branch gives: "permitted by R", "refused by R (a prohibition)" or "refused (no permission applies)"."""
    if branch.outcome == Outcome.PERMITTED:
        return f"permitted by {branch.rule}"
    return f"refused by {branch.rule} (a prohibition)" if branch.rule else "refused (no permission applies)"

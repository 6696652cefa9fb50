"""Conditions as the rule language writes them: the words the formatter prints and every report that quotes a
condition (an obligation's `when`, coverage, `rules`). In the pipeline, so the rulebase's own explanations
need no tool to say them."""
from __future__ import annotations

from warrant.pipeline import syntax as S
from warrant.pipeline.values import show


def condition_text(condition) -> str:
    """One condition as the rule language writes it (also used by coverage reports)."""
    if isinstance(condition, S.Positive):
        return atom_text(condition.atom)
    if isinstance(condition, S.Negative):
        return "not " + atom_text(condition.atom)
    if isinstance(condition, S.Comparison):
        return f"{term_text(condition.left)} {condition.op} {term_text(condition.right)}"
    if isinstance(condition, S.Member):
        return f"{term_text(condition.term)} {'not in' if condition.negated else 'in'} {condition.set_name}"
    if isinstance(condition, S.InForce):
        return f"{'not ' if condition.negated else ''}in force({condition.name})"
    if isinstance(condition, S.ValueOf):     # made by the checker, never written: the value it reads
        return f"the value of {condition.name}"
    return ("not assuming " if condition.negated else "assuming ") + condition.name + \
        (f" = {condition.reading}" if condition.reading else "")


def atom_text(atom: S.Atom) -> str:
    if not atom.args:
        return atom.predicate
    return f"{atom.predicate}({', '.join(term_text(t) for t in atom.args)})"


def term_text(term) -> str:
    if isinstance(term, S.Variable):
        return term.name[len(S.VALUE_VAR):] if term.name.startswith(S.VALUE_VAR) else term.name   # a named value, by its name
    return show(term.value)

"""Atoms under an environment (variable name -> value): the small term algebra the prover and its
why-nots share. Unifying a head with a row, grounding and substituting a literal, a term's value or
`FREE`, a literal's variables in order, and comparing two bound values as the engine does."""
from __future__ import annotations

from warrant.pipeline.datalog import Atom, Compare, Const, Not, Var
from warrant.pipeline.unfold import terms


def unify(head: Atom, args: tuple):
    env = {}
    for term, value in zip(head.args, args):
        if isinstance(term, Const):
            if term.value != value or type(term.value) is not type(value):
                return None
        elif term.name in env and env[term.name] != value:
            return None
        else:
            env[term.name] = value
    return env


def value_of(term, env):
    return term.value if isinstance(term, Const) else env[term.name]


def ground(atom: Atom, env: dict) -> Atom:
    return Atom(atom.predicate, tuple(Const(value_of(a, env)) if isinstance(a, Const) or a.name in env else a
                                      for a in atom.args))


def is_ground(atom: Atom) -> bool:
    return all(isinstance(a, Const) for a in atom.args)


def args_of(atom: Atom) -> tuple:
    return tuple(a.value if isinstance(a, Const) else None for a in atom.args)


def substitute(literal, env: dict):
    if isinstance(literal, Atom):
        return ground(literal, env)
    if isinstance(literal, Not):
        return Not(ground(literal.atom, env))
    left = Const(env[literal.left.name]) if isinstance(literal.left, Var) and literal.left.name in env else literal.left
    right = Const(env[literal.right.name]) if isinstance(literal.right, Var) and literal.right.name in env else literal.right
    return Compare(left, literal.op, right)


def variable_names(literal) -> tuple:
    """The variables of a literal, in order."""
    return tuple(dict.fromkeys(t.name for t in terms(literal) if isinstance(t, Var)))


FREE = object()     # `bound_value`: a variable with no value yet


def bound_value(term, env: dict):
    """A term's value: a constant's, or a variable's in `env`; `FREE` for an unbound variable."""
    if type(term) is Const:
        return term.value
    return env.get(term.name, FREE)


def positive_vars(body) -> list[str]:
    seen: list[str] = []
    for literal in body:
        if isinstance(literal, Atom):
            for a in literal.args:
                if isinstance(a, Var) and a.name not in seen:
                    seen.append(a.name)
    return seen


def compare_values(left, op: str, right) -> bool:
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    if op == ">":
        return left > right
    return left >= right

"""Hypothesis strategies: random rulebases in the rule language, random requests, broken inputs.

`rulebases()` writes rule *text* (so the parser, checker and compiler are all
exercised) that stays inside what the checker accepts: derived predicates
d0..d3 are ordered, a rule for d_i may use d_j positively for j < i (or
j == i when recursion is allowed) and negatively only for j < i, so every
program is stratified; every variable in a negation or comparison is first
bound by a positive condition, so every rule is safe. Programs may still
contain contradictions (the checker rejects those and the test skips them).
"""
from __future__ import annotations

import datetime

from hypothesis import strategies as st

from helpers import shipped_vocabulary


def _values(path: str) -> tuple[str, ...]:
    return shipped_vocabulary().by_path[path].values


HOLDERS, PARTIES, PURPOSES = _values("holder"), _values("requester"), _values("purpose")
OFFENCE_KINDS = _values("subject.suspected_offences")

BOOLS = ("public_interest_satisfied", "in_contact_with_authorities", "other_efforts_failed",
         "considered_for_deportation", "risk_to_public", "welfare_concern")
ITEMS = ("name", "date_of_birth", "last_known_address", "gp_practice", "age")
SYMBOL_FACTS = {"holder": HOLDERS, "requester": PARTIES, "purpose": PURPOSES, "suspected_offence": OFFENCE_KINDS}
OPS = ("=", "!=", "<", "<=", ">", ">=")
MONTHS = (0, 6, 11, 12, 13, 24)
PENCE = (0, 49999, 50000, 50001, 100000)
DATES = ("2017-12-31", "2018-01-01", "2018-05-08", "2018-05-09", "2018-11-02", "2019-01-01")

HEADER = '''source s { publisher "P" title "T" }
assumption a0 { question "q" position "p" reason "r" default on }
assumption a1 { question "q" position "p" reason "r" default off }
assumption a2 { question "q" reason "r" reading x "x" reading y "y" reading z "z" default y }
set sa = { name, gp_practice, overstaying, nhs_digital, tracing }
set sb = { date_of_birth, last_known_address, absconding, nhs_trust, illegal_entry }
set sd from 2018-01-01 until 2018-05-08 = { name, nhs_digital, overstaying }
    from 2018-05-09 = { gp_practice, tracing, nhs_trust, name }
value vd from 2018-01-01 = £500.00 from 2018-11-02 = £1000.00
value vm = 12 months
field j0: boolean judgement "A judgement a request may leave open."
field j1: boolean judgement "Another."
policy q0 "A provision other rules may depend on" in force from 2018-05-09 cites s {
}
'''
JUDGEMENTS = ("j0", "j1")


def _money(pence: int) -> str:
    return f"£{pence // 100}.{pence % 100:02d}"


@st.composite
def _body(draw, level: int, arities: dict, recursion: bool, item: bool, head_symbol: bool):
    """Conditions for a rule of derived level `level` (4 for permit/forbid)."""
    conditions, symbols, typed = [], (["Item"] if item else []), {}
    counter = iter(range(100))

    def fresh(prefix):
        return f"{prefix}{next(counter)}"

    generators = draw(st.integers(1, 3))
    for _ in range(generators):
        choice = draw(st.sampled_from(["bool", "symbol", "symbol_const", "conviction", "debt", "date", "derived",
                                       "member", "judgement"]))
        if choice == "bool":
            conditions.append(draw(st.sampled_from(BOOLS)))
        elif choice == "judgement":
            conditions.append(draw(st.sampled_from(JUDGEMENTS)))
        elif choice == "symbol":
            var = fresh("S")
            conditions.append(f"{draw(st.sampled_from(sorted(SYMBOL_FACTS)))}({var})")
            symbols.append(var)
        elif choice == "symbol_const":
            name = draw(st.sampled_from(sorted(SYMBOL_FACTS)))
            conditions.append(f"{name}({draw(st.sampled_from(SYMBOL_FACTS[name]))})")
        elif choice == "conviction":
            offence, months = fresh("O"), fresh("M")
            conditions.append(f"convicted({offence}, {months})")
            symbols.append(offence)
            typed[months] = "months"
        elif choice == "debt":
            var = fresh("D")
            conditions.append(f"nhs_debt({var})")
            typed[var] = "money"
        elif choice == "date":
            var = fresh("T")
            conditions.append(f"request_date({var})")
            typed[var] = "date"
        elif choice == "derived":
            top = level if recursion else level - 1
            candidates = [j for j in range(0, min(top, 3) + 1) if j in arities]
            if not candidates:
                conditions.append(draw(st.sampled_from(BOOLS)))
                continue
            j = draw(st.sampled_from(candidates))
            if arities[j] == 0:
                conditions.append(f"d{j}")
            else:
                arg = draw(st.sampled_from(symbols + ["new", "const"])) if symbols else draw(
                    st.sampled_from(["new", "const"]))
                if arg == "new":
                    arg = fresh("X")
                    symbols.append(arg)
                elif arg == "const":
                    arg = draw(st.sampled_from(ITEMS + ("overstaying", "nhs_digital")))
                conditions.append(f"d{j}({arg})")
        elif choice == "member" and symbols:
            conditions.append(f"{draw(st.sampled_from(symbols))} in {draw(st.sampled_from(['sa', 'sb', 'sd']))}")
    if head_symbol and not [s for s in symbols if s != "Item"]:
        var = fresh("S")
        conditions.append(f"holder({var})")
        symbols.append(var)
    for _ in range(draw(st.integers(0, 2))):
        choice = draw(st.sampled_from(["compare", "not_bool", "not_symbol", "not_derived", "not_member",
                                       "assuming", "symbol_compare", "not_judgement", "in_force"]))
        if choice == "not_judgement":
            conditions.append(f"not {draw(st.sampled_from(JUDGEMENTS))}")
        elif choice == "in_force":
            conditions.append(f"{draw(st.sampled_from(['', 'not ']))}in force(q0)")
        if choice == "compare" and typed:
            var = draw(st.sampled_from(sorted(typed)))
            kind = typed[var]
            constant = {"months": lambda: draw(st.sampled_from([f"{m} months" for m in MONTHS] + ["vm"] * 3)),
                        "money": lambda: draw(st.sampled_from([_money(p) for p in PENCE] + ["vd"] * 3)),
                        "date": lambda: draw(st.sampled_from(DATES))}[kind]()
            conditions.append(f"{var} {draw(st.sampled_from(OPS))} {constant}")
        elif choice == "not_bool":
            conditions.append(f"not {draw(st.sampled_from(BOOLS))}")
        elif choice == "not_symbol":
            name = draw(st.sampled_from(sorted(SYMBOL_FACTS)))
            arg = draw(st.sampled_from(list(SYMBOL_FACTS[name][:3]) + symbols))
            conditions.append(f"not {name}({arg})")
        elif choice == "not_derived":
            candidates = [j for j in range(0, min(level - 1, 3) + 1) if j in arities]
            if candidates:
                j = draw(st.sampled_from(candidates))
                if arities[j] == 0:
                    conditions.append(f"not d{j}")
                elif symbols:
                    conditions.append(f"not d{j}({draw(st.sampled_from(symbols))})")
        elif choice == "not_member" and symbols:
            conditions.append(f"{draw(st.sampled_from(symbols))} not in {draw(st.sampled_from(['sa', 'sb', 'sd']))}")
        elif choice == "assuming":
            conditions.append(f"{draw(st.sampled_from(['', 'not ']))}assuming "
                              f"{draw(st.sampled_from(['a0', 'a1', 'a2 = x', 'a2 = y', 'a2 = z']))}")
        elif choice == "symbol_compare" and symbols:
            conditions.append(f"{draw(st.sampled_from(symbols))} {draw(st.sampled_from(['=', '!=']))} "
                              f"{draw(st.sampled_from(ITEMS + ('overstaying',)))}")
    if not conditions:
        conditions.append(draw(st.sampled_from(BOOLS)))
    head_arg = draw(st.sampled_from([s for s in symbols if s != "Item"])) if head_symbol else None
    return conditions, head_arg


@st.composite
def rulebases(draw, recursion: bool = False) -> str:
    """Rule text for a random stratified, safe rulebase over the request vocabulary."""
    arities = {j: draw(st.sampled_from([0, 1])) for j in range(draw(st.integers(0, 4)))}
    lines = [HEADER]
    for j, arity in arities.items():
        for k in range(draw(st.integers(1, 2))):
            body, head_arg = draw(_body(j, arities, recursion, False, arity == 1))
            head = f"d{j}({head_arg})" if arity else f"d{j}"
            lines.append(f'define {head} as r_d{j}_{k} "s" cites s when ' + " and ".join(body))
    rules = []
    for index in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["permit", "permit", "forbid"]))
        body, _ = draw(_body(4, arities, False, True, False))
        rules.append(f'{kind} {kind[0]}{index} for Item "s" cites s when ' + " and ".join(body))
    wrap = draw(st.sampled_from(["none", "policy", "draft"]))
    if wrap == "none":
        lines += rules
    else:
        start = draw(st.sampled_from(DATES[:3]))
        end = draw(st.sampled_from(["", " until 2018-11-01", " until 2019-06-01"]))
        draft = "draft " if wrap == "draft" else ""
        inside, outside = rules[: len(rules) // 2 + 1], rules[len(rules) // 2 + 1:]
        lines.append(f'{draft}policy p0 "t" in force from {start}{end} cites s {{\n' + "\n".join(inside) + "\n}")
        lines += outside
    return "\n".join(lines) + "\n"


@st.composite
def requests(draw, judgements: bool = False) -> dict:
    """A valid request document over the same vocabulary (`judgements`: with j0 and j1 answered or left open)."""
    day = datetime.date(2017, 6, 1) + datetime.timedelta(days=draw(st.integers(0, 730)))
    day = draw(st.sampled_from([day, datetime.date(2018, 5, 8), datetime.date(2018, 5, 9),
                                datetime.date(2018, 11, 1), datetime.date(2018, 11, 2)]))
    subject: dict = {}
    for name in ("in_contact_with_authorities", "other_efforts_failed", "considered_for_deportation",
                 "risk_to_public", "welfare_concern"):
        if draw(st.booleans()):
            subject[name] = True
    offences = draw(st.lists(st.sampled_from(OFFENCE_KINDS), max_size=2, unique=True))
    if offences:
        subject["suspected_offences"] = offences
    convictions = draw(st.lists(st.tuples(st.sampled_from(["robbery", "overstaying", "theft"]),
                                          st.sampled_from(MONTHS + (3, 18))), max_size=2))
    if convictions:
        subject["convictions"] = [{"offence": o, "sentence_months": m} for o, m in convictions]
    if draw(st.booleans()):
        subject["nhs_debt"] = _money(draw(st.sampled_from(PENCE + (12345,))))
    document = {"id": "r", "date": day.isoformat(), "requester": draw(st.sampled_from(PARTIES)),
                "holder": draw(st.sampled_from(HOLDERS)), "purpose": draw(st.sampled_from(PURPOSES)),
                "items": draw(st.lists(st.sampled_from(ITEMS), min_size=1, max_size=3, unique=True)),
                "subject": subject}
    if draw(st.booleans()):
        document["public_interest_satisfied"] = True
    switches = draw(st.dictionaries(st.sampled_from(["a0", "a1"]), st.booleans(), max_size=2))
    if draw(st.booleans()):
        switches["a2"] = draw(st.sampled_from(["x", "y", "z"]))
    if switches:
        document["assume"] = switches
    if judgements:
        for name in JUDGEMENTS:
            answer = draw(st.sampled_from(["open", True, False]))
            if answer != "open":
                document[name] = answer
    return document


# ---- broken inputs ---------------------------------------------------------------

JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20)

CONFUSABLES = ("nhs_digitaI", "home_оffice", "nаme", "ｎａｍｅ", "name\u200b", "NAME", "name ", "")

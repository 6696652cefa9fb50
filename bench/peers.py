"""Warrant beside the engines a user would otherwise pick: the same rules as Cedar (cedarpy) and Rego (regopy).

    pip install -e '.[bench]'
    python bench/peers.py [N ...]            (default: 10000)

Both peers encode the shipped rulebase at its default assumptions, as
bench/bench.py's hand-written function does, and every item of every
request is checked against it (and so against Warrant). What each peer is
given is what its language can use:

- Cedar has no quantifier over a list of records, so the request is turned
  into one authorization request per item, with a context of flat values:
  the date as a number (YYYYMMDD), the debt in pence, the longest sentence
  among convictions and investigations. Building that context is timed with
  the evaluation, since a user of Cedar would have to do it.
- Rego reads the request as it is (`some c in input.subject.convictions`),
  compares ISO dates as strings and parses the debt with `to_number`.

Warrant is timed on the same requests through its batch path in one process
(`engine/batch/batch.py`), without traces, as `warrant decide --batch
--trace none` runs it.
"""
from __future__ import annotations

import os
import sys
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)

from bench.bench import CLINICAL, NON_CLINICAL, S24, hand_written  # noqa: E402
from bench.generate import generate  # noqa: E402

TRACING = ("tracing", "immigration_enforcement", "deportation")
DEBT_USES = ("debt_recovery", "reporting_restrictions", "voluntary_departure", "detention", "immigration_enforcement")
OWN_DATA = ("immigration_record", "name", "date_of_birth", "last_known_address")


def _set(values) -> str:
    return "[" + ", ".join(f'"{v}"' for v in sorted(values)) + "]"


CEDAR = f"""
forbid (principal, action, resource) when {{ {_set(CLINICAL)}.contains(context.item) }};
forbid (principal, action, resource) when {{
  ["nhs_digital", "nhs_trust", "department_for_education"].contains(context.holder)
  && context.requester != "home_office" }};
forbid (principal, action, resource) when {{
  context.holder == "department_for_education" && ["country_of_birth", "nationality"].contains(context.item) }};
forbid (principal, action, resource) when {{
  context.holder == "nhs_digital" && context.requester == "home_office" && context.date >= 20181102 }};
forbid (principal, action, resource) when {{
  context.holder == "home_office" && context.requester == "data_subject" && context.date >= 20180510
  && context.prejudices }};
permit (principal, action, resource) when {{
  context.holder == "nhs_digital" && context.requester == "home_office" && {_set(NON_CLINICAL)}.contains(context.item)
  && context.date >= 20170101 && context.date <= 20180508 && {_set(TRACING)}.contains(context.purpose)
  && context.suspected.containsAny({_set(S24)})
  && !context.in_contact && context.efforts_failed && context.public_interest }};
permit (principal, action, resource) when {{
  context.holder == "nhs_digital" && context.requester == "home_office" && {_set(NON_CLINICAL)}.contains(context.item)
  && context.date >= 20180509 && context.date <= 20181101 && context.deportation && context.longest_sentence >= 12
  && !context.in_contact && context.efforts_failed && context.public_interest }};
permit (principal, action, resource) when {{
  context.holder == "nhs_trust" && context.requester == "home_office" && context.date >= 20190101
  && ["age", "last_known_address", "name"].contains(context.item) && {_set(DEBT_USES)}.contains(context.purpose)
  && context.debt_pence >= 50000 }};
permit (principal, action, resource) when {{
  context.holder == "department_for_education" && context.requester == "home_office" && context.date >= 20180510
  && ["pupil_address", "pupil_name"].contains(context.item) && context.purpose == "immigration_enforcement" }};
permit (principal, action, resource) when {{
  context.holder == "home_office" && context.requester == "data_subject" && context.purpose == "subject_access"
  && context.date >= 20180510 && context.access_request && {_set(OWN_DATA)}.contains(context.item) }};
"""

REGO = f"""package warrant
import rego.v1

subject := object.get(input, "subject", {{}})
flag(name) if subject[name] == true
safeguards if {{ not flag("in_contact_with_authorities"); flag("other_efforts_failed"); input.public_interest_satisfied == true }}
serious if {{ some c in object.get(subject, "convictions", []); c.sentence_months >= 12 }}
serious if {{ some c in object.get(subject, "investigations", []); c.sentence_months >= 12 }}
suspected_s24 if {{ some k in object.get(subject, "suspected_offences", []); k in {set(S24)!r} }}
debt_pence := round(to_number(trim_prefix(subject.nhs_debt, "£")) * 100)
nhs if {{ input.holder == "nhs_digital"; input.requester == "home_office" }}

forbidden(item) if item in {set(CLINICAL)!r}
forbidden(_) if {{ input.holder in {{"nhs_digital", "nhs_trust", "department_for_education"}}; input.requester != "home_office" }}
forbidden(item) if {{ input.holder == "department_for_education"; item in {{"nationality", "country_of_birth"}} }}
forbidden(_) if {{ nhs; input.date >= "2018-11-02" }}
forbidden(_) if {{ input.holder == "home_office"; input.requester == "data_subject"; input.date >= "2018-05-10";
                    flag("disclosure_prejudices_immigration_control") }}

permitted(item) if {{ nhs; item in {set(NON_CLINICAL)!r}; input.date >= "2017-01-01"; input.date <= "2018-05-08";
                      input.purpose in {set(TRACING)!r}; suspected_s24; safeguards }}
permitted(item) if {{ nhs; item in {set(NON_CLINICAL)!r}; input.date >= "2018-05-09"; input.date <= "2018-11-01";
                      flag("considered_for_deportation"); serious; safeguards }}
permitted(item) if {{ input.holder == "nhs_trust"; input.requester == "home_office"; input.date >= "2019-01-01";
                      item in {{"name", "last_known_address", "age"}}; input.purpose in {set(DEBT_USES)!r};
                      debt_pence >= 50000 }}
permitted(item) if {{ input.holder == "department_for_education"; input.requester == "home_office";
                      input.date >= "2018-05-10"; item in {{"pupil_name", "pupil_address"}};
                      input.purpose == "immigration_enforcement" }}
permitted(item) if {{ input.holder == "home_office"; input.requester == "data_subject";
                      input.purpose == "subject_access"; input.date >= "2018-05-10"; flag("access_request");
                      item in {set(OWN_DATA)!r} }}

outcomes[item] := "permitted" if {{ some item in input.items; permitted(item); not forbidden(item) }}
outcomes[item] := "refused" if {{ some item in input.items; not permitted(item) }}
outcomes[item] := "refused" if {{ some item in input.items; forbidden(item) }}
""".replace("'", '"')


def _pence(debt) -> int:
    return -1 if debt is None else int(round(float(debt.lstrip("£")) * 100))


def cedar_requests(r: dict) -> list[dict]:
    s = r.get("subject", {})
    sentences = [c["sentence_months"] for c in s.get("convictions", ())] + \
        [c["sentence_months"] for c in s.get("investigations", ())]
    context = {"holder": r["holder"], "requester": r["requester"], "purpose": r["purpose"],
               "date": int(r["date"].replace("-", "")), "suspected": list(s.get("suspected_offences", ())),
               "in_contact": bool(s.get("in_contact_with_authorities")),
               "efforts_failed": bool(s.get("other_efforts_failed")),
               "public_interest": bool(r.get("public_interest_satisfied")),
               "deportation": bool(s.get("considered_for_deportation")),
               "longest_sentence": max(sentences, default=-1), "debt_pence": _pence(s.get("nhs_debt")),
               "access_request": bool(s.get("access_request")),
               "prejudices": bool(s.get("disclosure_prejudices_immigration_control"))}
    return [{"principal": f'Party::"{r["requester"]}"', "action": 'Action::"release"',
             "resource": f'Item::"{item}"', "context": {**context, "item": item}} for item in r["items"]]


def run_cedar(documents: list[dict]) -> tuple[float, list[dict]]:
    import cedarpy
    policies = cedarpy.PolicySet.from_str(CEDAR)            # parsed once, reused for every request
    entities = cedarpy.Entities.from_json_str("[]")
    start = time.perf_counter()
    out = []
    for r in documents:
        requests = cedar_requests(r)
        results = cedarpy.is_authorized_batch(requests, policies, entities)
        out.append({q["context"]["item"]: "permitted" if res.decision == cedarpy.Decision.Allow else "refused"
                    for q, res in zip(requests, results)})
    return time.perf_counter() - start, out


def run_rego(documents: list[dict]) -> tuple[float, list[dict]]:
    import json
    from regopy import Interpreter
    interpreter = Interpreter()
    interpreter.add_module("warrant", REGO)
    start = time.perf_counter()
    out = []
    for r in documents:
        interpreter.set_input_term(json.dumps(r, ensure_ascii=False))   # rego-cpp reads \u escapes literally
        result = json.loads(str(interpreter.query("x = data.warrant.outcomes")))
        out.append(result["bindings"]["x"])
    return time.perf_counter() - start, out


def run_warrant(documents: list[dict]) -> tuple[float, list[dict]]:
    import json
    from warrant.batch.batch import decide_lines
    from warrant.pipeline.rulebase import load_rulebase
    rulebase = load_rulebase()
    lines = [json.dumps(r) for r in documents]
    start = time.perf_counter()
    records = list(decide_lines(rulebase, lines, trace="none"))
    seconds = time.perf_counter() - start
    return seconds, [{i["item"]: i["outcome"] for i in record["items"]} for record in records]


def main(argv: list[str]) -> int:
    sizes = [int(a) for a in argv] or [10_000]
    print(f"{'N':>8}  {'engine':<44} {'seconds':>8} {'decisions/s':>12} {'x hand':>7}  agrees")
    ok = True
    for n in sizes:
        documents = list(generate(n, seed=7))
        start = time.perf_counter()
        expected = [hand_written(r) for r in documents]
        hand = time.perf_counter() - start
        rows = [("hand-written function", hand, expected)]
        for label, runner in (("warrant batch, 1 process, no traces", run_warrant),
                              ("Cedar (cedarpy), one request per item", run_cedar),
                              ("Rego (regopy)", run_rego)):
            try:
                seconds, found = runner(documents)
            except ImportError as exc:
                print(f"{n:>8}  {label:<44} skipped: {exc.name} is not installed (pip install -e '.[bench]')")
                continue
            rows.append((label, seconds, found))
        for label, seconds, found in rows:
            same = found == expected
            ok = ok and same
            print(f"{n:>8}  {label:<44} {seconds:>8.2f} {n / seconds:>12,.0f} {seconds / hand:>7.1f}  "
                  f"{'yes' if same else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

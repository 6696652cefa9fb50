"""The shipped rulebase: compiled form (golden), and temporal coverage swept across 2016-2026."""
import datetime
import os

from warrant.review.browse import _in_force
from warrant.pipeline.datalog import print_program

GOLDEN = os.path.join(os.path.dirname(__file__), "golden", "compiled.txt")


def test_compiled_clauses_golden(rulebase, update_golden):
    text = print_program(rulebase.program)
    if update_golden or not os.path.exists(GOLDEN):
        from warrant.pipeline.files import write_atomic
        write_atomic(GOLDEN, text)
    assert open(GOLDEN, encoding="utf-8").read() == text


def test_versions_never_overlap_and_leave_no_gap(rulebase):
    """Each day 2016-2026: at most one version of a policy in force, and none missing once it has begun."""
    lineages = {}
    for policy in rulebase.checked.policies.values():
        if policy.family and not policy.draft:
            lineages.setdefault(policy.family, []).append(policy)
    assert lineages, "the shipped rules declare policy versions"
    day = datetime.date(2016, 1, 1)
    started = set()
    while day <= datetime.date(2026, 12, 31):
        for family, versions in lineages.items():
            live = [p.name for p in versions if _in_force(p, day)]
            assert len(live) <= 1, f"{day}: {family} has {live} in force together"
            if live:
                started.add(family)
            elif family in started:
                raise AssertionError(f"{day}: no version of {family} in force")
        day += datetime.timedelta(days=1)


def test_every_rule_cites_and_every_ambiguity_is_named(rulebase):
    checked = rulebase.checked
    assert all(r.cites for r in checked.rules.values())
    for name in ("debt_threshold_inclusive", "investigation_counts", "risk_to_public_route", "safeguards_continue",
                 "mou_start_january_2017", "debt_practice_dates", "boundary_days_new_regime"):
        decl = checked.assumptions[name]
        assert decl.get("position") and decl.get("reason")
        readings = [p for p in decl.properties if p.key == "reading"]
        assert readings and all(p.cites for p in readings)


def test_clinical_never_released_on_any_day(rulebase):
    from warrant.pipeline.decide import decide
    from helpers import request_from_data
    for year in range(2016, 2027):
        for holder in ("nhs_digital", "nhs_trust"):
            request = request_from_data({
                "date": f"{year}-06-01", "requester": "home_office", "holder": holder, "purpose": "tracing",
                "items": ["clinical_record", "diagnosis", "treatment"], "public_interest_satisfied": True,
                "subject": {"suspected_offences": ["overstaying"], "other_efforts_failed": True,
                            "considered_for_deportation": True, "nhs_debt": "£9000.00", "welfare_concern": True,
                            "convictions": [{"offence": "robbery", "sentence_months": 60}]}})
            decision = decide(rulebase, request, drafts=("nhs_digital_replacement_draft",))
            assert all(i.outcome == "refused" and i.reason == "prohibition" for i in decision.items)


def test_the_engine_runs_each_rule_body_as_a_plan_with_the_same_conditions(rulebase):
    """`plan` reorders a permission's or prohibition's body (ground checks first), never changes it."""
    from warrant.pipeline.datalog import Not, _has_variables
    program = rulebase.program
    for rule in program.rules.values():
        plan = program.plan(rule.id)
        assert sorted(map(str, plan)) == sorted(map(str, rule.body))
        if rule.kind in ("permit", "forbid"):
            flags = [_has_variables(l) for l in plan]
            assert flags == sorted(flags), rule.id           # no ground check after one with variables
            derived = [getattr(l.atom if isinstance(l, Not) else l, "predicate", "") in program.by_head
                       for l in plan if not _has_variables(l)]
            assert derived == sorted(derived), rule.id       # facts before derived concepts
        else:
            assert plan == rule.body

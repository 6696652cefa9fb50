"""Seeded synthetic requests, for impact analysis and benchmarks (`warrant generate`).

The same seed gives the same requests, byte for byte. The distribution is
written down here so that results can be read against it; it is a
modelling choice, not a finding of the sources:

- date: uniform over 2016-01-01..2026-12-31 (impact analysis usually
  overrides it with `--at`);
- holder: nhs_digital 55%, nhs_trust 25%, department_for_education 15%,
  home_office 5% (subject-access requests);
- requester: home_office 95%, police 3%, local_authority 2% (the data
  subject for home_office requests);
- items: one to three of the holder's usual items; a clinical item is added
  to 3% of NHS requests, a pupil's nationality to 10% of school requests;
- NHS Digital (tracing 85%, immigration_enforcement 10%, deportation 5%):
  95% suspected of an immigration offence (overstaying 70%, illegal entry
  15%, deception 5%, absconding 5%, breach of reporting restrictions 4%,
  escaping detention 1%); other holders' subjects 50%, same kinds;
- everyone: in contact with the authorities 15%; other efforts failed 85%;
  public interest satisfied 90%;
- criminal history, for everyone: a conviction 8% (sentence 1-11 months
  60%, 12-48 months 40%), an investigation 3% (minimum sentence 6-36
  months); considered for deportation 20%; a risk to the public 5%;
- NHS trusts: purpose voluntary_departure / detention / debt_recovery
  equally; debt £0-£3,000 in pence, exactly £500.00 in 5%.

Under this model most people traced under the 2017 memorandum were
suspected overstayers with no serious criminal record, which is how the
sources describe the memorandum's use; `warrant impact` over such a batch
shows what share the May 2018 restriction would refuse.
"""
from __future__ import annotations

import datetime
import random

ITEMS = {"nhs_digital": ["name", "date_of_birth", "last_known_address", "gp_practice"],
         "nhs_trust": ["name", "last_known_address", "age"],
         "department_for_education": ["pupil_name", "pupil_address"],
         "home_office": ["immigration_record", "name"]}
OFFENCES = (["overstaying", "illegal_entry", "deception_to_obtain_leave", "absconding",
             "breach_of_reporting_restrictions", "escaping_detention"], [70, 15, 5, 5, 4, 1])
START = datetime.date(2016, 1, 1).toordinal()
END = datetime.date(2026, 12, 31).toordinal()


def _yes(rng: random.Random, p: float) -> bool:
    return rng.random() < p


def request(rng: random.Random, index: int) -> dict:
    """One request document (the same shape as a request file)."""
    holder = rng.choices(list(ITEMS), weights=[55, 25, 15, 5])[0]
    items = rng.sample(ITEMS[holder], rng.randint(1, min(3, len(ITEMS[holder]))))
    subject: dict = {}
    purpose = {"nhs_digital": rng.choices(["tracing", "immigration_enforcement", "deportation"], [85, 10, 5])[0],
               "nhs_trust": rng.choice(["voluntary_departure", "detention", "debt_recovery"]),
               "department_for_education": "immigration_enforcement",
               "home_office": "subject_access"}[holder]
    if holder in ("nhs_digital", "nhs_trust") and _yes(rng, 0.03):
        items.append("clinical_record")
    if holder == "department_for_education" and _yes(rng, 0.10):
        items.append("nationality")
    if holder == "nhs_digital" and _yes(rng, 0.95) or holder != "nhs_digital" and _yes(rng, 0.5):
        subject["suspected_offences"] = [rng.choices(*OFFENCES)[0]]
    subject["in_contact_with_authorities"] = _yes(rng, 0.15)
    subject["other_efforts_failed"] = _yes(rng, 0.85)
    if _yes(rng, 0.08):
        months = rng.randint(1, 11) if _yes(rng, 0.6) else rng.randint(12, 48)
        subject["convictions"] = [{"offence": "theft", "sentence_months": months}]
    if _yes(rng, 0.03):
        subject["investigations"] = [{"offence": "fraud", "sentence_months": rng.randint(6, 36)}]
    subject["considered_for_deportation"] = _yes(rng, 0.20)
    subject["risk_to_public"] = _yes(rng, 0.05)
    if holder == "nhs_trust":
        pence = 50000 if _yes(rng, 0.05) else rng.randint(0, 300000)
        subject["nhs_debt"] = f"£{pence // 100}.{pence % 100:02d}"
    if holder == "home_office":
        subject["access_request"] = True
        subject["disclosure_prejudices_immigration_control"] = _yes(rng, 0.3)
    requester = "data_subject" if holder == "home_office" else \
        rng.choices(["home_office", "police", "local_authority"], [95, 3, 2])[0]
    return {"id": f"r{index}", "date": datetime.date.fromordinal(rng.randint(START, END)).isoformat(),
            "requester": requester, "holder": holder, "purpose": purpose, "items": items,
            "public_interest_satisfied": _yes(rng, 0.9), "subject": subject}


def generate(count: int, seed: int = 7):
    """`count` request documents from `seed`, lazily."""
    rng = random.Random(seed)
    for index in range(count):
        yield request(rng, index)

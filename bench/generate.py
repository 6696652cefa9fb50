"""Seeded synthetic requests for benchmarks and impact analysis.

Distribution (documented so results can be read): dates uniform over
2016-01-01..2026-12-31; holder nhs_digital 55%, nhs_trust 25%,
department_for_education 15%, home_office 5%; requester home_office 90%;
1-3 items from the holder's usual items, clinical 10%; suspected offences
from the s.24/24A kinds 60%; sentences 0-36 months; debts £0-£2000 in pence
with 5% exactly £500.00; safeguards true with probability 0.7 each.
"""
from __future__ import annotations

import datetime
import json
import random
import sys

ITEMS = {"nhs_digital": ["name", "date_of_birth", "last_known_address", "gp_practice"],
         "nhs_trust": ["name", "last_known_address", "age"],
         "department_for_education": ["pupil_name", "pupil_address", "nationality"],
         "home_office": ["immigration_record", "name"]}
OFFENCES = ["overstaying", "illegal_entry", "breach_of_reporting_restrictions", "absconding",
            "escaping_detention", "deception_to_obtain_leave"]
START = datetime.date(2016, 1, 1).toordinal()
END = datetime.date(2026, 12, 31).toordinal()


def request(rng: random.Random, index: int) -> dict:
    holder = rng.choices(list(ITEMS), weights=[55, 25, 15, 5])[0]
    items = rng.sample(ITEMS[holder], rng.randint(1, min(3, len(ITEMS[holder]))))
    if rng.random() < 0.10:
        items.append("clinical_record")
    subject: dict = {}
    if rng.random() < 0.6:
        subject["suspected_offences"] = [rng.choice(OFFENCES)]
    subject["in_contact_with_authorities"] = rng.random() < 0.3
    subject["other_efforts_failed"] = rng.random() < 0.7
    subject["considered_for_deportation"] = rng.random() < 0.4
    if rng.random() < 0.4:
        subject["convictions"] = [{"offence": "robbery", "sentence_months": rng.randint(0, 36)}]
    if rng.random() < 0.1:
        subject["investigations"] = [{"offence": "fraud", "sentence_months": rng.randint(0, 36)}]
    subject["risk_to_public"] = rng.random() < 0.1
    if holder == "nhs_trust":
        pence = 50000 if rng.random() < 0.05 else rng.randint(0, 200000)
        subject["nhs_debt"] = f"£{pence // 100}.{pence % 100:02d}"
    if holder == "home_office":
        subject["access_request"] = True
        subject["disclosure_prejudices_immigration_control"] = rng.random() < 0.3
    purposes = {"nhs_digital": "tracing", "nhs_trust": rng.choice(["voluntary_departure", "detention", "debt_recovery"]),
                "department_for_education": "immigration_enforcement", "home_office": "subject_access"}
    return {"id": f"r{index}", "date": datetime.date.fromordinal(rng.randint(START, END)).isoformat(),
            "requester": "data_subject" if holder == "home_office" else
            ("home_office" if rng.random() < 0.9 else "police"),
            "holder": holder, "purpose": purposes[holder], "items": items,
            "public_interest_satisfied": rng.random() < 0.8, "subject": subject}


def generate(count: int, seed: int = 7):
    rng = random.Random(seed)
    for index in range(count):
        yield request(rng, index)


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    for record in generate(count, int(sys.argv[2]) if len(sys.argv) > 2 else 7):
        sys.stdout.write(json.dumps(record) + "\n")

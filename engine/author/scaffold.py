"""`warrant init DIR`: a new rulebase that checks, proves its invariant and passes its golden case as created.

In: a folder that does not exist yet (or is empty). Out: the files of a
small, complete rulebase, written atomically: the request vocabulary, one
source, one assumption, a dated policy with a permission and a prohibition,
an invariant, and a golden case with its expected decision (made by
deciding the case, so it is the engine's own answer). Raises `WarrantError`
(O011) when the folder already holds files: nothing the author has is ever
overwritten.
"""
from __future__ import annotations

import os

from engine.pipeline.errors import WarrantError
from engine.pipeline.files import write_atomic

VOCABULARY = '''# The request vocabulary: every fact a request can state, with its type.
# Rules are type-checked against these declarations, and requests, the JSON
# Schema (`warrant schema`) and synthetic batches are derived from them.

enum record_kind "Kinds of record a request can ask for" {
    contact_details "Name, address and telephone number",
    case_notes "Notes kept on the person's case"
}

enum body "Who asks for the data" {
    council "The local council",
    other "Anyone else"
}

field date: date required as request_date "The day of the request (YYYY-MM-DD)."
field items: many record_kind required as requested
    "The records asked for; each is decided on its own."
field requester: body required fixed "Who asks for the data."
field subject.consented: boolean "The person has agreed to the records being shared."
'''

SOURCES = '''# The sources the rules cite.

source example_act {
    publisher "Parliament"
    title "Example Act 2024"
    date 2024-01-01
}

assumption consent_is_enough {
    question "Is the person's agreement enough on its own?"
    position "Yes: agreement is a sufficient ground for sharing contact details."
    reason "Section 2 names agreement as a ground without further conditions."
    reading "agreement suffices" cites example_act "s.2(1)"
    reading "agreement and a stated purpose" cites example_act "s.2(2)"
    default on
}
'''

POLICY = '''# What the Act permits, from the day it came into force.

policy example_sharing "Sharing under the Example Act 2024"
    in force from 2024-01-01
    cites example_act "s.1"
{
    permit consented_contact_details for Item
        "The council may receive contact details when the person has agreed."
        cites example_act "s.2(1)"
        assumes consent_is_enough
        when Item = contact_details
         and requester(council)
         and consented
         and assuming consent_is_enough
}

forbid case_notes_never for Item
    "Case notes are never shared."
    cites example_act "s.3"
    when Item = case_notes
'''

INVARIANTS = '''# Properties every possible request must satisfy; `warrant check` verifies them.

invariant only_the_council
    "Nothing is shared with anyone but the council."
    cites example_act "s.2"
    never permit Item
    when requester(Requester)
     and Requester != council
'''

CASE = '''# The council asks for contact details with the person's agreement.
id: council_with_consent
date: '2024-06-01'
requester: council
items:
- contact_details
- case_notes
subject:
  consented: true
'''

FILES = {"vocabulary.warrant": VOCABULARY, "sources.warrant": SOURCES, "policy.warrant": POLICY,
         "invariants.warrant": INVARIANTS, os.path.join("cases", "council_with_consent.yaml"): CASE}


def scaffold(folder: str) -> list[str]:
    """Write a new rulebase into `folder`; the paths written, in order."""
    if os.path.exists(folder) and (not os.path.isdir(folder) or os.listdir(folder)):
        raise WarrantError.at("O011", f"{folder} already exists and is not an empty folder; nothing was written",
                              notes=("`warrant init` never overwrites an author's files; name a new folder",))
    try:
        os.makedirs(os.path.join(folder, "cases"), exist_ok=True)
    except OSError as exc:
        raise WarrantError.at("O007", f"cannot create {folder}: {exc.strerror or exc}") from None
    written = []
    for name, text in FILES.items():
        path = os.path.join(folder, name)
        write_atomic(path, text)
        written.append(path)
    from engine.author.golden import run_case
    from engine.pipeline.rulebase import load_rulebase
    case = os.path.join(folder, "cases", "council_with_consent.yaml")
    run_case(load_rulebase([folder]), case, update=True)
    written.append(case.removesuffix(".yaml") + ".expected.json")
    return written

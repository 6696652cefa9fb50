"""`warrant init DIR`: a new rulebase that checks, proves its invariant and passes its golden case as created.

In: a folder that does not exist yet (or is empty). Out: the files of a
small, complete rulebase, written atomically: the request vocabulary (with
a judgement a request may leave open), one source, one assumption, a dated
policy with a permission that carries an obligation and a prohibition, an
invariant, and a golden case with its expected decision (made by
deciding the case, so it is the engine's own answer). Raises `WarrantError`
(O011) when the folder already holds files: nothing the author has is ever
overwritten.
"""
from __future__ import annotations

import os
import shutil
import tempfile

from warrant.pipeline.errors import WarrantError
from warrant.pipeline.files import new_folder_mode, write_atomic

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

# A judgement: a question somebody must answer. A request that leaves it out
# has not answered it; if the decision turns on it, the item is undetermined.
field sharing_necessary: boolean judgement
    "Somebody has judged the sharing necessary for the council's purpose."
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
        requires "Tell the person which records were shared and with whom." cites example_act "s.4"
        when Item = contact_details
         and requester(council)
         and consented
         and sharing_necessary
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
sharing_necessary: true
subject:
  consented: true
'''

FILES = {"vocabulary.warrant": VOCABULARY, "sources.warrant": SOURCES, "policy.warrant": POLICY,
         "invariants.warrant": INVARIANTS, os.path.join("cases", "council_with_consent.yaml"): CASE}


def scaffold(folder: str) -> list[str]:
    """Write a new rulebase into `folder`; the paths written, in order.

    Refused before anything is written when the name is empty or the target
    exists and is not an empty folder. The rulebase is built in a private
    folder beside the target (with the target's own name, so the golden
    case's locations are the ones it will have) and renamed into place in
    one step: a failed `init` leaves nothing behind, and a retry is clean.
    """
    if not folder or not folder.strip():
        raise WarrantError.at("O011", "name the folder for the new rulebase; nothing was written",
                              notes=("for example: warrant init my_law",))
    target = os.path.abspath(folder)
    if os.path.islink(target) or (os.path.exists(target) and (not os.path.isdir(target) or os.listdir(target))):
        raise WarrantError.at("O011", f"{folder} already exists and is not an empty folder; nothing was written",
                              notes=("`warrant init` never overwrites an author's files; name a new folder",))
    parent = os.path.dirname(target)
    try:
        os.makedirs(parent, exist_ok=True)
        staging = tempfile.mkdtemp(prefix=".warrant-init-", dir=parent)
    except OSError as exc:
        raise WarrantError.at("O007", f"cannot create {folder}: {exc.strerror or exc}") from None
    try:
        built = os.path.join(staging, os.path.basename(target))
        _build(built)
        os.chmod(built, new_folder_mode())
        os.chmod(os.path.join(built, "cases"), new_folder_mode())
        try:
            if os.path.isdir(target):         # the empty folder the author made (maybe the working folder):
                _move_into(built, target)     # keep it, move the files in
            else:
                os.rename(built, target)
        except OSError as exc:
            raise WarrantError.at("O011" if os.path.exists(target) else "O007",
                                  f"cannot create {folder}: {exc.strerror or exc}; nothing was written") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    names = list(FILES) + [os.path.join("cases", "council_with_consent.expected.json")]
    return [os.path.join(folder, name) for name in names]


def _move_into(built: str, target: str) -> None:
    """Move the built entries into an empty `target`; on failure, take back what was moved."""
    moved = []
    try:
        for name in sorted(os.listdir(built)):
            if os.path.lexists(os.path.join(target, name)):
                raise OSError(17, "the folder is no longer empty")
            os.rename(os.path.join(built, name), os.path.join(target, name))
            moved.append(name)
    except OSError:
        for name in moved:
            os.rename(os.path.join(target, name), os.path.join(built, name))
        raise


def _build(folder: str) -> None:
    """The scaffold's files in `folder` (a new, private folder), its golden case decided by the engine."""
    try:
        os.makedirs(os.path.join(folder, "cases"))
    except OSError as exc:
        raise WarrantError.at("O007", f"cannot create {folder}: {exc.strerror or exc}") from None
    for name, text in FILES.items():
        write_atomic(os.path.join(folder, name), text)
    from warrant.author.golden import run_case
    from warrant.pipeline.rulebase import load_rulebase
    run_case(load_rulebase([folder], cache=False), os.path.join(folder, "cases", "council_with_consent.yaml"),
             update=True)

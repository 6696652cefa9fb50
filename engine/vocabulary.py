"""The request vocabulary: every fact a request can state, in one table.

Each `Field` says where it sits in a request file, its type, which
predicate it becomes in the rules, and (for symbols) the values allowed.
The JSON Schema in schema/request.schema.json is generated from this table
(`warrant schema`), and the checker uses it to type rule conditions.
"""
from __future__ import annotations

from dataclasses import dataclass

from .values import BOOL, DATE, MONEY, MONTHS, SYMBOL


@dataclass(frozen=True, slots=True)
class Field:
    path: str                  # dotted path in the request, e.g. "subject.nhs_debt"
    predicate: str             # rule-language predicate it becomes
    kind: str                  # values.BOOL / SYMBOL / DATE / MONEY / MONTHS, or "records"
    doc: str
    values: tuple[str, ...] = ()          # allowed symbols (SYMBOL, or list of symbols)
    many: bool = False                    # a list of values, one fact each
    columns: tuple[tuple[str, str], ...] = ()  # for "records": (key, kind) per argument
    required: bool = False

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(k for k, _ in self.columns)

    @property
    def arity(self) -> int:
        if self.kind == BOOL:
            return 0
        if self.kind == "records":
            return len(self.columns)
        return 1

    def arg_kinds(self) -> tuple[str, ...]:
        if self.kind == BOOL:
            return ()
        if self.kind == "records":
            return tuple(kind for _, kind in self.columns)
        return (self.kind,)


PARTIES = ("home_office", "police", "local_authority", "dwp", "hmrc", "data_subject", "other")
HOLDERS = ("nhs_digital", "nhs_trust", "department_for_education", "home_office")
PURPOSES = ("immigration_enforcement", "tracing", "deportation", "debt_recovery",
            "reporting_restrictions", "voluntary_departure", "detention", "welfare", "subject_access")
ITEMS = ("name", "date_of_birth", "last_known_address", "gp_practice", "age",
         "clinical_record", "diagnosis", "treatment",
         "pupil_name", "pupil_address", "nationality", "country_of_birth",
         "immigration_record")
OFFENCE_KINDS = ("overstaying", "illegal_entry", "breach_of_reporting_restrictions", "absconding",
                 "escaping_detention", "deception_to_obtain_leave")

FIELDS: tuple[Field, ...] = (
    Field("date", "request_date", DATE, "The day the request was made (YYYY-MM-DD).", required=True),
    Field("requester", "requester", SYMBOL, "Who asks for the data.", PARTIES, required=True),
    Field("holder", "holder", SYMBOL, "Who holds the data.", HOLDERS, required=True),
    Field("purpose", "purpose", SYMBOL, "What the data is wanted for.", PURPOSES, required=True),
    Field("items", "requested", SYMBOL, "The data items asked for; each is decided on its own.",
          ITEMS, many=True, required=True),
    Field("public_interest_satisfied", "public_interest_satisfied", BOOL,
          "The holder is satisfied that the request is in the public interest."),
    Field("subject.suspected_offences", "suspected_offence", SYMBOL,
          "Immigration offences the subject is suspected of.", OFFENCE_KINDS, many=True),
    Field("subject.in_contact_with_authorities", "in_contact_with_authorities", BOOL,
          "The subject is in contact with the authorities."),
    Field("subject.other_efforts_failed", "other_efforts_failed", BOOL,
          "Other reasonable and appropriate efforts to locate the subject have failed."),
    Field("subject.considered_for_deportation", "considered_for_deportation", BOOL,
          "The subject is being considered for deportation action."),
    Field("subject.convictions", "convicted", "records",
          "Criminal convictions, each with the prison sentence given.",
          columns=(("offence", SYMBOL), ("sentence_months", MONTHS))),
    Field("subject.investigations", "investigated", "records",
          "Offences the subject is or was investigated for, each with the minimum sentence it carries.",
          columns=(("offence", SYMBOL), ("sentence_months", MONTHS))),
    Field("subject.risk_to_public", "risk_to_public", BOOL,
          "The Home Office judges that the subject presents a risk to the public."),
    Field("subject.welfare_concern", "welfare_concern", BOOL,
          "Information is needed to protect the subject's welfare."),
    Field("subject.nhs_debt", "nhs_debt", MONEY,
          "Outstanding debt to the NHS, e.g. \"£500.00\" (exact; never a float)."),
    Field("subject.access_request", "access_request", BOOL,
          "The subject asks for access to data held on them (subject access)."),
    Field("subject.disclosure_prejudices_immigration_control", "prejudices_immigration_control", BOOL,
          "Disclosing the data to the subject would prejudice immigration control."),
)

BY_PATH = {f.path: f for f in FIELDS}
BY_PREDICATE = {f.predicate: f for f in FIELDS}

#: Keys a request may hold besides the fact fields.
META_KEYS = ("id", "description", "assume", "drafts")


def json_schema() -> dict:
    """The JSON Schema (draft 2020-12) of a request, generated from FIELDS."""

    def leaf(field: Field) -> dict:
        if field.kind == BOOL:
            schema: dict = {"type": "boolean"}
        elif field.kind == DATE:
            schema = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
        elif field.kind == MONEY:
            schema = {"type": "string", "pattern": r"^£?\d{1,12}(\.\d{2})?$"}
        elif field.kind == MONTHS:
            schema = {"type": "integer", "minimum": 0}
        elif field.kind == "records":
            props = {}
            for key, kind in field.columns:
                props[key] = {"type": "integer", "minimum": 0, "maximum": 1200} if kind == MONTHS else \
                    {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}
            schema = {"type": "array", "items": {"type": "object", "properties": props,
                                                  "required": [k for k, _ in field.columns],
                                                  "additionalProperties": False}}
        else:
            schema = {"type": "string", "enum": list(field.values)}
            if field.many:
                schema = {"type": "array", "items": schema, "uniqueItems": True}
        schema["description"] = field.doc
        return schema

    top: dict = {"id": {"type": "string", "description": "A name for the request, echoed in decisions."},
                 "description": {"type": "string"},
                 "assume": {"type": "object", "additionalProperties": {"type": "boolean"},
                            "description": "Named assumptions switched on (true) or off (false)."},
                 "drafts": {"type": "array", "items": {"type": "string"},
                            "description": "Draft policies to switch on for a what-if."}}
    subject: dict = {}
    for field in FIELDS:
        if field.path.startswith("subject."):
            subject[field.path.split(".", 1)[1]] = leaf(field)
        else:
            top[field.path] = leaf(field)
    top["subject"] = {"type": "object", "properties": subject, "additionalProperties": False}
    if "items" in top:
        top["items"]["minItems"] = 1
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://warrant.example/request.schema.json",
        "title": "Warrant request",
        "type": "object",
        "properties": top,
        "required": [f.path for f in FIELDS if f.required],
        "additionalProperties": False,
    }

"""The request vocabulary, declared in rule files: `enum` and `field` declarations -> `Vocabulary`.

In: the `EnumDecl`s and `FieldDecl`s of a rulebase, in file order. Out: a
`Vocabulary` (every fact a request can state: its dotted path, type, the
predicate it becomes, allowed values) and the diagnostics found building it
(codes C123-C128, docs/ERRORS.md). Everything about requests is derived from
it: validation (engine/pipeline/request.py), the JSON Schema (`warrant schema`), the
relevance classes and batch keys, the counterfactual search space,
invariant enumeration and synthetic requests. The engine itself knows only
two fields by name, because they are what a decision is: `date` (the day
that selects the rules in force, predicate `request_date`) and `items` (the
things decided one by one, predicate `requested`).
"""
from __future__ import annotations

from dataclasses import dataclass, field as _field
from functools import cached_property

from warrant.pipeline.errors import Diagnostic, Span, did_you_mean
from warrant.pipeline.values import BOOL, DATE, MONEY, MONTHS, NUMBER, SYMBOL

#: Built-in type names of the rule language, and the value kind each becomes.
TYPES = {"boolean": BOOL, "date": DATE, "money": MONEY, "months": MONTHS, "number": NUMBER, "symbol": SYMBOL}
#: Column types a records field may use (an enumeration's name too).
COLUMN_TYPES = ("date", "money", "months", "number", "symbol")
#: The two fields every rulebase declares, with the predicate and type the engine relies on.
DATE_FIELD, ITEMS_FIELD = "date", "items"
DATE_PREDICATE, ITEMS_PREDICATE = "request_date", "requested"
#: Keys a request may hold besides the fact fields.
META_KEYS = ("id", "description", "assume", "drafts")
MAX_NUMBER = 10**12          # whole numbers in requests are at most this large


def parent_of(document: dict, path: str) -> tuple[dict, str]:
    """The mapping that holds a dotted path's last part (made on the way), and that part.

    >>> doc = {}; parent, key = parent_of(doc, "subject.age"); parent[key] = 9; doc
    {'subject': {'age': 9}}
    """
    *heads, last = path.split(".")
    for head in heads:
        document = document.setdefault(head, {})
        if not isinstance(document, dict):
            raise TypeError(f"{head} is not a mapping")
    return document, last


@dataclass(frozen=True, slots=True)
class Field:
    path: str                  # dotted path in the request, e.g. "subject.debt"
    predicate: str             # rule-language predicate it becomes
    kind: str                  # values.BOOL / SYMBOL / DATE / MONEY / MONTHS / NUMBER, or "records"
    doc: str
    values: tuple[str, ...] = ()          # allowed symbols (from an enumeration), empty: any name
    many: bool = False                    # a list of values, one fact each
    columns: tuple[tuple[str, str], ...] = ()  # for "records": (key, kind) per argument
    required: bool = False
    fixed: bool = False                   # what-would-change suggestions leave it alone unless --vary names it
    enum: str | None = None
    column_values: tuple[tuple[str, ...], ...] = ()   # for "records": allowed symbols per column
    span: Span | None = _field(default=None, compare=False, repr=False)
    judgement: bool = False               # a yes/no question a request may leave open (pipeline/judgement.py)
    mask: str | None = None               # the decision log stores it `hashed` or `dropped` (engine/log/masking.py)

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


@dataclass(frozen=True, slots=True)
class Enumeration:
    name: str
    doc: str | None
    values: tuple[str, ...]
    docs: tuple[str | None, ...]
    span: Span | None = _field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Vocabulary:
    fields: tuple[Field, ...]
    enums: tuple[Enumeration, ...] = ()

    @cached_property
    def by_path(self) -> dict[str, Field]:
        return {f.path: f for f in self.fields}

    @cached_property
    def by_predicate(self) -> dict[str, Field]:
        return {f.predicate: f for f in self.fields}

    @cached_property
    def by_fact(self) -> dict[str, Field]:
        """Keyed by the compiled fact predicate (`u_` + predicate)."""
        return {"u_" + f.predicate: f for f in self.fields}

    @cached_property
    def checked(self) -> frozenset:
        """Compiled predicates of the required single-valued fields: they key the relevance classes."""
        return frozenset("u_" + f.predicate for f in self.fields if f.required and not f.many and f.arity == 1)

    @cached_property
    def judgements(self) -> tuple[Field, ...]:
        """The judgement fields, in declaration order: questions a request may leave open."""
        return tuple(f for f in self.fields if f.judgement)

    @cached_property
    def fixed(self) -> tuple[str, ...]:
        """Paths the what-would-change search leaves alone by default: date, items and every `fixed` field."""
        return tuple(dict.fromkeys([DATE_FIELD, ITEMS_FIELD] + [f.path for f in self.fields if f.fixed]))

    @cached_property
    def tree(self) -> dict:
        """The request's shape: nested mappings of path parts, leaves are Fields."""
        root: dict = {}
        for spec in self.fields:
            node, last = parent_of(root, spec.path)
            node[last] = spec
        return root

    def json_schema(self) -> dict:
        """The JSON Schema (draft 2020-12) of a request, generated from the declarations."""
        top: dict = {"id": {"type": ["string", "integer"], "description": "A name for the request, echoed in decisions."},
                     "description": {"type": "string"},
                     "assume": {"type": "object", "additionalProperties": {"type": "boolean"},
                                "description": "Named assumptions switched on (true) or off (false)."},
                     "drafts": {"type": "array", "items": {"type": "string"},
                                "description": "Draft policies to switch on for a what-if."}}

        def level(node: dict, properties: dict) -> list[str]:
            required = []
            for name, child in node.items():
                if isinstance(child, Field):
                    properties[name] = _leaf_schema(child)
                    if child.required:
                        required.append(name)
                else:
                    inner: dict = {}
                    need = level(child, inner)
                    # a mapping left empty (`subject:` in YAML) may be null, unless a field inside is required
                    properties[name] = {"type": "object" if need else ["object", "null"], "properties": inner,
                                        "additionalProperties": False}
                    if need:
                        properties[name]["required"] = need
                        required.append(name)
            return required

        required = level(self.tree, top)
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://warrant.example/request.schema.json",
            "title": "Warrant request",
            "type": "object",
            "properties": top,
            "required": required,
            "additionalProperties": False,
        }


_PATTERNS = {DATE: {"type": "string", "format": "date", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
             MONEY: {"type": "string", "pattern": r"^£[0-9]{1,12}(\.[0-9]{2})?$"},
             MONTHS: {"type": "integer", "minimum": 0, "maximum": 1200},
             NUMBER: {"type": "integer", "minimum": 0, "maximum": MAX_NUMBER},
             BOOL: {"type": "boolean"}}


def _value_schema(kind: str, values: tuple[str, ...]) -> dict:
    if kind == SYMBOL:
        return {"type": "string", "enum": list(values)} if values else \
            {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}
    return dict(_PATTERNS[kind])


def _leaf_schema(spec: Field) -> dict:
    if spec.kind == "records":
        props = {key: _value_schema(kind, allowed)
                 for (key, kind), allowed in zip(spec.columns, spec.column_values)}
        schema: dict = {"type": "array", "items": {"type": "object", "properties": props,
                                                    "required": list(spec.column_names),
                                                    "additionalProperties": False}}
    else:
        schema = _value_schema(spec.kind, spec.values)
        if spec.many:
            schema = {"type": "array", "items": schema, "uniqueItems": True}
            if spec.required:
                schema["minItems"] = 1
    schema["description"] = spec.doc + (" A judgement: leave it out while nobody has answered it, and the "
                                        "decision says what each answer would give." if spec.judgement else "")
    return schema


def build_vocabulary(enum_decls: list, field_decls: list, order: dict) -> tuple[Vocabulary, list[Diagnostic]]:
    """Resolve field types against the enumerations; report every bad declaration.

    `order` maps a declaration's id() to its position in the rulebase (file
    order, then place in the file), so "used before it is declared" is exact.
    """
    diags: list[Diagnostic] = []

    def error(code, message, span, *, suggestion=None, notes=(), severity="error", related=()):
        diags.append(Diagnostic(code, message, span, severity, tuple(notes), suggestion,
                                tuple(r for r in related if r is not None)))

    enums: dict[str, Enumeration] = {}
    enum_at: dict[str, int] = {}
    for decl in enum_decls:
        if decl.name in enums or decl.name in TYPES or decl.name == "records":
            where = enums[decl.name].span if decl.name in enums else None
            error("C123", f"enumeration `{decl.name}` is declared twice" if where else
                  f"`{decl.name}` is a built-in type and cannot name an enumeration", decl.span,
                  notes=(f"first declared at {where}",) if where else (), related=(where,))
            continue
        names = [v.name for v in decl.values]
        for index, value in enumerate(decl.values):
            if value.name in names[:index]:
                error("C123", f"enumeration `{decl.name}` lists `{value.name}` twice", value.span)
        enums[decl.name] = Enumeration(decl.name, decl.doc, tuple(dict.fromkeys(names)),
                                       tuple(v.doc for v in decl.values), decl.span)
        enum_at[decl.name] = order[id(decl)]

    def resolve(type_name: str, span, user) -> tuple[str, tuple[str, ...], str | None] | None:
        if type_name in TYPES:
            return TYPES[type_name], (), None
        if type_name in enums:
            if enum_at[type_name] > order[id(user)]:
                error("C125", f"enumeration `{type_name}` is used before it is declared", span,
                      notes=(f"declared at {enums[type_name].span}; declare enumerations before the fields "
                             "that use them",), related=(enums[type_name].span,))
                return None
            return SYMBOL, enums[type_name].values, type_name
        error("C124", f"unknown type `{type_name}`", span, suggestion=did_you_mean(type_name, list(TYPES) + list(enums)),
              notes=(f"types: {', '.join(TYPES)}, records {{...}}, or a declared enumeration",))
        return None

    fields: list[Field] = []
    paths: dict[str, Field] = {}
    predicates: dict[str, Field] = {}
    for decl in field_decls:
        if decl.path in paths:
            error("C123", f"field `{decl.path}` is declared twice", decl.span,
                  notes=(f"first declared at {paths[decl.path].span}",), related=(paths[decl.path].span,))
            continue
        if decl.predicate in predicates:
            error("C123", f"fields `{predicates[decl.predicate].path}` and `{decl.path}` both become "
                          f"`{decl.predicate}`", decl.span, notes=("give one of them `as OTHER_NAME`",))
            continue
        clash = next((p for p in paths if p.startswith(decl.path + ".") or decl.path.startswith(p + ".")), None)
        if clash:
            error("C126", f"field `{decl.path}` and field `{clash}` cannot both be declared: one is inside the other",
                  decl.span)
            continue
        if decl.columns and decl.judgement:
            error("C137", f"a judgement is a boolean question a request may leave open; `{decl.path}` is records",
                  decl.type_span, notes=("declare it `boolean judgement`, without `required`",))
            continue
        if decl.columns:
            columns, allowed = [], []
            for column in decl.columns:
                resolved = resolve(column.type, column.span, decl)
                if resolved is not None and resolved[0] == BOOL:
                    error("C124", "a records column cannot be boolean", column.span,
                          notes=(f"column types: {', '.join(COLUMN_TYPES)}, or an enumeration",))
                    resolved = None
                if resolved is None:
                    break
                columns.append((column.name, resolved[0]))
                allowed.append(resolved[1])
            else:
                names = [c for c, _ in columns]
                if len(set(names)) != len(names):
                    error("C123", f"field `{decl.path}` names a column twice", decl.type_span)
                    continue
                spec = Field(decl.path, decl.predicate, "records", decl.doc, (), True, tuple(columns),
                             decl.required, decl.fixed, None, tuple(allowed), decl.span, mask=decl.mask)
                fields.append(spec)
                paths[decl.path] = predicates[decl.predicate] = spec
            continue
        resolved = resolve(decl.type, decl.type_span, decl)
        if resolved is None:
            continue
        kind, values, enum = resolved
        if decl.many and kind == BOOL:
            error("C124", "a boolean field cannot be `many`", decl.type_span)
            continue
        if decl.judgement and (kind != BOOL or decl.required):
            error("C137", f"a judgement is a boolean question a request may leave open; `{decl.path}` is "
                          + ("required" if kind == BOOL else f"{'many ' if decl.many else ''}{decl.type}"),
                  decl.type_span if kind != BOOL else decl.span,
                  notes=("declare it `boolean judgement`, without `required`",))
            continue
        spec = Field(decl.path, decl.predicate, kind, decl.doc, values, decl.many, (), decl.required, decl.fixed,
                     enum, (), decl.span, decl.judgement, decl.mask)
        fields.append(spec)
        paths[decl.path] = predicates[decl.predicate] = spec
    vocabulary = Vocabulary(tuple(fields), tuple(enums.values()))
    first = field_decls[0].span if field_decls else None
    for path, predicate, kind, many in ((DATE_FIELD, DATE_PREDICATE, DATE, False),
                                         (ITEMS_FIELD, ITEMS_PREDICATE, SYMBOL, True)):
        spec = paths.get(path)
        shape = f"field {path}: {'many ' if many else ''}{'date' if kind == DATE else 'ENUM'} required" \
                f" as {predicate} \"...\""
        if spec is None:
            error("C127", f"the rulebase declares no `{path}` field; every request needs one", first,
                  notes=(f"declare it: {shape}",))
        elif spec.predicate != predicate or spec.kind != kind or spec.many != many or not spec.required:
            error("C127", f"field `{path}` must be declared as `{shape}`", spec.span,
                  notes=("the engine decides each item on the request's date through these two predicates",))
    return vocabulary, diags

"""What-if overrides: `--set FIELD=VALUE` on a request, re-validated.

Values are read as YAML scalars or flow collections (`true`, `18`,
`"£500.00"`, `[overstaying]`, `[{offence: robbery, sentence_months: 18}]`),
applied at the dotted path, and the whole request is validated again, so an
override is held to the same rules as a request file.
"""
from __future__ import annotations

import copy

from warrant.pipeline.errors import WarrantError, did_you_mean
from warrant.pipeline.request import Request, request_from_data
from warrant.pipeline.vocabulary import META_KEYS, Vocabulary, parent_of


def parse_assignment(text: str, vocabulary: Vocabulary) -> tuple[str, object]:
    if "=" not in text:
        raise WarrantError.at("O001", f"--set takes FIELD=VALUE, got {text!r}")
    path, raw = text.split("=", 1)
    path = path.strip()
    fields = vocabulary.by_path
    if path not in fields and path not in META_KEYS:
        raise WarrantError.at("O001", f"unknown field {path!r} in --set", suggestion=did_you_mean(path, fields))
    try:
        import yaml
        from warrant.pipeline.request import yaml_loader
        value = yaml.load(raw, Loader=yaml_loader()) if raw.strip() else None   # dates stay text, checked later
    except (yaml.YAMLError, ValueError):
        raise WarrantError.at("O001", f"cannot read the value in --set {text!r}") from None
    if fields.get(path) is not None and fields[path].kind == "money" and isinstance(value, (int, float)):
        value = raw.strip()
    return path, value


def apply_overrides(request: Request, assignments: list[str],
                    vocabulary: Vocabulary) -> tuple[Request, list[tuple[str, str]]]:
    """The request with each FIELD=VALUE applied, and the settings to report."""
    if not assignments:
        return request, []
    data = copy.deepcopy(request.data)
    shown = []
    for text in assignments:
        path, value = parse_assignment(text, vocabulary)
        try:
            target, head = parent_of(data, path)
        except TypeError as exc:
            raise WarrantError.at("O001", f"{exc} in this request") from None
        if value is None:
            target.pop(head, None)
        else:
            target[head] = value
        import yaml
        shown.append(("--set", f"{path}={yaml.safe_dump(value, default_flow_style=True).strip().removesuffix('...').strip()}"))
    try:
        updated = request_from_data(data, None, None, default_id=request.id, vocabulary=vocabulary)
    except WarrantError as exc:
        raise WarrantError([d.__class__(d.code, f"after --set: {d.message}", None, d.severity, d.notes, d.suggestion)
                            for d in exc.diagnostics]) from None
    return updated, shown

"""What-if overrides: `--set FIELD=VALUE` on a request, re-validated.

Values are read as YAML scalars or flow collections (`true`, `18`,
`"£500.00"`, `[overstaying]`, `[{offence: robbery, sentence_months: 18}]`),
applied at the dotted path, and the whole request is validated again, so an
override is held to the same rules as a request file.
"""
from __future__ import annotations

import copy

from .errors import WarrantError, did_you_mean
from .request import Request, request_from_data
from .vocabulary import BY_PATH, META_KEYS


def parse_assignment(text: str) -> tuple[str, object]:
    if "=" not in text:
        raise WarrantError.at("O001", f"--set takes FIELD=VALUE, got {text!r}")
    path, raw = text.split("=", 1)
    path = path.strip()
    if path not in BY_PATH and path not in META_KEYS:
        raise WarrantError.at("O001", f"unknown field {path!r} in --set", suggestion=did_you_mean(path, BY_PATH))
    try:
        import yaml
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        raise WarrantError.at("O001", f"cannot read the value in --set {text!r}") from None
    if BY_PATH.get(path) is not None and BY_PATH[path].kind == "money" and isinstance(value, (int, float)):
        value = raw.strip()
    return path, value


def apply_overrides(request: Request, assignments: list[str]) -> tuple[Request, list[tuple[str, str]]]:
    """The request with each FIELD=VALUE applied, and the settings to report."""
    if not assignments:
        return request, []
    data = copy.deepcopy(request.data)
    shown = []
    for text in assignments:
        path, value = parse_assignment(text)
        head, _, rest = path.partition(".")
        target = data
        if rest:
            target = data.setdefault(head, {})
            if not isinstance(target, dict):
                raise WarrantError.at("O001", f"{head} is not a mapping in this request")
            head = rest
        if value is None:
            target.pop(head, None)
        else:
            target[head] = value
        import yaml
        shown.append(("--set", f"{path}={yaml.safe_dump(value, default_flow_style=True).strip().removesuffix('...').strip()}"))
    try:
        updated = request_from_data(data, None, None, default_id=request.id)
    except WarrantError as exc:
        raise WarrantError([d.__class__(d.code, f"after --set: {d.message}", None, d.severity, d.notes, d.suggestion)
                            for d in exc.diagnostics]) from None
    return updated, shown

"""The decision record: what produced an answer, so it can be traced back to the rules that gave it.

Every JSON decision and batch record carries `record`:
- `warrant`: Warrant's version;
- `rulebase`: the folder's own name (`rules`, `uk_gdpr`: the same from any
  working folder, see `rulebase_name`) and the sha256 over its rule files,
  each file's name (relative to the rulebase's folder) and bytes, in sorted
  order;
- `request_sha256`: the sha256 of the canonical request (its document as
  JSON, keys sorted, no spaces, UTF-8);
- `settings`: the date decided on, every assumption's value and the drafts on.

No wall-clock time: the same input gives a byte-identical record. Golden
files keep the request digest and settings but not the version or the
rulebase digest, which change with every release and every rule edit
(`stable_record`).
"""
from __future__ import annotations

import hashlib
import json
import os
import stat

from warrant import __version__
from warrant.pipeline.grounding import settings_view
from warrant.pipeline.limits import MAX_RULE_FILE_BYTES


def rulebase_digest(rulebase) -> dict:
    """{"rules": label, "sha256": hex}, computed once per loaded rulebase."""
    cached = rulebase.__dict__.get("_record_digest")
    if cached is None:
        cached = rulebase.__dict__["_record_digest"] = files_digest(rulebase.files, rulebase.folder)
    return cached


def rulebase_base(files, folder: str | None = None) -> str:
    """The rulebase's folder, absolute: the one given, else the folder its files share ("" with neither)."""
    if folder:
        return os.path.abspath(folder)
    return os.path.commonpath([os.path.dirname(os.path.abspath(f)) for f in files]) if files else ""


def rulebase_name(files, folder: str | None = None) -> str:
    """How every output and record names a rulebase: its folder's own name (`rules`, `crime_disorder_s115`),
    never a path, so a decision made from any working folder names it alike; its digest tells apart two
    folders of one name. The absolute path is printed only where a user asks for it."""
    base = rulebase_base(files, folder)
    if not base:
        return ""
    return os.path.basename(base.rstrip(os.sep)) or "."


def files_digest(files, folder: str | None = None) -> dict:
    """The digest of rule files as named (also for `warrant check`, which may have no loadable rulebase)."""
    files = sorted(files)
    base = rulebase_base(files, folder)
    digest = hashlib.sha256()
    try:
        for path in sorted(files, key=lambda p: os.path.relpath(os.path.abspath(p), base).replace(os.sep, "/")):
            name = os.path.relpath(os.path.abspath(path), base).replace(os.sep, "/")
            digest.update(name.encode("utf-8") + b"\0")
            if not stat.S_ISREG(os.stat(path).st_mode):
                raise OSError("not a regular file")      # never open a FIFO or device (check refuses it)
            with open(path, "rb") as handle:
                left = MAX_RULE_FILE_BYTES + 1          # a file over the limit is refused; reading it is not needed
                while left > 0:
                    chunk = handle.read(min(left, 1 << 20))
                    if not chunk:
                        break
                    digest.update(chunk)
                    left -= len(chunk)
            digest.update(b"\0")
        hexdigest = digest.hexdigest()
    except OSError:
        hexdigest = None          # a rulebase built in memory (tests): there are no files to vouch for
    return {"rules": rulebase_name(files, folder), "sha256": hexdigest}


def header(digest: dict) -> str:
    """The one line a text output starts with: which rulebase answered."""
    return f"rulebase: {digest['rules'] or '.'} (sha256 {(digest['sha256'] or 'none')[:12]})"


def request_digest(request) -> str:
    canonical = json.dumps(request.data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def decision_record(rulebase, request, date, switches: dict, drafts) -> dict:
    return {"warrant": __version__, "rulebase": rulebase_digest(rulebase), "request_sha256": request_digest(request),
            "settings": {"date": date.isoformat(), "assumptions": _settings(rulebase, switches),
                         "drafts": sorted(drafts)}}


def _settings(rulebase, switches: dict) -> dict:
    """The settings per assumption of `switches`, worked out once per distinct setting (a batch repeats a few)."""
    memo = rulebase.__dict__.setdefault("_settings_views", {})
    key = tuple(sorted(switches.items()))
    found = memo.get(key)
    if found is None:
        if len(memo) >= 1024:                 # bounded: a batch has few distinct settings; a hostile one, many
            memo.clear()
        found = memo[key] = settings_view(rulebase.checked, switches)
    return dict(found)


def stable_record(record: dict) -> dict:
    """The part of a record that belongs in a golden file: what the case asks, not what release answered."""
    return {k: v for k, v in record.items() if k not in ("warrant", "rulebase")}

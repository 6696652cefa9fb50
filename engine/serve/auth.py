"""Who may do what: bearer tokens read from a file, kept there only as sha256 hashes, each with roles.

    # tokens.yaml (made with `warrant token NAME --role decide --role read-log`)
    - name: records-team
      sha256: 5f1d...            # sha256 of the token; the token itself is never stored
      roles: [decide, read-log]

Roles: `decide` (POST /v1/decide, /v1/decide/batch), `read-log` (the log
holds personal data: GET /v1/decisions...), `admin` (reload, replay).
A presented token is hashed and compared with every stored hash in
constant time; a wrong or missing token is 401 with nothing more, a token
without the role 403. Without a token file the server serves loopback
only (`warrant serve` refuses any other address).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

import warrant

ROLES = ("decide", "read-log", "admin")


@dataclass(frozen=True)
class Bearer:
    name: str
    sha256: str
    roles: frozenset


class Tokens:
    """The token file, loaded once (reload reads it again)."""

    def __init__(self, bearers: tuple[Bearer, ...]):
        self.bearers = bearers

    @classmethod
    def read(cls, path: str) -> "Tokens":
        import yaml
        try:
            with open(path, encoding="utf-8") as handle:
                data = yaml.safe_load(handle)
        except OSError as exc:
            raise warrant.WarrantError.at("S001", f"cannot read the token file {path}: {exc.strerror}") from None
        except yaml.YAMLError as exc:
            raise warrant.WarrantError.at("S001", f"the token file {path} is not YAML: {exc}") from None
        if not isinstance(data, list) or not data:
            raise warrant.WarrantError.at("S001", f"the token file {path} is a list of {{name, sha256, roles}}")
        bearers = []
        for index, entry in enumerate(data):
            where = f"{path}: entry {index + 1}"
            if not isinstance(entry, dict) or set(entry) - {"name", "sha256", "roles"}:
                raise warrant.WarrantError.at("S001", f"{where} has keys name, sha256 and roles only")
            digest, roles = str(entry.get("sha256", "")).lower(), entry.get("roles")
            if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
                raise warrant.WarrantError.at("S001", f"{where}: sha256 is the token's sha256 in hex (64 digits); "
                                                      "the token itself is never stored")
            if not isinstance(roles, list) or not roles or any(r not in ROLES for r in roles):
                raise warrant.WarrantError.at("S001", f"{where}: roles is a list of {', '.join(ROLES)}")
            bearers.append(Bearer(str(entry.get("name") or f"token {index + 1}"), digest, frozenset(roles)))
        return cls(tuple(bearers))

    def bearer(self, authorization: str | None) -> Bearer | None:
        """The bearer of a `Bearer TOKEN` header, or None; every stored hash is compared, in constant time."""
        if not authorization or not authorization.startswith("Bearer "):
            return None
        presented = hashlib.sha256(authorization[7:].strip().encode("utf-8", "replace")).hexdigest()
        found = None
        for bearer in self.bearers:
            if hmac.compare_digest(presented, bearer.sha256):
                found = bearer
        return found


def new_token(name: str, roles: list[str]) -> tuple[str, str]:
    """(a new random token, the token file entry that admits it) for `warrant token`."""
    unknown = [r for r in roles if r not in ROLES]
    if not roles or unknown:
        raise warrant.WarrantError.at("S001", f"--role is one of {', '.join(ROLES)}"
                                              + (f", not {unknown[0]!r}" if unknown else " (at least one)"))
    token = "wt_" + secrets.token_urlsafe(32)
    digest = hashlib.sha256(token.encode()).hexdigest()
    entry = f"- name: {name}\n  sha256: {digest}\n  roles: [{', '.join(roles)}]\n"
    return token, entry

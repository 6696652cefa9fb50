"""`python -m warrant.apidoc`: the API reference (docs/API.md), made from the public API's docstrings.

Only what `warrant` exports is documented; the page is plain Markdown,
stable (no addresses, no dates), so a test can keep it current.
"""
from __future__ import annotations

import inspect


def _doc(obj) -> str:
    return inspect.cleandoc(obj.__doc__ or "").strip()


def _signature(obj) -> str:
    for evaluate in (True, False):
        try:
            return str(inspect.signature(obj, eval_str=evaluate)).replace("datetime.date", "date") \
                .replace("os.PathLike", "PathLike").replace("typing.", "").replace("collections.abc.", "")
        except (TypeError, ValueError, NameError):
            continue
    return "(...)"


def reference() -> str:
    import warrant
    out = ["# Warrant's Python API", "",
           "Generated from the docstrings by `python -m warrant.apidoc` (do not edit by hand).", "",
           _doc(warrant.api).split("\n\n")[0], ""]
    for name in warrant.__all__:
        if name == "__version__":
            continue
        obj = getattr(warrant, name)
        if inspect.isclass(obj):
            kind = "enum" if issubclass(obj, __import__("enum").Enum) else "class"
            out += [f"## `{name}` ({kind})", ""]
            if kind == "enum":
                out += [_doc(obj), "", "Members: " + ", ".join(f"`{m.name}` (`{m.value!r}`)" for m in obj), ""]
                continue
            out += [_doc(obj), ""]
            for member, value in sorted(vars(obj).items()):
                if member.startswith("_"):
                    continue
                if isinstance(value, property):
                    out += [f"- `{name}.{member}` (property): {_doc(value.fget) or ''}".rstrip(": "), ""]
                elif isinstance(value, staticmethod):
                    out += [f"### `{name}.{member}{_signature(value.__func__)}` (static)", "",
                            _doc(value.__func__), ""]
                elif inspect.isfunction(value):
                    out += [f"### `{name}.{member}{_signature(value)}`", "", _doc(value), ""]
        elif inspect.isfunction(obj):
            out += [f"## `warrant.{name}{_signature(obj)}`", "", _doc(obj), ""]
        else:
            out += [f"## `warrant.{name}`", "", f"`{obj!r}`", ""]
    return "\n".join(line.rstrip() for line in out).rstrip() + "\n"


if __name__ == "__main__":
    import sys
    sys.stdout.write(reference())

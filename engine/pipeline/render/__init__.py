"""Render stage: `trace.Decision` -> text, JSON, Markdown, DOT or a self-contained HTML report.

Renderers read only the decision data; none of them looks at rules or the
engine, so what is shown is exactly what was decided. The Markdown, DOT
and HTML renderers are imported when first used (DOT brings in the
`graphviz` package), so `warrant decide` starts without them.
"""
from __future__ import annotations

from warrant.pipeline.render.json import decision_to_json, render_json
from warrant.pipeline.render.text import render_text


def render_markdown(decisions) -> str:
    from warrant.pipeline.render.markdown import render_markdown as render
    return render(decisions)


def render_dot(decisions) -> str:
    from warrant.pipeline.render.dot import render_dot as render
    return render(decisions)


def render_html(decisions) -> str:
    from warrant.pipeline.render.html import render_html as render
    return render(decisions)


RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown, "dot": render_dot,
             "html": render_html}

__all__ = ["RENDERERS", "decision_to_json", "render_text", "render_json", "render_markdown", "render_dot",
           "render_html"]

"""Render stage: `trace.Decision` -> text, JSON, Markdown, DOT or a self-contained HTML report.

Renderers read only the decision data; none of them looks at rules or the
engine, so what is shown is exactly what was decided.
"""
from __future__ import annotations

from engine.pipeline.render.text import render_text
from engine.pipeline.render.json import decision_to_json, render_json
from engine.pipeline.render.markdown import render_markdown
from engine.pipeline.render.dot import render_dot
from engine.pipeline.render.html import render_html

RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown, "dot": render_dot, "html": render_html}

__all__ = ["RENDERERS", "decision_to_json", "render_text", "render_json", "render_markdown", "render_dot", "render_html"]

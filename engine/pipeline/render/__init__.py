"""Render stage: `trace.Decision` -> text, JSON, Markdown or DOT.

Renderers read only the decision data; none of them looks at rules or the
engine, so what is shown is exactly what was decided.
"""
from __future__ import annotations

from engine.pipeline.render.text import render_text
from engine.pipeline.render.json import decision_to_json, render_json
from engine.pipeline.render.markdown import render_markdown
from engine.pipeline.render.dot import render_dot

RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown, "dot": render_dot}

__all__ = ["RENDERERS", "decision_to_json", "render_text", "render_json", "render_markdown", "render_dot"]

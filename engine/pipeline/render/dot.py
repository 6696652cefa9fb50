"""The derivation as a Graphviz graph (`--format dot`), built with the `graphviz` package.

One cluster per request; each requested item is a root, coloured by its
outcome, with its proofs below it (permissions or the prohibition that
decided) and, for a refusal with no permission, each permission tried with
the condition that failed (dashed); for an undetermined item, each answer
to its open judgements and what it gives (dotted). Labels are HTML-like tables: the
conclusion, the rule and its statement, each line escaped by us (so `&`,
`<` and quotes in a statement are text, never markup), and no `\\n`
escapes to show through. Citations and the rule's place are the tooltip
(shown by SVG viewers). Node names are numbered in walk order, so the same
decision gives byte-identical DOT.
"""
from __future__ import annotations

import html
import textwrap

import graphviz

from warrant.pipeline.judgement import answers_text, result_text
from warrant.pipeline.trace import Decision, TraceNode, rule_label

WRAP = 48            # characters a label line holds before wrapping
PERMITTED, REFUSED, NEUTRAL = "#2e7d32", "#c62828", "#455a64"
FILL = {"permitted": "#e8f5e9", "refused": "#ffebee", "undetermined": "#e8eefc"}


def _lines(text: str) -> list[str]:
    return textwrap.wrap(text, WRAP) or [""]


def _label(title: str, *rest: str, bold: bool = True) -> str:
    """An HTML-like label: the title (bold) and further lines, every piece escaped."""
    rows = []
    for index, line in enumerate(_lines(title)):
        cell = html.escape(line)
        rows.append(f"<B>{cell}</B>" if bold else cell)
    for extra in (r for r in rest if r):
        rows += [f'<FONT POINT-SIZE="10">{html.escape(line)}</FONT>' for line in _lines(extra)]
    return "<" + "<BR/>".join(rows) + ">"


def _plain(text: str) -> str:
    """A quoted DOT string shown as written: backslashes doubled, so a trailing one cannot escape the
    closing quote and `\\n`, `\\l` in a citation are not line breaks (graphviz quotes, but keeps them)."""
    return graphviz.escape(text)


def _tooltip(node: TraceNode) -> str:
    parts = [node.location] if node.location else []
    parts += [f"{c.label}, {c.locator}" if c.locator else c.label for c in node.citations]
    parts += [f"assumes {a}" for a in node.assumptions]
    return _plain(" | ".join(parts) or node.conclusion)


def render_dot(decisions: list[Decision]) -> str:
    graph = graphviz.Digraph("warrant", graph_attr={"rankdir": "LR", "fontname": "Helvetica"},
                             node_attr={"fontname": "Helvetica", "shape": "box", "style": "rounded"},
                             edge_attr={"color": NEUTRAL})
    counter = [0]

    def name() -> str:
        counter[0] += 1
        return f"n{counter[0]}"

    def add(target, node: TraceNode) -> str:
        me = name()
        colour = NEUTRAL if node.kind == "absent" else PERMITTED if node.holds else REFUSED
        if node.kind == "rule":
            label = _label(node.conclusion, f"[{rule_label(node)}]" if rule_label(node) else "", node.statement or "")
            target.node(me, label, shape="box", color=colour, tooltip=_tooltip(node))
        else:
            label = _label(node.conclusion, node.location or "", bold=False)
            target.node(me, label, shape="ellipse", style="solid", color=colour, tooltip=_tooltip(node))
        for child in node.children:
            target.edge(me, add(target, child))
        return me

    for index, decision in enumerate(decisions):
        with graph.subgraph(name=f"cluster_{index}") as cluster:
            cluster.attr(label=_plain(f"{decision.request} on {decision.date}: {decision.outcome}"), color=NEUTRAL)
            for item in decision.items:
                root = name()
                colour = PERMITTED if item.outcome == "permitted" else NEUTRAL if item.branches else REFUSED
                cluster.node(root, _label(f"{item.item}: {item.outcome}", item.reason.replace("_", " ")),
                             shape="doubleoctagon", style="filled", fillcolor=FILL[item.outcome], color=colour)
                for proof in item.proofs:
                    cluster.edge(root, add(cluster, proof))
                for branch in item.branches:
                    leaf = name()
                    cluster.node(leaf, _label(result_text(branch), branch.statement or "", bold=False),
                                 shape="box", color=PERMITTED if branch.outcome == "permitted" else REFUSED,
                                 tooltip=_plain("; ".join(f"{c.label}, {c.locator}" if c.locator else c.label
                                                          for c in branch.citations) or result_text(branch)))
                    cluster.edge(root, leaf, label=_plain("if " + answers_text(branch)), style="dotted")
                for attempt in item.attempts:
                    if attempt.failed is not None:
                        cluster.edge(root, add(cluster, attempt.failed), style="dashed", color=REFUSED,
                                     label=attempt.rule, fontcolor=REFUSED)
    return graph.source

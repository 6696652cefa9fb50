"""The derivation as a Graphviz DOT graph (one cluster per requested item)."""
from __future__ import annotations

from engine.pipeline.trace import Decision, TraceNode


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_dot(decisions: list[Decision]) -> str:
    lines = ["digraph warrant {", "  rankdir=LR;", "  node [shape=box, fontname=Helvetica];"]
    counter = [0]

    def add(node: TraceNode) -> str:
        counter[0] += 1
        name = f"n{counter[0]}"
        label = node.conclusion + (f"\\n[{node.rule}]" if node.rule else "")
        shape = "box" if node.kind == "rule" else "ellipse"
        color = "black" if node.holds or node.kind == "absent" else "red"
        lines.append(f"  {name} [label={_quote(label)}, shape={shape}, color={color}];")
        for child in node.children:
            lines.append(f"  {name} -> {add(child)};")
        return name

    for decision in decisions:
        for item in decision.items:
            counter[0] += 1
            root = f"item{counter[0]}"
            lines.append(f"  {root} [label={_quote(f'{decision.request}: {item.item} {item.outcome}')}, "
                         f"shape=doubleoctagon];")
            for proof in item.proofs:
                lines.append(f"  {root} -> {add(proof)};")
            for attempt in item.attempts:
                if attempt.failed is not None:
                    lines.append(f"  {root} -> {add(attempt.failed)} [style=dashed, label={_quote(attempt.rule)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"

"""A decision report a reviewer can attach: one self-contained, printable HTML file (`--format html`).

No script, no external style sheet, font or image: the page works offline
and prints as it shows. It holds, per request: the outcome of every item;
the derivation as nested lists; citations as numbered notes with the source
titles and paragraphs; the assumptions with their positions; for a refusal
the permissions tried with the condition that failed (why not) and what
would have to change; and the decision record (engine/pipeline/record.py).
Every piece of text is escaped, so a statement holding `<script>` is text.
"""
from __future__ import annotations

from html import escape

from warrant.pipeline.grounding import setting_text
from warrant.pipeline.judgement import answers_text, questions_of, result_text
from warrant.pipeline.trace import Decision, TraceNode, policy_statement_hidden, rule_label

from warrant.pipeline.outcome import TITLES as _WORD  # noqa: E402 - the words, from one place

STYLE = """
body { font: 15px/1.45 Georgia, 'Times New Roman', serif; color: #1a202c; max-width: 60em; margin: 2em auto;
       padding: 0 1.5em; }
h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { font-size: 1.25em; margin-top: 1.6em; border-bottom: 1px solid #cbd5e0; }
h3 { font-size: 1.05em; margin: 1.2em 0 .3em; }
.outcome { display: inline-block; padding: .1em .6em; border-radius: .3em; font-weight: bold; font-family: sans-serif; }
.permitted { background: #e6f4ea; color: #1e6b34; } .refused { background: #fdecea; color: #a12622; }
.partially_permitted { background: #fff4e5; color: #8a4b00; }
.undetermined { background: #e8eefc; color: #1f3c88; }
table { border-collapse: collapse; margin: .6em 0; } td, th { border: 1px solid #cbd5e0; padding: .25em .6em;
       text-align: left; vertical-align: top; }
ul.proof, ul.proof ul { list-style: none; padding-left: 1.2em; border-left: 2px solid #e2e8f0; margin: .2em 0; }
ul.proof li { margin: .25em 0; } .rule { font-weight: bold; } .failed { color: #a12622; }
.statement { font-style: italic; color: #2d3748; } .where { color: #718096; font-size: .85em; font-family: monospace; }
sup a { text-decoration: none; } code { font-size: .9em; } .notes li { margin: .2em 0; }
@media print { body { margin: 0; max-width: none; } a { color: inherit; } h2 { break-after: avoid; } }
"""


class _Notes:
    """Citations numbered in order of first appearance."""

    def __init__(self):
        self.order: list[tuple[str, str | None]] = []

    def mark(self, citations) -> str:
        marks = []
        for cite in citations:
            key = (cite.label, cite.locator)
            if key not in self.order:
                self.order.append(key)
            number = self.order.index(key) + 1
            marks.append(f'<a href="#note-{number}">{number}</a>')
        return f"<sup>{','.join(marks)}</sup>" if marks else ""


def _node(node: TraceNode, notes: _Notes, out: list[str]) -> None:
    css = "" if node.holds or node.kind == "absent" else ' class="failed"'
    out.append(f"<li{css}>")
    if node.kind == "rule":
        out.append(f'<span class="rule">{escape(node.conclusion)}</span>{notes.mark(node.citations)}')
        if node.statement and not policy_statement_hidden(node):
            out.append(f'<div class="statement">“{escape(node.statement)}”</div>')
        where = " · ".join(x for x in (rule_label(node), node.location) if x)
        if node.assumptions:
            where += " · assumes " + ", ".join(node.assumptions)
        out.append(f'<div class="where">{escape(where)}</div>')
    else:
        mark = "" if node.holds or node.kind == "absent" else "✗ "
        out.append(escape(mark + node.conclusion) + notes.mark(node.citations))
        if node.location:
            out.append(f' <span class="where">{escape(node.location)}</span>')
    if node.children:
        out.append("<ul>")
        for child in node.children:
            _node(child, notes, out)
        out.append("</ul>")
    out.append("</li>")


def _decision(decision: Decision, notes: _Notes, out: list[str]) -> None:
    out.append(f"<h2>Request <code>{escape(decision.request)}</code> on {escape(decision.date)}: "
               f'<span class="outcome {decision.outcome}">{_WORD[decision.outcome]}</span></h2>')
    out.append("<table><tr><th>item</th><th>outcome</th><th>decided by</th></tr>")
    for item in decision.items:
        rules = ", ".join(p.rule for p in item.proofs if p.rule) or (
            "open judgements: " + ", ".join(questions_of(item.branches)) if item.branches else "no permission applies")
        out.append(f"<tr><td><code>{escape(item.item)}</code></td><td><span class=\"outcome {item.outcome}\">"
                   f"{_WORD[item.outcome]}</span></td><td>{escape(rules)}</td></tr>")
    out.append("</table>")
    out.append(f"<p>Policies in force: {escape(', '.join(decision.in_force) or 'none')}.</p>")
    for key, value in decision.settings:
        out.append(f"<p>Override: <code>{escape(key)} {escape(str(value))}</code></p>")
    for item in decision.items:
        out.append(f'<h3><code>{escape(item.item)}</code>: <span class="outcome {item.outcome}">'
                   f"{_WORD[item.outcome]}</span></h3>")
        if item.proofs:
            out.append('<ul class="proof">')
            for proof in item.proofs:
                _node(proof, notes, out)
            out.append("</ul>")
        if item.overridden:
            out.append(f"<p>The prohibition overrides the permission(s): {escape(', '.join(item.overridden))}.</p>")
        if item.obligations:
            out.append("<p><strong>Obligations</strong> (what must still be done):</p><ul>")
            out += [f"<li>{escape(d.text)}{notes.mark(d.citations)} <span class=\"where\">{escape(d.rule)}</span>"
                    + (f"<br>because {escape('; '.join(d.because) or d.condition)}" if d.condition else "") + "</li>"
                    for d in item.obligations]
            out.append("</ul>")
        if item.branches:
            out.append("<p><strong>It turns on judgements the request left open:</strong></p><ul>")
            for branch in item.branches:
                statement = f'<br><span class="statement">{escape(branch.statement)}</span>' if branch.statement else ""
                duties = "".join(f"<br>Requires: {escape(d.text)}{notes.mark(d.citations)}"
                                 + (f" (when {escape(d.condition)})" if d.condition else "") for d in branch.obligations)
                out.append(f"<li>If {escape(answers_text(branch))}: <strong>{escape(result_text(branch))}</strong>"
                           f"{notes.mark(branch.citations)}{statement}{duties}</li>")
            out.append("</ul>")
        if item.reason == "no_permission":
            out.append("<p><strong>Why not:</strong> no permission applies"
                       + (":" if item.attempts else "; no arrangement in force on this date covers it.") + "</p>")
            if item.attempts:
                out.append("<ul>")
                for attempt in item.attempts:
                    state = "in force" if attempt.in_force else "would have applied" if attempt.would_apply \
                        else "not in force"
                    out.append(f"<li><code>{escape(attempt.rule)}</code> ({state}){notes.mark(attempt.citations)}: "
                               f'<span class="statement">{escape(attempt.statement)}</span>')
                    if attempt.note:
                        out.append(f"<br>{escape(attempt.note)}")
                    if attempt.failed is not None:
                        out.append(f'<br><span class="failed">First condition that failed: '
                                   f"{escape(attempt.failed.conclusion)}</span>{notes.mark(attempt.failed.citations)}")
                    out.append("</li>")
                out.append("</ul>")
        if item.outcome == "refused" and decision.extra.get("changes_searched"):
            out.append("<p><strong>What would have to change:</strong></p>")
            if item.counterfactuals:
                out.append("<ul>" + "".join(f"<li>{escape(cf.describe())}</li>" for cf in item.counterfactuals)
                           + "</ul>")
            else:
                out.append("<p>No change to the request's facts was found that would permit it on this date.</p>")
    if decision.questions:
        out.append("<h3>Judgements the request left open</h3><p>A missing answer is not a no.</p><ul>")
        out += [f"<li><code>{escape(path)}</code>: {escape(doc)}</li>" for path, doc in decision.questions]
        out.append("</ul>")
    if decision.assumptions:
        out.append("<h3>Assumptions this decision rests on</h3><table><tr><th>assumption</th><th>setting</th>"
                   "<th>the reading taken</th></tr>")
        for name, on, position in decision.assumptions:
            out.append(f"<tr><td><code>{escape(name)}</code></td><td>{escape(setting_text(on))}</td>"
                       f"<td>{escape(position)}</td></tr>")
        out.append("</table>")
    record = decision.extra.get("record")
    if record:
        settings = record["settings"]
        out.append("<h3>Decision record</h3><table>")
        rows = [("Warrant", record["warrant"]), ("rulebase", record["rulebase"]["rules"] or "."),
                ("rulebase sha256", record["rulebase"]["sha256"]), ("request sha256", record["request_sha256"]),
                ("date decided on", settings["date"]),
                ("assumptions", ", ".join(f"{k} {setting_text(v)}" for k, v in settings["assumptions"].items())),
                ("drafts", ", ".join(settings["drafts"]) or "none")]
        out += [f"<tr><th>{escape(k)}</th><td><code>{escape(str(v))}</code></td></tr>" for k, v in rows]
        out.append("</table>")


def render_html(decisions: list[Decision]) -> str:
    notes = _Notes()
    body: list[str] = []
    for decision in decisions:
        _decision(decision, notes, body)
    title = "Decision: " + ", ".join(d.request for d in decisions)
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{escape(title)}</title>", f"<style>{STYLE}</style>", "</head>", "<body>",
           f"<h1>{escape(title)}</h1>",
           "<p>Is this release of data permitted, and why? Each step below is a rule the engine applied, "
           "with its statement and sources; each leaf is a fact of the request.</p>"]
    out += body
    if notes.order:
        out.append('<h2>Sources</h2><ol class="notes">')
        for number, (label, locator) in enumerate(notes.order, 1):
            out.append(f'<li id="note-{number}">{escape(label)}{escape(", " + locator) if locator else ""}</li>')
        out.append("</ol>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"

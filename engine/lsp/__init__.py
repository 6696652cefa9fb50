"""The language server (`warrant lsp`): Warrant in the author's editor, built on `warrant`'s public API.

- `server.py`: the LSP features (diagnostics, hover, definition, references,
  rename, symbols, completion, formatting, code actions, code lenses,
  semantic tokens);
- `rulebases.py`: which rulebase a document belongs to, and its findings and
  names on the editor's unsaved texts;
- `background.py`: the exact analysis on save, off the server's loop, with
  `$/progress`;
- `fixes.py`: code actions (did-you-mean, a redundant condition removed, a
  missing `cites` added);
- `lenses.py` and `cases.py`: code lenses that decide and run golden cases,
  and where a case's decision differs from its expected file;
- `completion.py`: what may come at the cursor;
- `positions.py`: Warrant's spans <-> LSP ranges.

The engine does not know the editor exists: this package imports `warrant`
alone (tests/test_layout.py), and pygls only when the server starts.
"""


def serve() -> None:
    """Run the language server on standard input and output."""
    from warrant.lsp.server import serve as run
    run()

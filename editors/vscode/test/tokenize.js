// Tokenize rule files with the extension's TextMate grammar, as VS Code does (vscode-textmate on
// vscode-oniguruma), and print each file's tokens as text: for every line, its number and text, then one line
// per token that is not blank: `  text<TAB>scopes` (the root scope and the `.warrant` suffix left off).
// Usage: node test/tokenize.js FILE...   -> JSON {FILE: text}. tests/test_vscode.py compares it with goldens.
"use strict";
const fs = require("fs");
const path = require("path");
const oniguruma = require("vscode-oniguruma");
const textmate = require("vscode-textmate");

const GRAMMAR = path.join(__dirname, "..", "syntaxes", "warrant.tmLanguage.json");

async function grammar() {
  const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm")).buffer;
  await oniguruma.loadWASM(wasm);
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (sources) => new oniguruma.OnigScanner(sources),
      createOnigString: (text) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async (scopeName) => scopeName === "source.warrant"
      ? textmate.parseRawGrammar(fs.readFileSync(GRAMMAR, "utf8"), GRAMMAR) : null,
  });
  return registry.loadGrammar("source.warrant");
}

function scopes(list) {
  return list.filter((s) => s !== "source.warrant").map((s) => s.replace(/\.warrant$/, "")).join(" ");
}

function tokenize(g, text) {
  const out = [];
  let state = textmate.INITIAL;
  text.replace(/\r\n?/g, "\n").split("\n").forEach((line, index) => {
    const found = g.tokenizeLine(line, state);
    state = found.ruleStack;
    if (line.trim() === "") return;
    out.push(`${index + 1}: ${line}`);
    for (const token of found.tokens) {
      const piece = line.slice(token.startIndex, token.endIndex);
      if (piece.trim() === "") continue;
      out.push(`  ${piece.trim()}\t${scopes(token.scopes) || "-"}`);
    }
  });
  return out.join("\n") + "\n";
}

(async () => {
  const g = await grammar();
  const result = {};
  for (const file of process.argv.slice(2)) result[file] = tokenize(g, fs.readFileSync(file, "utf8"));
  process.stdout.write(JSON.stringify(result));
})().catch((error) => { process.stderr.write(String(error && error.stack || error) + "\n"); process.exit(1); });

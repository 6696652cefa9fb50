// The Warrant extension: .warrant files get the TextMate grammar (colours) and a client of `warrant lsp`
// (findings as you type, hover, definition, references, rename, symbols, completion, formatting, quick
// fixes, code lenses). Everything but the colours comes from the server; this file only starts it.
"use strict";
const vscode = require("vscode");
const { LanguageClient, RevealOutputChannelOn } = require("vscode-languageclient/node");

let client;

function serverOptions() {
  const configured = vscode.workspace.getConfiguration("warrant").get("server.command");
  const [command, ...args] = Array.isArray(configured) && configured.length ? configured : ["warrant", "lsp"];
  return { run: { command, args }, debug: { command, args } };
}

function clientOptions() {
  return {
    documentSelector: [
      { scheme: "file", language: "warrant" },
      { scheme: "untitled", language: "warrant" },
      // golden cases' request files, for the "Decide" and "Run case" code lenses (the server answers nothing else
      // on them): a rulebase's cases/ folder, and the shipped rulebase's tests/golden/decisions/
      { scheme: "file", pattern: "**/cases/*.{yaml,yml,json}" },
      { scheme: "file", pattern: "**/golden/decisions/*.{yaml,yml,json}" },
    ],
    synchronize: {
      configurationSection: "warrant",    // the server reads {"warrant": {"debounce", "timeLimit", "analyseOnSave"}}
      fileEvents: vscode.workspace.createFileSystemWatcher("**/*.warrant"),
    },
    outputChannelName: "Warrant",
    revealOutputChannelOn: RevealOutputChannelOn.Never,
  };
}

async function start() {
  client = new LanguageClient("warrant", "Warrant", serverOptions(), clientOptions());
  try {
    await client.start();
  } catch (error) {
    const command = serverOptions().run.command;
    vscode.window.showErrorMessage(
      `Warrant: could not start \`${command} lsp\` (${error && error.message ? error.message : error}). ` +
      "Install it with pip install 'warrant[lsp]', or set warrant.server.command to its path.");
  }
}

async function stop() {
  if (client) {
    const running = client;
    client = undefined;
    try {
      await running.stop();
    } catch (_) {
      // a server that never started has nothing to stop
    }
  }
}

async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand("warrant.restartServer", async () => { await stop(); await start(); }),
    vscode.workspace.onDidChangeConfiguration(async (change) => {
      if (change.affectsConfiguration("warrant.server.command")) { await stop(); await start(); }
    }),
  );
  await start();
}

function deactivate() {
  return stop();
}

module.exports = { activate, deactivate };

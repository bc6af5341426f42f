// lstm-lint server driven the way VS Code drives a notebook, through the LSP client library VS
// Code's extensions use (vscode-jsonrpc's StreamMessageReader/Writer, the protocol types of
// vscode-languageserver-protocol, pinned in package.json): open a notebook, edit a cell, insert,
// move and delete cells, close; diagnostics checked after each step.
// Usage: node test_vscode.js LSTM_LINT SOURCE_DIR. Exit 77 when the npm packages are missing.
'use strict';
const path = require('path');
const fs = require('fs');
const os = require('os');
const { spawn } = require('child_process');

let proto;
try {
  proto = require('vscode-languageserver-protocol/node');
} catch (e) {
  console.log('SKIP: vscode-languageserver-protocol is not installed (npm ci)');
  process.exit(77);
}

const [bin, src] = process.argv.slice(2).map((p) => path.resolve(p));
const script = fs.readFileSync(path.join(src, 'tests/percent/fires_state_not_detached.py'), 'utf8');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-lint-vscode-'));
const notebookUri = 'file://' + path.join(dir, 'train.ipynb');
const cellUri = (n) => `vscode-notebook-cell:${path.join(dir, 'train.ipynb')}#W${n}sZmlsZQ%3D%3D`;

// The percent script's cells: [kind, text]; the jupytext header is dropped.
function cellsOf(text) {
  const cells = [];
  let current = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('# %%')) {
      if (current) cells.push(current);
      current = [line.includes('[markdown]') ? proto.NotebookCellKind.Markup : proto.NotebookCellKind.Code, []];
      continue;
    }
    if (current) current[1].push(current[0] === proto.NotebookCellKind.Markup && line.startsWith('# ') ? line.slice(2) : line);
  }
  cells.push(current);
  return cells.map(([kind, lines]) => [kind, lines.join('\n').replace(/^\n+|\n+$/g, '')]);
}

let passed = 0;
const failed = [];
function check(name, condition, detail) {
  if (condition) passed++;
  else {
    failed.push(name);
    console.log('FAIL: ' + name + (detail === undefined ? '' : ' ' + JSON.stringify(detail)));
  }
}

const child = spawn(bin, ['server'], { cwd: dir, stdio: ['pipe', 'pipe', 'inherit'] });
const connection = proto.createProtocolConnection(new proto.StreamMessageReader(child.stdout), new proto.StreamMessageWriter(child.stdin));

// The latest diagnostics per URI, and waiters for the next publication of one URI.
const latest = new Map();
const waiters = [];
connection.onNotification(proto.PublishDiagnosticsNotification.type, (params) => {
  latest.set(params.uri, params.diagnostics);
  for (let i = waiters.length - 1; i >= 0; i--) {
    if (waiters[i].uri === params.uri) {
      waiters[i].resolve(params.diagnostics);
      waiters.splice(i, 1);
    }
  }
});
connection.onNotification('window/logMessage', () => {});
function nextDiagnostics(uri) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no diagnostics for ' + uri)), 20000);
    waiters.push({ uri, resolve: (d) => { clearTimeout(timer); resolve(d); } });
  });
}
connection.listen();

// Every message the server sent before answering this request has been dispatched when it
// resolves: the server publishes pending diagnostics before it answers a code action request.
function sync() {
  return connection.sendRequest(proto.CodeActionRequest.type, {
    textDocument: { uri: 'lstm-lint-sync:none' },
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    context: { diagnostics: [] },
  });
}
const only301 = (d) => d.filter((x) => x.code === 'LSTM301');

let version = 1;
function change(cells) {
  return connection.sendNotification(proto.DidChangeNotebookDocumentNotification.type, {
    notebookDocument: { uri: notebookUri, version: ++version },
    change: { cells },
  });
}

async function main() {
  const init = await connection.sendRequest(proto.InitializeRequest.type, {
    processId: process.pid,
    rootUri: 'file://' + dir,
    capabilities: { notebookDocument: { synchronization: { dynamicRegistration: false } } },
  });
  const notebookSync = init.capabilities.notebookDocumentSync;
  check('the server advertises notebook sync for jupyter-notebook', notebookSync.notebookSelector[0].notebook.notebookType === 'jupyter-notebook');
  await connection.sendNotification(proto.InitializedNotification.type, {});

  // Open: markdown, imports, model, training (the bug).
  const cells = cellsOf(script);
  const uris = cells.map((_, i) => cellUri(i));
  const training = nextDiagnostics(uris[3]);
  await connection.sendNotification(proto.DidOpenNotebookDocumentNotification.type, {
    notebookDocument: {
      uri: notebookUri, notebookType: 'jupyter-notebook', version,
      cells: cells.map(([kind], i) => ({ kind, document: uris[i], executionSummary: kind === 2 ? { executionOrder: i, success: true } : undefined })),
    },
    cellTextDocuments: cells.map(([kind, text], i) => ({ uri: uris[i], languageId: kind === 2 ? 'python' : 'markdown', version: 1, text })),
  });
  let d = await training;
  check('open: LSTM301 in the training cell', d.length === 1 && d[0].code === 'LSTM301', d);
  check('open: at line 3, characters 30-36', d[0].range.start.line === 3 && d[0].range.start.character === 30 && d[0].range.end.character === 36, d[0].range);
  check('open: a link to the rule doc', d[0].codeDescription.href.endsWith('state-not-detached/doc.md'));
  check('open: the other cells are clean', [0, 1, 2].every((i) => (latest.get(uris[i]) || []).length === 0));

  // Edit the training cell: two lines inserted at its top move the finding down by two.
  await sync();
  let next = nextDiagnostics(uris[3]);
  await change({ textContent: [{ document: { uri: uris[3], version: 2 }, changes: [
    { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '# windows of bptt steps\n# one stream per row\n' }] }] });
  d = await next;
  check('edit: the finding moved to line 5', d.length === 1 && d[0].range.start.line === 5, d);

  // Insert a cell after the model cell with the same loop: it gets its own finding.
  const inserted = cellUri(9);
  const loop = cells[3][1];
  await sync();
  next = nextDiagnostics(inserted);
  await change({ structure: {
    array: { start: 3, deleteCount: 0, cells: [{ kind: 2, document: inserted, executionSummary: { executionOrder: 4, success: true } }] },
    didOpen: [{ uri: inserted, languageId: 'python', version: 1, text: loop }], didClose: [] } });
  d = only301(await next);
  check('insert: the new cell has LSTM301 at line 3', d.length === 1 && d[0].range.start.line === 3, d);

  // Move the markdown cell to the end (delete + insert of the same cell, no open or close),
  // then edit the inserted cell: it kept its text through the move.
  await change({ structure: { array: { start: 0, deleteCount: 1 } } });
  await change({ structure: { array: { start: 4, deleteCount: 0, cells: [{ kind: 1, document: uris[0] }] } } });
  await sync();
  next = nextDiagnostics(inserted);
  await change({ textContent: [{ document: { uri: inserted, version: 2 }, changes: [
    { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '\n' }] }] });
  d = only301(await next);
  check('move: the inserted cell keeps its text (finding now at line 4)', d.length === 1 && d[0].range.start.line === 4, d);

  // Delete the original training cell (now index 3: imports, model, inserted, training, markdown).
  await sync();
  next = nextDiagnostics(uris[3]);
  await change({ structure: { array: { start: 3, deleteCount: 1 }, didOpen: [], didClose: [{ uri: uris[3] }] } });
  d = await next;
  check('delete: the deleted cell\'s diagnostics are cleared', d.length === 0, d);

  // Fix the inserted cell by an edit: its finding disappears.
  await sync();
  next = nextDiagnostics(inserted);
  const text = '\n' + loop;
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.includes('logits, hidden = model(x, hidden)'));
  await change({ textContent: [{ document: { uri: inserted, version: 3 }, changes: [
    { range: { start: { line: at, character: 0 }, end: { line: at, character: 0 } }, text: '    hidden = tuple(h.detach() for h in hidden)\n' }] }] });
  d = await next;
  check('edit: the detached loop has no LSTM301 any more', d.length > 0 && only301(d).length === 0, d);

  // Execution summaries: the model cell re-run after the loop -> out-of-order execution.
  await sync();
  next = nextDiagnostics(inserted);
  await change({ data: [{ kind: 2, document: uris[2], executionSummary: { executionOrder: 50, success: true } },
                        { kind: 2, document: inserted, executionSummary: { executionOrder: 40, success: true } }] });
  d = await next;
  check('data: execution orders feed execution counts (LSTM101 or a stale model)', d.length >= 1 && d.some((x) => /^LSTM10/.test(x.code)), d);

  // Close: every cell is cleared.
  await sync();
  const cleared = [uris[1], uris[2], inserted].map((u) => nextDiagnostics(u));
  await connection.sendNotification(proto.DidCloseNotebookDocumentNotification.type, {
    notebookDocument: { uri: notebookUri }, cellTextDocuments: [uris[0], uris[1], uris[2], inserted].map((uri) => ({ uri })) });
  const all = await Promise.all(cleared);
  check('close: diagnostics cleared', all.every((x) => x.length === 0), all);

  await connection.sendRequest(proto.ShutdownRequest.type);
  await connection.sendNotification(proto.ExitNotification.type);
}

const code = new Promise((resolve) => child.on('exit', (c) => resolve(c)));
main().then(async () => {
  const c = await code;
  check('exit 0 after shutdown and exit', c === 0, c);
}, (e) => {
  failed.push(String(e));
  console.log('FAIL: ' + e.stack);
  child.kill();
}).finally(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(`${passed} passed, ${failed.length} failed`);
  process.exit(failed.length ? 1 : 0);
});

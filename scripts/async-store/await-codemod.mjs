// Adds the awaits the asynchronous store port needs, for merging code written against the old
// synchronous store: every call of a store method (src/store/types.ts, sqlite-store.ts), a cursor
// call (src/sources/types.ts), the outbox policy (src/outbox/enqueue.ts) or item memory
// (src/pipeline/item-stream.ts) gets `await`; the function around it becomes async (its declared
// return type T becomes Promise<T>) and is remembered, so the next run converts its callers.
// Run it until it reports 0 edits, then `npx tsc -p tsconfig.check.json` and
// check-promises.mjs; it prints the callbacks it made async (forEach, filter, setInterval, expect
// and the like), which need a look by hand.
// Code already written for the asynchronous store may hold a promise on purpose (in Promise.all,
// say): review the edits. Usage: node scripts/async-store/await-codemod.mjs [project root] [state file]
import ts from 'typescript';
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
const root = process.argv[2] ?? process.cwd();
const stateFile = process.argv[3] ?? path.join(os.tmpdir(), 'wardwatch-await-codemod.json');
const converted = new Set(fs.existsSync(stateFile) ? JSON.parse(fs.readFileSync(stateFile, 'utf8')) : []);
const cfg = ts.readConfigFile(path.join(root, 'tsconfig.check.json'), ts.sys.readFile);
const parsed = ts.parseJsonConfigFileContent(cfg.config, ts.sys, root);
const program = ts.createProgram(parsed.fileNames, parsed.options);
const checker = program.getTypeChecker();
const TARGET_FILES = ['src/store/types.ts', 'src/store/sqlite-store.ts', 'src/sources/types.ts', 'src/outbox/enqueue.ts', 'src/pipeline/item-stream.ts'];
const edits = new Map(); // file -> [{pos, del, text}]
const manual = [];
const addEdit = (sf, pos, del, text) => {
  const list = edits.get(sf.fileName) ?? [];
  if (list.some((e) => e.pos === pos && e.text === text && e.del === del)) return;
  list.push({ pos, del, text });
  edits.set(sf.fileName, list);
};
const rel = (f) => path.relative(root, f);
function declName(d) {
  if (!d) return undefined;
  if ((ts.isMethodDeclaration(d) || ts.isMethodSignature(d) || ts.isFunctionDeclaration(d) || ts.isPropertySignature(d) || ts.isPropertyDeclaration(d)) && d.name) return d.name.getText();
  if ((ts.isArrowFunction(d) || ts.isFunctionExpression(d)) && ts.isVariableDeclaration(d.parent)) return d.parent.name.getText();
  if (ts.isVariableDeclaration(d)) return d.name.getText();
  return undefined;
}
function isTargetCall(call) {
  const sig = checker.getResolvedSignature(call);
  const d = sig?.getDeclaration();
  if (!d) return false;
  const f = rel(d.getSourceFile().fileName);
  const name = declName(d);
  if (TARGET_FILES.includes(f)) {
    if (f === 'src/sources/types.ts' && !['getCursor', 'setCursor'].includes(name)) return false;
    if (f === 'src/pipeline/item-stream.ts' && !['getMail', 'setMail', 'getEvent', 'setEvent'].includes(name)) return false;
    const ret = checker.getReturnTypeOfSignature(sig);
    return checker.typeToString(ret).startsWith('Promise<');
  }
  return name !== undefined && converted.has(`${f}#${name}`);
}
const fnOf = (n) => { let p = n.parent; while (p && !ts.isFunctionLike(p) && !ts.isSourceFile(p) && !ts.isPropertyDeclaration(p) && !ts.isClassStaticBlockDeclaration(p)) p = p.parent; return p; };
const newlyConverted = [];
function makeAsync(fn, sf, call) {
  if (ts.isSourceFile(fn)) { if (!sf.fileName.includes('/test/')) manual.push(`${rel(sf.fileName)}: top-level await needed`); return; }
  if (!ts.isFunctionLike(fn) || ts.isConstructorDeclaration(fn) || ts.isGetAccessor(fn) || ts.isSetAccessor(fn)) {
    const { line } = sf.getLineAndCharacterOfPosition(call.getStart());
    manual.push(`${rel(sf.fileName)}:${line + 1}: cannot make ${ts.SyntaxKind[fn.kind]} async: ${call.getText().slice(0, 80)}`); return;
  }
  if (fn.asteriskToken) { manual.push(`${rel(sf.fileName)}: generator ${call.getText().slice(0, 60)}`); return; }
  const isAsync = fn.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword);
  if (!isAsync) {
    let pos;
    if (ts.isArrowFunction(fn)) pos = fn.getStart(sf);
    else if (ts.isFunctionDeclaration(fn) || ts.isFunctionExpression(fn)) {
      const fk = fn.getChildren(sf).find((c) => c.kind === ts.SyntaxKind.FunctionKeyword);
      pos = fk.getStart(sf);
    } else if (ts.isMethodDeclaration(fn)) pos = fn.name.getStart(sf);
    else { manual.push(`${rel(sf.fileName)}: unknown fn kind ${ts.SyntaxKind[fn.kind]}`); return; }
    addEdit(sf, pos, 0, 'async ');
    if (fn.type && !fn.type.getText(sf).startsWith('Promise<')) {
      addEdit(sf, fn.type.getStart(sf), 0, 'Promise<');
      addEdit(sf, fn.type.getEnd(), 0, '>');
    }
    // named: callers must be converted next round
    let name;
    if (ts.isMethodDeclaration(fn) || ts.isFunctionDeclaration(fn)) name = fn.name?.getText(sf);
    else if (ts.isVariableDeclaration(fn.parent)) name = fn.parent.name.getText(sf);
    else if (ts.isPropertyAssignment(fn.parent)) name = fn.parent.name.getText(sf);
    else if (ts.isPropertyDeclaration(fn.parent)) name = fn.parent.name.getText(sf);
    if (name) newlyConverted.push(`${rel(sf.fileName)}#${name}`);
    else if (ts.isCallExpression(fn.parent)) {
      const callee = fn.parent.expression;
      const cname = ts.isPropertyAccessExpression(callee) ? callee.name.text : callee.getText(sf);
      if (!['it', 'test', 'beforeEach', 'afterEach', 'beforeAll', 'afterAll', 'then', 'transaction', 'Promise'].includes(cname)) {
        const { line } = sf.getLineAndCharacterOfPosition(fn.getStart(sf));
        manual.push(`${rel(sf.fileName)}:${line + 1}: callback to ${cname} made async — check`);
      }
    } else {
      const { line } = sf.getLineAndCharacterOfPosition(fn.getStart(sf));
      manual.push(`${rel(sf.fileName)}:${line + 1}: anonymous fn made async (${ts.SyntaxKind[fn.parent.kind]}) — check`);
    }
  }
}
function visit(node, sf) {
  if (ts.isCallExpression(node) && isTargetCall(node)) {
    const p = node.parent;
    const awaited = ts.isAwaitExpression(p) || (ts.isParenthesizedExpression(p) && ts.isAwaitExpression(p.parent));
    // Already handled: a promise chained on, asserted with rejects/resolves, or returned by an arrow.
    const chained = ts.isPropertyAccessExpression(p) && p.expression === node && ['then', 'catch', 'finally'].includes(p.name.text);
    const asserted = ts.isCallExpression(p) && p.expression.getText(sf) === 'expect' && ts.isPropertyAccessExpression(p.parent) && ['rejects', 'resolves'].includes(p.parent.name.text);
    const returned = ts.isArrowFunction(p) && p.body === node;
    if (!awaited && !chained && !asserted && !returned) {
      const needsParens = (ts.isPropertyAccessExpression(p) || ts.isElementAccessExpression(p) || ts.isCallExpression(p) && p.expression === node) && p.expression === node;
      if (needsParens) { addEdit(sf, node.getStart(sf), 0, '(await '); addEdit(sf, node.getEnd(), 0, ')'); }
      else addEdit(sf, node.getStart(sf), 0, 'await ');
      makeAsync(fnOf(node), sf, node);
    }
  }
  ts.forEachChild(node, (c) => visit(c, sf));
}
for (const sf of program.getSourceFiles()) {
  if (sf.isDeclarationFile || sf.fileName.includes('node_modules')) continue;
  const r = rel(sf.fileName);
  if (r.startsWith('src/store/sqlite-store.ts') || r.startsWith('..')) continue;
  visit(sf, sf);
}
let n = 0;
for (const [file, list] of edits) {
  let text = fs.readFileSync(file, 'utf8');
  list.sort((a, b) => b.pos - a.pos || 0);
  for (const e of list) { text = text.slice(0, e.pos) + e.text + text.slice(e.pos + e.del); n++; }
  fs.writeFileSync(file, text);
}
for (const c of newlyConverted) converted.add(c);
fs.writeFileSync(stateFile, JSON.stringify([...converted]));
console.log(`${n} edits in ${edits.size} files; newly converted: ${newlyConverted.length}`);
console.log(manual.join('\n'));

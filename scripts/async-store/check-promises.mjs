// Lists promises left floating or misused (a promise in a condition, a comparison, a template,
// an async callback where void or a boolean is expected): a stand-in for typescript-eslint's
// no-floating-promises and no-misused-promises, which the project does not install.
// Usage: node scripts/async-store/check-promises.mjs [project root]   (about a minute)
// Some findings are deliberate (a promise kept in a field and tested for being under way): review
// each new one rather than expecting none.
import ts from 'typescript';
import path from 'node:path';
const root = process.argv[2] ?? process.cwd();
const cfgPath = path.join(root, 'tsconfig.check.json');
const cfg = ts.readConfigFile(cfgPath, ts.sys.readFile);
const parsed = ts.parseJsonConfigFileContent(cfg.config, ts.sys, root);
const program = ts.createProgram(parsed.fileNames, parsed.options);
const checker = program.getTypeChecker();
const isPromise = (t) => {
  if (!t) return false;
  if (t.isUnion()) return t.types.some(isPromise);
  const then = t.getProperty('then');
  return then !== undefined && (t.symbol?.name === 'Promise' || t.symbol?.name === 'PromiseLike' || checker.typeToString(t).startsWith('Promise<'));
};
const out = [];
const report = (node, why) => {
  const sf = node.getSourceFile();
  const { line } = sf.getLineAndCharacterOfPosition(node.getStart());
  out.push(`${path.relative(root, sf.fileName)}:${line + 1}: ${why}: ${node.getText().slice(0, 90).replace(/\s+/g, ' ')}`);
};
const typeOf = (n) => checker.getTypeAtLocation(n);
const checkCond = (n, why) => { if (n && isPromise(typeOf(n))) report(n, why); };
function visit(node) {
  if (ts.isExpressionStatement(node)) {
    let e = node.expression;
    if (!ts.isVoidExpression(e) && !ts.isAwaitExpression(e) && isPromise(typeOf(e))) {
      // a = promise assignments are fine
      if (!(ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.EqualsToken)) report(node, 'floating');
    }
  }
  if (ts.isIfStatement(node) || ts.isWhileStatement(node) || ts.isDoStatement(node)) checkCond(node.expression, 'condition');
  if (ts.isForStatement(node)) checkCond(node.condition, 'condition');
  if (ts.isConditionalExpression(node)) checkCond(node.condition, 'condition');
  if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.ExclamationToken) checkCond(node.operand, 'negated');
  if (ts.isBinaryExpression(node)) {
    const k = node.operatorToken.kind;
    if (k === ts.SyntaxKind.AmpersandAmpersandToken || k === ts.SyntaxKind.BarBarToken || k === ts.SyntaxKind.QuestionQuestionToken) checkCond(node.left, 'logical');
    if ([ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken, ts.SyntaxKind.LessThanToken, ts.SyntaxKind.GreaterThanToken, ts.SyntaxKind.LessThanEqualsToken, ts.SyntaxKind.GreaterThanEqualsToken, ts.SyntaxKind.PlusToken].includes(k)) { checkCond(node.left, 'compared'); checkCond(node.right, 'compared'); }
  }
  if (ts.isTemplateSpan(node)) checkCond(node.expression, 'in template');
  if ((ts.isArrowFunction(node) || ts.isFunctionExpression(node)) && ts.isCallOrNewExpression(node.parent)) {
    const sig = checker.getSignatureFromDeclaration(node);
    const ret = sig && checker.getReturnTypeOfSignature(sig);
    if (isPromise(ret)) {
      const ctx = checker.getContextualType(node);
      const csigs = ctx ? ctx.getCallSignatures() : [];
      const cret = csigs[0] && checker.getReturnTypeOfSignature(csigs[0]);
      const callee = node.parent.expression;
      const name = callee && ts.isPropertyAccessExpression(callee) ? callee.name.text : '';
      if ((cret && (cret.flags & ts.TypeFlags.Void)) || ['filter', 'some', 'every', 'find', 'findIndex', 'forEach', 'sort'].includes(name)) report(node, 'promise returned where void/boolean expected');
    }
  }
  ts.forEachChild(node, visit);
}
for (const sf of program.getSourceFiles()) {
  if (sf.isDeclarationFile || sf.fileName.includes('node_modules')) continue;
  visit(sf);
}
console.log(out.join('\n'));
console.error(`${out.length} findings`);

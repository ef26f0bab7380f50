// @ts-check
import ts from 'typescript';

/**
 * Declarations in a bundled `.d.ts` that its module does not export.
 *
 * tsup bundles declarations with rollup-plugin-dts, which keeps only what the entry's exports reach.
 * So a declaration that is there but not exported is a type a user meets in a public signature and
 * cannot name (import, annotate, implement) — an API leak.
 * @param {string} dts the text of a bundled declaration file
 * @returns {string[]} the leaked names, sorted
 */
export function unexportedDeclarations(dts) {
  const file = ts.createSourceFile('index.d.ts', dts, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  /** @type {Set<string>} */
  const declared = new Set();
  /** @type {Set<string>} */
  const exported = new Set();
  for (const stmt of file.statements) {
    if (ts.isExportDeclaration(stmt)) {
      if (stmt.moduleSpecifier === undefined && stmt.exportClause && ts.isNamedExports(stmt.exportClause)) {
        for (const el of stmt.exportClause.elements) exported.add((el.propertyName ?? el.name).text);
      }
      continue;
    }
    if (ts.isExportAssignment(stmt) && ts.isIdentifier(stmt.expression)) {
      exported.add(stmt.expression.text);
      continue;
    }
    const names = declaredNames(stmt);
    const isExported = ts.canHaveModifiers(stmt)
      ? (ts.getModifiers(stmt) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
      : false;
    for (const name of names) (isExported ? exported : declared).add(name);
  }
  return [...declared].filter((n) => !exported.has(n)).sort();
}

/**
 * The names a top-level statement declares (imports declare nothing of this module's own).
 * @param {ts.Statement} stmt
 * @returns {string[]}
 */
function declaredNames(stmt) {
  if (
    ts.isInterfaceDeclaration(stmt) ||
    ts.isTypeAliasDeclaration(stmt) ||
    ts.isClassDeclaration(stmt) ||
    ts.isFunctionDeclaration(stmt) ||
    ts.isEnumDeclaration(stmt) ||
    ts.isModuleDeclaration(stmt)
  ) {
    return stmt.name && ts.isIdentifier(stmt.name) ? [stmt.name.text] : [];
  }
  if (ts.isVariableStatement(stmt)) {
    return stmt.declarationList.declarations.flatMap((d) => (ts.isIdentifier(d.name) ? [d.name.text] : []));
  }
  return [];
}

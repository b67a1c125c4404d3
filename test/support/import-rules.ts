/**
 * The direction of imports in the project (DESIGN.md, "Which way imports go"), as a
 * checker over source text: every static import and re-export, `import type`,
 * `import()` (called or in a type), `import x = require()` and `require()` with a
 * literal specifier, read with the TypeScript compiler's parser rather than a regular
 * expression, so comments, strings and template text are never mistaken for imports.
 *
 * Pure: it takes the files as a map of repository-relative POSIX path → text, so a
 * test can run it over the repository or over a few files made up to break a rule.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join, posix } from 'node:path';
import ts from 'typescript';

/** What an import names: a file of the repository, or an npm package (or a Node.js built-in). */
export type ImportTarget = { readonly kind: 'file'; readonly path: string } | { readonly kind: 'package'; readonly name: string };

/** One import of one file. */
export interface ImportEdge {
  /** The importing file, repository-relative. */
  readonly from: string;
  /** The specifier as written. */
  readonly specifier: string;
  readonly target: ImportTarget;
  /** `dynamic` for `import()` and `require()`; `type` for type-only imports and `import('x')` types. */
  readonly kind: 'static' | 'type' | 'dynamic';
}

/** The rules, each as it is printed next to a violation. */
export const ImportRule = {
  LambdasStandAlone: 'lambdas/ imports only lambdas/, contracts/ and npm packages other than the CDK',
  ConsumerHandlerThin: 'a consumer handler imports only lambdas/kit/, lambdas/downstream/, contracts/event-types.generated.ts and its own folder',
  ModelWithoutCdk: 'model/ imports no CDK and none of lib/, cli/, local/, ops/, client/, lambdas/',
  ContractsStandAlone: 'contracts/ imports only contracts/ and npm packages other than the CDK',
  ClientOpsBelowEdges: 'client/ and ops/ import none of lib/, cli/, local/, lambdas/',
  EdgesImportedByNone: 'only cli/, local/, bin/, bench/ and test/ import cli/ or local/',
  CdkOnlyInInfrastructure: 'aws-cdk-lib, constructs and cdk-nag are imported only under lib/, bin/app.ts and test/',
  EdgesSynthesizeOnly: 'cli/ and local/ import nothing of lib/ but lib/fanout-stack',
} as const;

/** One of {@link ImportRule}. */
export type ImportRuleText = (typeof ImportRule)[keyof typeof ImportRule];

/** An import that breaks a rule. */
export interface ImportViolation {
  readonly file: string;
  /** The imported file's repository path, or the package name. */
  readonly imports: string;
  readonly rule: ImportRuleText;
}

/** `file: imports X (rule)`, as the test prints it. */
export function formatViolation(v: ImportViolation): string {
  return `${v.file}: imports ${v.imports} (${v.rule})`;
}

const CDK_PACKAGES = ['aws-cdk-lib', 'constructs', 'cdk-nag'];
const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs'];

/** The package an npm specifier names: `@scope/name` or `name`, without a subpath. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

function isCdk(target: ImportTarget): boolean {
  return target.kind === 'package' && (CDK_PACKAGES.includes(target.name) || target.name.startsWith('@aws-cdk/'));
}

/**
 * The repository file a relative specifier names: as written, with a TypeScript
 * extension added, `.js` written for `.ts` (ESM style), or a folder's index. When none
 * of those is a known file, the specifier is taken as a `.ts` file (unless it names a
 * file type of its own, such as `.json`), so it is still judged by its folder and name.
 */
function resolveRelative(from: string, specifier: string, known: ReadonlySet<string>): string {
  const base = posix.normalize(posix.join(posix.dirname(from), specifier));
  const stem = base.replace(/\.(m|c)?js$/, '');
  const candidates = [base, ...['.ts', '.tsx', '.mts', '.cts'].map((ext) => stem + ext), ...['index.ts', 'index.tsx'].map((i) => posix.join(base, i))];
  const found = candidates.find((c) => known.has(c));
  if (found !== undefined) return found;
  return [...SOURCE_EXTENSIONS, '.json'].includes(posix.extname(base)) ? base : `${base}.ts`;
}

function literalText(node: ts.Node | undefined): string | undefined {
  return node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) ? node.text : undefined;
}

/** Every import of one file, in source order. */
export function importsOf(path: string, text: string, known: ReadonlySet<string> = new Set()): ImportEdge[] {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, false, path.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const edges: ImportEdge[] = [];
  const add = (specifier: string | undefined, kind: ImportEdge['kind']) => {
    if (specifier === undefined) return;
    const target: ImportTarget =
      specifier.startsWith('.') || specifier.startsWith('/')
        ? { kind: 'file', path: resolveRelative(path, specifier, known) }
        : { kind: 'package', name: packageName(specifier) };
    edges.push({ from: path, specifier, target, kind });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      add(literalText(node.moduleSpecifier), node.importClause?.isTypeOnly ? 'type' : 'static');
    } else if (ts.isExportDeclaration(node)) {
      add(literalText(node.moduleSpecifier), node.isTypeOnly ? 'type' : 'static');
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(literalText(node.moduleReference.expression), node.isTypeOnly ? 'type' : 'static');
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(literalText(node.argument.literal), 'type');
    } else if (ts.isCallExpression(node)) {
      const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      if (isImport || isRequire) add(literalText(node.arguments[0]), 'dynamic');
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

const under = (path: string, folder: string) => path.startsWith(`${folder}/`);
const inAny = (path: string, folders: readonly string[]) => folders.some((f) => under(path, f));

/** The rules one import breaks (usually none). */
export function violationsOf(edge: ImportEdge): ImportViolation[] {
  const { from, target } = edge;
  const file = target.kind === 'file' ? target.path : undefined;
  const imports = target.kind === 'file' ? target.path : target.name;
  const out: ImportViolation[] = [];
  const broken = (rule: ImportRuleText) => out.push({ file: from, imports, rule });

  if (under(from, 'lambdas') && (isCdk(target) || (file !== undefined && !inAny(file, ['lambdas', 'contracts'])))) broken(ImportRule.LambdasStandAlone);

  const handler = /^lambdas\/consumers\/([^/]+)\//.exec(from);
  if (handler && file !== undefined) {
    const allowed = inAny(file, ['lambdas/kit', 'lambdas/downstream', `lambdas/consumers/${handler[1]}`]) || file === 'contracts/event-types.generated.ts';
    if (!allowed) broken(ImportRule.ConsumerHandlerThin);
  }

  if (under(from, 'model') && (isCdk(target) || (file !== undefined && inAny(file, ['lib', 'cli', 'local', 'ops', 'client', 'lambdas'])))) broken(ImportRule.ModelWithoutCdk);

  if (under(from, 'contracts') && (isCdk(target) || (file !== undefined && !under(file, 'contracts')))) broken(ImportRule.ContractsStandAlone);

  if (inAny(from, ['client', 'ops']) && file !== undefined && inAny(file, ['lib', 'cli', 'local', 'lambdas'])) broken(ImportRule.ClientOpsBelowEdges);

  if (file !== undefined && inAny(file, ['cli', 'local']) && !inAny(from, ['cli', 'local', 'bin', 'bench', 'test'])) broken(ImportRule.EdgesImportedByNone);

  if (isCdk(target) && !(under(from, 'lib') || under(from, 'test') || from === 'bin/app.ts')) broken(ImportRule.CdkOnlyInInfrastructure);

  if (inAny(from, ['cli', 'local']) && file !== undefined && under(file, 'lib') && file !== 'lib/fanout-stack.ts') broken(ImportRule.EdgesSynthesizeOnly);

  return out;
}

/** Every import that breaks a rule, over a set of files (repository-relative POSIX path → text). */
export function checkImportRules(files: ReadonlyMap<string, string>): ImportViolation[] {
  const known = new Set(files.keys());
  return [...files.entries()].flatMap(([path, text]) => importsOf(path, text, known).flatMap(violationsOf));
}

/** Folders that hold no source of ours: dependencies, build output, the emulator's virtualenv, local state. */
const SKIPPED = new Set(['node_modules', 'cdk.out']);

/** Reads every source file under `root` (skipping dependencies, build output and dot-folders) into the map {@link checkImportRules} takes. */
export function readSourceFiles(root: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (relative: string) => {
    for (const entry of readdirSync(join(root, relative), { withFileTypes: true })) {
      if (entry.name.startsWith('.') || SKIPPED.has(entry.name)) continue;
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && SOURCE_EXTENSIONS.includes(extname(entry.name)) && !entry.name.endsWith('.d.ts')) files.set(path, readFileSync(join(root, path), 'utf8'));
    }
  };
  walk('');
  return files;
}

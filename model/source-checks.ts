/**
 * What the pipeline definition promises about files beside it, checked before the stack
 * is synthesized, so a mismatch fails `cdk synth` (and `npm start`) with one line naming
 * the file and the field instead of showing up in production as dead letters:
 *
 * - every event type has a contract (schemas/<contract>/v1.json, ...), and every version
 *   has at least one example that satisfies it (the local demo, the AsyncAPI document and
 *   the docs draw events from the examples);
 * - every consumer's handler map (the object given to `defineHandlers` in the consumer's
 *   folder) handles exactly the event types the definition lists for it: a type listed
 *   but not handled would be dead-lettered on arrival, a type handled but not listed is
 *   never delivered (its subscription filters it out).
 *
 * That a consumer only lists types its topic carries is checked by resolvePipeline (the
 * definition alone tells), and reported here in the same one-line form.
 *
 * The handler map is read from the source with the TypeScript parser, not by running the
 * handler: importing it would start its SDK clients and read a Lambda environment.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { FanoutError } from '../contracts/errors';
import { loadContractVersions, SchemaFileError } from '../contracts/schema-files';
import { compileValidator } from '../contracts/validation';
import { PIPELINE_FILE } from './load-pipeline';
import { PipelineDefinitionError, type PipelineDefinition } from './pipeline-definition';

/** One thing wrong, as `file: field: reason`. */
export interface SourceProblem {
  /** Project-relative path of the file to change (or to create). */
  readonly file: string;
  /** The field within it, e.g. `examples` or `consumers[0].eventTypes`. */
  readonly field: string;
  readonly reason: string;
}

/** The line a problem is reported as. */
export function problemLine(problem: SourceProblem): string {
  return `${problem.file}: ${problem.field}: ${problem.reason}`;
}

/** The definition and the files beside it disagree; the message has one line per problem. */
export class PipelineSourceError extends FanoutError {
  readonly problems: readonly SourceProblem[];
  constructor(problems: readonly SourceProblem[]) {
    super(problems.map(problemLine).join('\n'));
    this.name = 'PipelineSourceError';
    this.problems = problems;
  }
}

/** A definition error as a source problem: the field is in the pipeline file. */
export function definitionProblem(error: PipelineDefinitionError): SourceProblem {
  return { file: PIPELINE_FILE, field: error.field, reason: error.reason };
}

/** Where the project keeps its parts. */
export interface SourceLayout {
  /** The project root: consumers' `entry` paths are relative to it. */
  readonly projectRoot: string;
  /** @default `<projectRoot>/schemas` */
  readonly schemasDir?: string;
}

/**
 * Every problem between the definition and its contracts and handlers; empty when none.
 * References the definition gets wrong by itself (an unknown topic, a duplicate name)
 * are left to resolvePipeline.
 */
export function findSourceProblems(definition: PipelineDefinition, layout: SourceLayout): SourceProblem[] {
  const schemasDir = layout.schemasDir ?? join(layout.projectRoot, 'schemas');
  const shown = (path: string) => relative(layout.projectRoot, path) || '.';
  return [
    ...definition.eventTypes.flatMap((eventType, i) => contractProblems(eventType.contract ?? eventType.name, i, schemasDir, shown)),
    ...definition.consumers.flatMap((consumer, i) => handlerProblems(consumer, i, layout.projectRoot, shown)),
  ];
}

/**
 * Throws when the definition or its sources are wrong. The definition is checked first
 * (`resolve`, i.e. resolvePipeline): the sources are only compared with a definition
 * that holds together, so one mistake is one line. A missing or broken contract is the
 * exception, reported as the source problem that names the file to create or fix.
 * @throws PipelineSourceError with one problem per line
 */
export function checkPipelineSources(definition: PipelineDefinition, layout: SourceLayout, resolve: () => unknown): void {
  try {
    resolve();
  } catch (error) {
    if (!(error instanceof PipelineDefinitionError)) throw error;
    if (!(error.cause instanceof SchemaFileError)) throw new PipelineSourceError([definitionProblem(error)]);
  }
  const problems = findSourceProblems(definition, layout);
  if (problems.length > 0) throw new PipelineSourceError(problems);
}

function contractProblems(contract: string, index: number, schemasDir: string, shown: (path: string) => string): SourceProblem[] {
  const folder = join(schemasDir, contract);
  if (!existsSync(join(folder, 'v1.json'))) {
    return [{ file: shown(join(folder, 'v1.json')), field: `eventTypes[${index}].contract`, reason: `event type's contract "${contract}" has no schema: create it (npx fanout new event writes one)` }];
  }
  let versions;
  try {
    versions = loadContractVersions(schemasDir, contract);
  } catch (cause) {
    return [{ file: shown(folder), field: `eventTypes[${index}].contract`, reason: (cause as Error).message }];
  }
  return versions.flatMap((version) => {
    const file = shown(version.file);
    const examples = version.schema.examples;
    if (!Array.isArray(examples) || examples.length === 0) {
      return [{ file, field: 'examples', reason: 'no example: add at least one event data object that satisfies the schema (the local demo publishes from them)' }];
    }
    let validate;
    try {
      validate = compileValidator(version.schema);
    } catch (cause) {
      return [{ file, field: '$schema', reason: (cause as Error).message }];
    }
    return examples.flatMap((example, i) => {
      const violation = validate(example)[0];
      return violation ? [{ file, field: `examples[${i}]`, reason: `does not satisfy its own schema: ${violation.path || '(root)'} ${violation.message}` }] : [];
    });
  });
}

function handlerProblems(
  consumer: PipelineDefinition['consumers'][number],
  index: number,
  projectRoot: string,
  shown: (path: string) => string,
): SourceProblem[] {
  const entry = join(projectRoot, consumer.entry);
  if (!existsSync(entry)) return [{ file: consumer.entry, field: 'handler', reason: `consumer "${consumer.name}"'s entry does not exist (${PIPELINE_FILE} consumers[${index}].entry)` }];
  const maps = handlerMaps(dirname(entry));
  if (maps.length === 0) {
    return [{ file: shown(dirname(entry)), field: 'defineHandlers', reason: `no defineHandlers({...}) call in consumer "${consumer.name}"'s folder: the kit needs its handler map` }];
  }
  if (maps.length > 1) {
    return [{ file: shown(maps[1]!.file), field: 'defineHandlers', reason: `consumer "${consumer.name}"'s folder has ${maps.length} handler maps (also in ${shown(maps[0]!.file)}); keep one` }];
  }
  const map = maps[0]!;
  const file = shown(map.file);
  if (map.types === undefined) {
    return [{ file, field: 'defineHandlers', reason: 'the handler map must be an object literal with the event types as string keys, so it can be checked against the definition' }];
  }
  const listed = new Set(consumer.eventTypes);
  const handled = new Set(map.types);
  const field = `consumers[${index}].eventTypes`;
  return [
    ...consumer.eventTypes
      .filter((type) => !handled.has(type))
      .map((type) => ({ file, field: `defineHandlers["${type}"]`, reason: `missing: ${PIPELINE_FILE} ${field} lists "${type}" for ${consumer.name}, so it is delivered and would be dead-lettered unhandled` })),
    ...map.types
      .filter((type) => !listed.has(type))
      .map((type) => ({ file, field: `defineHandlers["${type}"]`, reason: `not in ${PIPELINE_FILE} ${field} of ${consumer.name}: its subscription never delivers "${type}"; add the type there or remove the handler` })),
  ];
}

/** A `defineHandlers(...)` call found in a consumer's folder, with its keys when they are literal. */
interface HandlerMap {
  readonly file: string;
  /** The event types it handles; undefined when the map is not an object literal with literal keys. */
  readonly types?: readonly string[];
}

function handlerMaps(folder: string): HandlerMap[] {
  const files = readdirSync(folder)
    .filter((name) => /\.(ts|mts)$/.test(name) && !/\.(test|spec)\.ts$/.test(name) && !name.endsWith('.d.ts'))
    .sort()
    .map((name) => join(folder, name));
  return files.flatMap((file) => {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const found: HandlerMap[] = [];
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'defineHandlers') {
        found.push({ file, ...literalKeys(node.arguments[0]) });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
    return found;
  });
}

function literalKeys(argument: ts.Expression | undefined): { types?: string[] } {
  if (!argument || !ts.isObjectLiteralExpression(argument)) return {};
  const types: string[] = [];
  for (const property of argument.properties) {
    const name = ts.isPropertyAssignment(property) || ts.isMethodDeclaration(property) || ts.isShorthandPropertyAssignment(property) ? property.name : undefined;
    if (name && (ts.isStringLiteral(name) || ts.isIdentifier(name) || ts.isNoSubstitutionTemplateLiteral(name))) types.push(name.text);
    else if (name && ts.isComputedPropertyName(name) && ts.isStringLiteralLike(name.expression)) types.push(name.expression.text);
    else return {};
  }
  return { types };
}

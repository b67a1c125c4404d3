/**
 * Validation of event `data` against a contract version: ajv with ajv-formats, compiled
 * once per schema and reused for every event.
 *
 * A contract declares its JSON Schema draft with `$schema`: draft-07 (also when `$schema`
 * is left out) is validated by ajv's default class, draft 2020-12 by Ajv2020. The two
 * differ in meaning, not only in spelling (`items` as an array is a draft-07 tuple and
 * invalid in 2020-12; `unevaluatedProperties`, `prefixItems`, `dependentRequired`,
 * `minContains` are ignored by draft-07), so a schema is never run under the other draft.
 */
import { Ajv } from 'ajv';
// With the extension: ajv has no `exports` map, so plain Node ESM resolves a subpath only
// as written; tsx, vitest and esbuild accept it either way.
import { Ajv2020 } from 'ajv/dist/2020.js';
import type AjvCore from 'ajv/dist/core';
import addFormatsModule from 'ajv-formats';
import { PermanentError } from './errors';
import { toDataValidator, type DataValidator } from './violations';

// ajv-formats is CommonJS; under ESM its default export arrives wrapped or not
// depending on the loader (tsx, vitest, esbuild), so take whichever is callable.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: AjvCore) => AjvCore;

/** The JSON Schema drafts a contract may declare. */
export const SchemaDraft = {
  Draft07: 'draft-07',
  Draft2020_12: '2020-12',
} as const;

/** `draft-07` or `2020-12`. */
export type SchemaDraft = (typeof SchemaDraft)[keyof typeof SchemaDraft];

/** The `$schema` URI each supported draft is declared with. */
export const SCHEMA_DRAFT_URIS: Readonly<Record<SchemaDraft, string>> = {
  'draft-07': 'http://json-schema.org/draft-07/schema#',
  '2020-12': 'https://json-schema.org/draft/2020-12/schema',
};

/** A schema declares a `$schema` this project does not validate with. */
export class UnsupportedSchemaDraftError extends PermanentError {
  /** The `$schema` value as declared. */
  readonly declared: unknown;
  constructor(declared: unknown) {
    super(
      `$schema ${JSON.stringify(declared)} is not a supported JSON Schema draft: contracts may declare draft-07 ("${SCHEMA_DRAFT_URIS['draft-07']}") or 2020-12 ("${SCHEMA_DRAFT_URIS['2020-12']}"), or leave $schema out for draft-07`,
    );
    this.name = 'UnsupportedSchemaDraftError';
    this.declared = declared;
  }
}

// Both schemes and an empty fragment are accepted: the same draft is written all these
// ways in the wild, and none of them names a different meta-schema.
const DRAFT_07_URI = /^https?:\/\/json-schema\.org\/draft-07\/schema#?$/;
const DRAFT_2020_12_URI = /^https?:\/\/json-schema\.org\/draft\/2020-12\/schema#?$/;

/**
 * The draft a schema declares with its root `$schema`: draft-07 when there is none (or
 * the schema is a boolean).
 * @throws UnsupportedSchemaDraftError for any other `$schema` value
 */
export function schemaDraftOf(schema: unknown): SchemaDraft {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema) || !Object.hasOwn(schema, '$schema')) return SchemaDraft.Draft07;
  const declared = (schema as Record<string, unknown>).$schema;
  if (typeof declared === 'string' && DRAFT_07_URI.test(declared)) return SchemaDraft.Draft07;
  if (typeof declared === 'string' && DRAFT_2020_12_URI.test(declared)) return SchemaDraft.Draft2020_12;
  throw new UnsupportedSchemaDraftError(declared);
}

// Re-exported: tools and tests have always taken it from here.
export type { DataValidator } from './violations';

/** What {@link createContractAjv} may add to the options every contract is compiled with. */
export interface ContractAjvOptions {
  /**
   * Keep each compiled function's source, for ajv's standalone code generation
   * (scripts/generate-validators.ts). Off at run time: ajv then need not keep it.
   * @default false
   */
  readonly standaloneSource?: boolean;
}

/**
 * The ajv instance a contract of `draft` is compiled with: the one place its options are
 * chosen, so the validators precompiled from schemas/ and those compiled at run time for
 * a version registered later behave alike.
 */
export function createContractAjv(draft: SchemaDraft, options: ContractAjvOptions = {}): AjvCore {
  // strict off: contracts carry annotations (examples, descriptions) ajv need not know.
  // `lines` only lays the standalone code out one statement a line, for review.
  const ajvOptions = { allErrors: true, strict: false, ...(options.standaloneSource === true && { code: { source: true, lines: true } }) };
  const ajv = draft === SchemaDraft.Draft2020_12 ? new Ajv2020(ajvOptions) : new Ajv(ajvOptions);
  addFormats(ajv);
  return ajv;
}

/**
 * Compiles a JSON Schema into a validator. Compile once and keep the result:
 * compiling is the expensive part.
 * @throws UnsupportedSchemaDraftError when `$schema` names a draft other than draft-07 or 2020-12
 */
export function compileValidator(schema: Record<string, unknown>): DataValidator {
  const draft = schemaDraftOf(schema);
  // One ajv per schema: every contract version carries its own `$id`, and one shared
  // instance would refuse a second schema with the same id (e.g. after a cache refresh).
  return toDataValidator(createContractAjv(draft).compile(schemaForAjv(schema)));
}

/**
 * A contract as given to ajv's `compile`: without `$schema`. The draft is chosen from
 * `$schema` by {@link schemaDraftOf}; left in, ajv 8 would look the draft-07 URI up as an
 * unknown meta-schema (its own id for draft-07 differs by the trailing `#`).
 */
export function schemaForAjv(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = schema;
  return rest;
}

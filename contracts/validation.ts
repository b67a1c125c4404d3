/**
 * Validation of event `data` against a contract version: ajv (draft-07) with
 * ajv-formats, compiled once per schema and reused for every event.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { ContractViolation } from './errors';

// ajv-formats is CommonJS; under ESM its default export arrives wrapped or not
// depending on the loader (tsx, vitest, esbuild), so take whichever is callable.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

/** Checks data against one schema; returns every violation (empty when valid). */
export type DataValidator = (data: unknown) => readonly ContractViolation[];

function createAjv(): Ajv {
  // strict off: contracts carry annotations (examples, descriptions) ajv need not know.
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv;
}

function toViolation(error: ErrorObject): ContractViolation {
  const missing = error.keyword === 'required' ? `/${String((error.params as { missingProperty: string }).missingProperty)}` : '';
  const extra =
    error.keyword === 'additionalProperties' ? `/${String((error.params as { additionalProperty: string }).additionalProperty)}` : '';
  const path = `${error.instancePath}${missing}${extra}`;
  const message =
    error.keyword === 'additionalProperties' ? 'is not allowed by the contract' : error.keyword === 'required' ? 'is required' : (error.message ?? 'is invalid');
  return { path, rule: error.keyword, message };
}

/**
 * Compiles a JSON Schema into a validator. Compile once and keep the result:
 * compiling is the expensive part.
 */
export function compileValidator(schema: Record<string, unknown>): DataValidator {
  // One ajv per schema: every contract version carries its own `$id`, and one shared
  // instance would refuse a second schema with the same id (e.g. after a cache refresh).
  const validate: ValidateFunction = createAjv().compile(withoutMetaSchema(schema));
  return (data) => (validate(data) ? [] : (validate.errors ?? []).map(toViolation));
}

// ajv 8 ships draft-07 as its default meta-schema; a `$schema` naming it by its
// http URL would otherwise be looked up as an unknown meta-schema.
function withoutMetaSchema(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = schema;
  return rest;
}

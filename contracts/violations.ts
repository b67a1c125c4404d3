/**
 * How an ajv error becomes a {@link ContractViolation}, shared by the validators compiled
 * at run time (validation.ts) and those precompiled from schemas/ (precompiled-validators.ts),
 * so a violation reads the same whichever validated it. Imports ajv's types only: the
 * consumer bundle loads this module on its cold path, and ajv itself stays off it.
 */
import type { ErrorObject } from 'ajv';
import type { ContractViolation } from './errors';

/** Checks data against one schema; returns every violation (empty when valid). */
export type DataValidator = (data: unknown) => readonly ContractViolation[];

/**
 * What ajv compiles a schema to, at run time or as standalone code: true when valid,
 * otherwise false with the errors on the function.
 */
export interface AjvValidateFunction {
  (data: unknown): boolean;
  errors?: readonly ErrorObject[] | null;
}

/** One JSON pointer reference token (RFC 6901), for names appended to a path. */
function pointerToken(name: unknown): string {
  return String(name).replaceAll('~', '~0').replaceAll('/', '~1');
}

// Keywords that reject a member the contract does not declare, and the member they name:
// the violation points at the member itself, so it reads the same whichever draft closed the object.
function extraMember(error: ErrorObject): string | undefined {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return pointerToken(params.additionalProperty);
    case 'unevaluatedProperties':
      return pointerToken(params.unevaluatedProperty);
    case 'unevaluatedItems':
    case 'items':
      // `limit` is how many items were evaluated (or how many positions prefixItems
      // declares, for 2020-12 `items: false`): the first item beyond them is not allowed.
      // A schema-valued `items` reports its own keyword's errors instead, without `limit`.
      return typeof params.limit === 'number' ? String(params.limit) : undefined;
    default:
      return undefined;
  }
}

function toViolation(error: ErrorObject): ContractViolation {
  const missing = error.keyword === 'required' ? `/${String((error.params as { missingProperty: string }).missingProperty)}` : '';
  const extra = extraMember(error);
  const path = `${error.instancePath}${missing}${extra === undefined ? '' : `/${extra}`}`;
  const message = extra !== undefined ? 'is not allowed by the contract' : error.keyword === 'required' ? 'is required' : (error.message ?? 'is invalid');
  return { path, rule: error.keyword, message };
}

/** A {@link DataValidator} over an ajv validate function, compiled at run time or standalone. */
export function toDataValidator(validate: AjvValidateFunction): DataValidator {
  return (data) => (validate(data) ? [] : (validate.errors ?? []).map(toViolation));
}

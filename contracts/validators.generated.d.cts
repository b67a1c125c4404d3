/**
 * Validators of every event contract version in schemas/, precompiled by
 * scripts/generate-validators.ts with ajv's standalone code generation. Do not edit:
 * change the schema (or add a version) and run `npm run generate:types`. A unit test
 * fails when this file is stale.
 *
 * contracts/precompiled-validators.ts reads it: { [event type]: { [version]:
 * { fingerprint, validate } } }, the fingerprint being the schema's (schema-fingerprint.ts).
 */
import type { AjvValidateFunction } from './violations';

/** One contract version's precompiled validator and the fingerprint of the schema it was compiled from. */
export interface PrecompiledContract {
  readonly fingerprint: string;
  readonly validate: AjvValidateFunction;
}

/** Precompiled contracts by event type, then by version number. */
export type PrecompiledContracts = Readonly<Record<string, Readonly<Record<number, PrecompiledContract>>>>;

declare const contracts: PrecompiledContracts;
export = contracts;

/**
 * The validators of the contract versions this build was made with, precompiled from
 * schemas/ (validators.generated.cjs, by scripts/generate-validators.ts), and the rule for
 * when one may stand in for compiling a registered definition: only when that definition
 * is the very schema it was compiled from (same fingerprint). Glue stays the source of
 * truth: a registry holding a different definition under the same number, or a version
 * registered after the build, is compiled with ajv as before (glue-registry.ts).
 */
import GENERATED_CONTRACTS from './validators.generated.cjs';
import type { PrecompiledContracts } from './validators.generated.cjs';
import { schemaFingerprint } from './schema-fingerprint';
import { toDataValidator, type DataValidator } from './violations';

export type { PrecompiledContract, PrecompiledContracts } from './validators.generated.cjs';

/** Every contract version in schemas/ when this build was made, precompiled. */
export const PRECOMPILED_CONTRACTS: PrecompiledContracts = GENERATED_CONTRACTS;

/**
 * The precompiled validator of `eventType` v`version`, when `schema` (the definition the
 * registry answered with, parsed) is the schema it was compiled from; undefined
 * otherwise, and the caller compiles `schema` itself.
 */
export function precompiledValidator(
  eventType: string,
  version: number,
  schema: Record<string, unknown>,
  contracts: PrecompiledContracts = PRECOMPILED_CONTRACTS,
): DataValidator | undefined {
  // Own properties only: an event type named like an Object.prototype member is no contract.
  const versions = Object.hasOwn(contracts, eventType) ? contracts[eventType] : undefined;
  const contract = versions !== undefined && Object.hasOwn(versions, version) ? versions[version] : undefined;
  if (contract === undefined || contract.fingerprint !== schemaFingerprint(schema)) return undefined;
  return toDataValidator(contract.validate);
}

/**
 * Generates contracts/validators.generated.cjs: every contract version in schemas/
 * compiled ahead of time by ajv's standalone code generation, so a consumer validates
 * the versions it was built with without loading or running ajv's compiler (the largest
 * part of its import, and ~80 ms of its first call; issue 12).
 *
 * Why a generated, committed module rather than code generated while bundling: it is
 * reviewed like any source (a changed schema shows up as changed validator code in the
 * diff), the bundle build stays a plain esbuild run (NodejsFunction, the bench and the
 * bundling tests build it alike), and test/unit/precompiled-validators.test.ts fails when
 * the file is stale, as it does for the generated types; `npm run generate:types` (which
 * `fanout new` runs after adding a contract) writes both.
 *
 * Why CommonJS: ajv's standalone code reaches its run-time helpers (ucs2length, the
 * ajv-formats functions) with `require`, also in its ESM mode. As a .cjs module that is
 * plain CommonJS for Node, tsx, vitest and esbuild alike (esbuild bundles those helpers,
 * a few KB, not ajv itself).
 *
 * Each version is compiled alone, with the ajv instance validation.ts compiles it with at
 * run time (same draft class, options and formats, `$schema` taken out the same way), and
 * wrapped in its own function scope: the generated names of two versions never meet.
 * Next to each validator is the fingerprint of the schema it was compiled from; the
 * resolver uses the validator only for a registered definition with that fingerprint.
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import standaloneCodeModule from 'ajv/dist/standalone/index.js';
import type AjvCore from 'ajv/dist/core';
import type { AnyValidateFunction } from 'ajv/dist/core';
import { listContractFolders, loadContractVersions } from '../contracts/schema-files';
import { schemaFingerprint } from '../contracts/schema-fingerprint';
import { createContractAjv, schemaDraftOf, schemaForAjv } from '../contracts/validation';

// ajv's standalone entry is CommonJS with a default export; like ajv-formats in
// validation.ts, it arrives wrapped or not depending on the loader.
const standaloneCode = ((standaloneCodeModule as unknown as { default?: unknown }).default ?? standaloneCodeModule) as (ajv: AjvCore, validate: AnyValidateFunction) => string;

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** Where the precompiled validators are written. */
export const GENERATED_VALIDATORS_FILE = join(ROOT, 'contracts', 'validators.generated.cjs');

/** Where their type declarations are written (TypeScript reads a .cjs module's types from its .d.cts). */
export const GENERATED_VALIDATORS_TYPES_FILE = join(ROOT, 'contracts', 'validators.generated.d.cts');

const BANNER = `/**
 * Validators of every event contract version in schemas/, precompiled by
 * scripts/generate-validators.ts with ajv's standalone code generation. Do not edit:
 * change the schema (or add a version) and run \`npm run generate:types\`. A unit test
 * fails when this file is stale.
 *
 * contracts/precompiled-validators.ts reads it: { [event type]: { [version]:
 * { fingerprint, validate } } }, the fingerprint being the schema's (schema-fingerprint.ts).
 */`;

/** The declarations of the generated module; its shape never depends on the schemas. */
export const GENERATED_VALIDATORS_TYPES = `${BANNER}
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
`;

/**
 * The generated module's text for the contracts in `schemasDir` (one folder per event
 * type). Deterministic: the same schemas and the same ajv always give the same text.
 */
export function generateValidators(schemasDir: string): string {
  const types: string[] = [];
  for (const eventType of listContractFolders(schemasDir)) {
    const versions = loadContractVersions(schemasDir, eventType).map(({ version, schema }) => {
      const draft = schemaDraftOf(schema);
      const ajv = createContractAjv(draft, { standaloneSource: true });
      const code = standaloneCode(ajv, ajv.compile(schemaForAjv(schema)));
      return [
        `    // ${eventType} v${version} (${draft})`,
        `    ${version}: {`,
        `      fingerprint: ${JSON.stringify(schemaFingerprint(schema))},`,
        `      validate: standalone((module) => {`,
        indent(code.trim(), 8),
        '      }),',
        '    },',
      ].join('\n');
    });
    types.push(`  ${JSON.stringify(eventType)}: {\n${versions.join('\n')}\n  },`);
  }
  return `${BANNER}
'use strict';

// Runs one version's standalone module (which assigns module.exports) in its own scope.
function standalone(body) {
  const module = { exports: {} };
  body(module);
  return module.exports;
}

module.exports = {
${types.join('\n')}
};
`;
}

function indent(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return text
    .split('\n')
    .map((line) => (line.length > 0 ? pad + line : line))
    .join('\n');
}

/**
 * Which way imports go (DESIGN.md): lambdas/ stands alone from the CDK and the tools, a
 * consumer handler imports the kit and its downstream port only, model/ and contracts/
 * load no CDK, client/ and ops/ stay below the edges, nothing but the edges imports
 * cli/ or local/, and the CDK stays in lib/. Every source file's static, type-only and
 * dynamic imports are read with the TypeScript parser (test/support/import-rules.ts).
 *
 * A failure lists each offending import as `file: imports X (rule)`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../model/project-root';
import { checkImportRules, formatViolation, ImportRule, importsOf, readSourceFiles } from '../support/import-rules';

describe('import rules of the repository', () => {
  const files = readSourceFiles(PROJECT_ROOT);

  it('reads every part of the project, and no dependency or build output', () => {
    for (const folder of ['bin', 'lib', 'model', 'contracts', 'client', 'lambdas', 'ops', 'cli', 'local', 'bench', 'test']) {
      expect([...files.keys()].some((path) => path.startsWith(`${folder}/`)), folder).toBe(true);
    }
    expect(files.has('pipeline.ts')).toBe(true);
    expect([...files.keys()].filter((path) => path.startsWith('node_modules/') || path.startsWith('cdk.out/') || path.startsWith('.'))).toEqual([]);
  });

  it('holds: no file imports against the direction of the layers', () => {
    const violations = checkImportRules(files).map(formatViolation);
    expect(violations, `\n${violations.join('\n')}\n`).toEqual([]);
  });
});

describe('the import-rule checker', () => {
  /** A made-up project: each file imports one thing it must not. */
  const broken = new Map<string, string>([
    ['lambdas/kit/runtime.ts', "import { createFanoutApp } from '../../lib/fanout-stack';"],
    ['lambdas/kit/types.ts', "import type { ResolvedPipeline } from '../../model/pipeline-definition';"],
    ['lambdas/kit/cdk.ts', "import { Duration } from 'aws-cdk-lib';"],
    ['lambdas/consumers/crm-sync/handler.ts', "import { parseEnvelope } from '../../../contracts/envelope';\nimport { other } from '../billing-sync/helper';"],
    ['lambdas/consumers/billing-sync/helper.ts', 'export const other = 1;'],
    ['model/pipeline-definition.ts', "export async function load() { return import('../ops/status'); }"],
    ['model/stack-outputs.ts', "import * as sqs from 'aws-cdk-lib/aws-sqs';"],
    ['contracts/envelope.ts', "export { PIPELINE_DEFAULTS } from '../model/pipeline-definition';"],
    ['contracts/cdk.ts', "import { Construct } from 'constructs';"],
    ['client/publisher.ts', "type Emulator = typeof import('../local/emulator');"],
    ['ops/status.ts', "import { handler } from '../lambdas/consumers/crm-sync/handler';"],
    ['scripts/install.ts', "const emulator = require('../local/emulator');"],
    ['bench/cold-start.ts', "import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';"],
    ['cli/runbook.ts', "export async function names() { return (await import('../lib/constructs/consumer')).consumerQueueNames; }"],
    ['local/emulator.ts', 'export const x = 1;'],
    ['lib/fanout-stack.ts', 'export const y = 1;'],
    ['lib/constructs/consumer.ts', 'export const consumerQueueNames = 1;'],
    ['ops/dead-letters.ts', 'export const z = 1;'],
  ]);

  it('finds each forbidden import, static, type-only, re-exported, dynamic or required, and says which rule it breaks', () => {
    expect(checkImportRules(broken).map(formatViolation)).toEqual([
      `lambdas/kit/runtime.ts: imports lib/fanout-stack.ts (${ImportRule.LambdasStandAlone})`,
      `lambdas/kit/types.ts: imports model/pipeline-definition.ts (${ImportRule.LambdasStandAlone})`,
      `lambdas/kit/cdk.ts: imports aws-cdk-lib (${ImportRule.LambdasStandAlone})`,
      `lambdas/kit/cdk.ts: imports aws-cdk-lib (${ImportRule.CdkOnlyInInfrastructure})`,
      `lambdas/consumers/crm-sync/handler.ts: imports contracts/envelope.ts (${ImportRule.ConsumerHandlerThin})`,
      `lambdas/consumers/crm-sync/handler.ts: imports lambdas/consumers/billing-sync/helper.ts (${ImportRule.ConsumerHandlerThin})`,
      `model/pipeline-definition.ts: imports ops/status.ts (${ImportRule.ModelWithoutCdk})`,
      `model/stack-outputs.ts: imports aws-cdk-lib (${ImportRule.ModelWithoutCdk})`,
      `model/stack-outputs.ts: imports aws-cdk-lib (${ImportRule.CdkOnlyInInfrastructure})`,
      `contracts/envelope.ts: imports model/pipeline-definition.ts (${ImportRule.ContractsStandAlone})`,
      `contracts/cdk.ts: imports constructs (${ImportRule.ContractsStandAlone})`,
      `contracts/cdk.ts: imports constructs (${ImportRule.CdkOnlyInInfrastructure})`,
      `client/publisher.ts: imports local/emulator.ts (${ImportRule.ClientOpsBelowEdges})`,
      `client/publisher.ts: imports local/emulator.ts (${ImportRule.EdgesImportedByNone})`,
      `ops/status.ts: imports lambdas/consumers/crm-sync/handler.ts (${ImportRule.ClientOpsBelowEdges})`,
      `scripts/install.ts: imports local/emulator.ts (${ImportRule.EdgesImportedByNone})`,
      `bench/cold-start.ts: imports aws-cdk-lib (${ImportRule.CdkOnlyInInfrastructure})`,
      `cli/runbook.ts: imports lib/constructs/consumer.ts (${ImportRule.EdgesSynthesizeOnly})`,
    ]);
  });

  it('lets the allowed directions through', () => {
    const fine = new Map<string, string>([
      ['lambdas/consumers/crm-sync/handler.ts', "import { createConsumer } from '../../kit/consumer';\nimport { contacts } from '../../downstream/contacts';\nimport type { UserSignedUpV2 } from '../../../contracts/event-types.generated';\nimport { map } from './map';\nimport { z } from 'ajv';"],
      ['lambdas/consumers/crm-sync/map.ts', 'export const map = 1;'],
      ['lambdas/kit/consumer.ts', "import { parseEnvelope } from '../../contracts/envelope';\nimport { Logger } from '@aws-lambda-powertools/logger';"],
      ['model/load-pipeline.ts', "import { pipeline } from '../pipeline';\nimport { FanoutError } from '../contracts/errors';"],
      ['contracts/validation.ts', "import Ajv from 'ajv';\nimport { FanoutError } from './errors';"],
      ['ops/routing.ts', "import { matches } from '../model/filter-policy';\nimport { parseEnvelope } from '../contracts/envelope';"],
      ['cli/synth.ts', "import { createFanoutApp } from '../lib/fanout-stack';\nimport { report } from '../local/report';"],
      ['local/start.ts', "const { createFanoutApp } = await import('../lib/fanout-stack.js');"],
      ['bin/app.ts', "import { App } from 'aws-cdk-lib';\nimport { run } from '../cli/commands';"],
      ['bench/local-throughput.ts', "import { start } from '../local/start';"],
      ['test/infra/nag.test.ts', "import { AwsSolutionsChecks } from 'cdk-nag';\nimport { x } from '../../local/start';"],
      ['lib/fanout-stack.ts', "import { Stack } from 'aws-cdk-lib';\nimport { consumerQueueNames } from '../model/resource-names';"],
      // Text that only looks like an import.
      ['contracts/errors.ts', "// import { x } from '../lib/fanout-stack';\nexport const hint = \"import('../cli/commands')\";"],
    ]);
    expect(checkImportRules(fine).map(formatViolation)).toEqual([]);
  });

  it('resolves ESM `.js` specifiers and folder indexes to the repository file', () => {
    const known = new Set(['lib/fanout-stack.ts', 'contracts/compatibility/index.ts']);
    expect(importsOf('cli/x.ts', "import '../lib/fanout-stack.js';\nimport { check } from '../contracts/compatibility';", known).map((e) => e.target)).toEqual([
      { kind: 'file', path: 'lib/fanout-stack.ts' },
      { kind: 'file', path: 'contracts/compatibility/index.ts' },
    ]);
    expect(importsOf('x.ts', "import '@aws-sdk/client-sqs/dist';\nimport 'node:fs';").map((e) => e.target)).toEqual([
      { kind: 'package', name: '@aws-sdk/client-sqs' },
      { kind: 'package', name: 'node:fs' },
    ]);
  });

  it('reads a project from disk the same way', () => {
    const root = mkdtempSync(join(tmpdir(), 'fanout-import-rules-'));
    try {
      for (const [path, text] of [...broken, ['node_modules/aws-cdk-lib/index.ts', "import '../../cli/commands';"]]) {
        mkdirSync(join(root, dirname(path!)), { recursive: true });
        writeFileSync(join(root, path!), text!);
      }
      expect(checkImportRules(readSourceFiles(root))).toEqual(expect.arrayContaining(checkImportRules(broken)));
      expect(checkImportRules(readSourceFiles(root))).toHaveLength(checkImportRules(broken).length);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

/**
 * The app: a bad definition fails synth with the field named, and `bin/app.ts`
 * synthesizes offline with no credentials.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFanoutApp, PROJECT_ROOT } from '../../lib/fanout-stack';
import { PipelineDefinitionError, type PipelineDefinition } from '../../model/pipeline-definition';
import { pipeline as samplePipeline } from '../../pipeline';

function withChange(change: (d: any) => void): PipelineDefinition {
  const copy = structuredClone(samplePipeline) as any;
  change(copy);
  return copy;
}

function synthError(definition: PipelineDefinition): PipelineDefinitionError {
  try {
    createFanoutApp({ definition, cloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [] } }).app.synth();
  } catch (error) {
    expect(error).toBeInstanceOf(PipelineDefinitionError);
    return error as PipelineDefinitionError;
  }
  throw new Error('expected synthesis to fail');
}

describe('synthesizing a bad definition', () => {
  it('fails before building anything, with the field named', () => {
    const error = synthError(withChange((d) => (d.consumers[1].topic = 'no-such-topic')));
    expect(error.field).toBe('consumers[1].topic');
    expect(error.message).toBe('invalid pipeline definition: consumers[1].topic: unknown topic "no-such-topic"');
  });

  it('names a batch size FIFO cannot take', () => {
    const error = synthError(withChange((d) => (d.consumers[2].batchSize = 11)));
    expect(error.field).toBe('consumers[2].batchSize');
  });

  it('names a consumer whose queue names would exceed 80 characters', () => {
    const long = 'a-consumer-name-that-is-long-enough-xyz';
    const error = synthError(
      withChange((d) => {
        d.name = 'a-pipeline-name-that-is-also-quite-long';
        d.consumers[0].name = long;
      }),
    );
    expect(error.field).toBe('consumers[0].name');
    // The queue itself (79 characters) fits; its DLQ's name does not.
    expect(error.message).toMatch(/queue name "a-pipeline-name-that-is-also-quite-long-a-consumer-name-that-is-long-enough-xyz-dlq" .* longer than SQS's 80 characters/);
  });

  it('names a contract with later versions under DISABLED compatibility (Glue would refuse them)', () => {
    const error = synthError(withChange((d) => (d.eventTypes[0].compatibility = 'DISABLED')));
    expect(error.field).toBe('eventTypes[0].compatibility');
    expect(error.message).toMatch(/DISABLED .* user\.signed-up has 2/);
  });

  it('accepts DISABLED on a contract with one version', () => {
    const { stack } = createFanoutApp({
      definition: withChange((d) => (d.eventTypes[1].compatibility = 'DISABLED')),
      cloudFormationValidation: false,
      context: { 'aws:cdk:bundling-stacks': [] },
    });
    expect(stack.contracts.schemas.get('user.profile-updated')!.compatibility).toBe('DISABLED');
  });
});

describe('bin/app.ts', () => {
  it('synthesizes offline, with no credentials, for the fixed dummy account and region', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'fanout-app-'));
    try {
      const env: Record<string, string> = {};
      for (const [key, value] of Object.entries(process.env)) {
        if (value !== undefined && !/^(AWS_|CDK_)/.test(key)) env[key] = value;
      }
      Object.assign(env, {
        // What the CDK CLI hands the app; bundling is skipped here (the stack test bundles).
        CDK_OUTDIR: outdir,
        CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [] }),
        CDK_VALIDATION: 'false',
        // Any attempt to reach AWS would fail fast rather than hang.
        AWS_EC2_METADATA_DISABLED: 'true',
      });
      const result = spawnSync(join(PROJECT_ROOT, 'node_modules/.bin/tsx'), ['bin/app.ts'], { cwd: PROJECT_ROOT, env, encoding: 'utf8', timeout: 60_000 });
      expect(result.stderr).not.toMatch(/Error/);
      expect(result.status).toBe(0);
      const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8'));
      expect(manifest.artifacts['fanout-sample']).toMatchObject({
        type: 'aws:cloudformation:stack',
        environment: 'aws://123456789012/us-east-1',
      });
      expect(existsSync(join(outdir, 'fanout-sample.template.json'))).toBe(true);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});

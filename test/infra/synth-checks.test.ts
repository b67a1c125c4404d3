/**
 * The definition against the files beside it: each mismatch fails synth (`bin/app.ts`,
 * as `cdk synth` and `npm start` run it) with one line naming the file and the field.
 * Run on a copy of the project, changed the way a team would get it wrong.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PipelineDefinition } from '../../model/pipeline-definition';
import { findSourceProblems, problemLine } from '../../model/source-checks';
import { pipeline as samplePipeline } from '../../pipeline';
import { copyProject, type ProjectCopy } from '../support/project-copy';

let project: ProjectCopy;

beforeAll(() => {
  project = copyProject();
});
afterAll(() => project.remove());

/** Runs the copy's bin/app.ts as the CDK CLI would (bundling skipped: the checks come first). */
function synth(): { status: number | null; stderr: string } {
  const outdir = mkdtempSync(join(tmpdir(), 'fanout-synth-check-'));
  try {
    const result = spawnSync(join(project.root, 'node_modules/.bin/tsx'), ['bin/app.ts'], {
      cwd: project.root,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [] }), CDK_VALIDATION: 'false' },
    });
    return { status: result.status, stderr: result.stderr.trim() };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Changes a file of the copy for one test, and puts it back after. */
function withEdit<T>(path: string, edit: (text: string) => string, body: () => T): T {
  const original = readFileSync(join(project.root, path), 'utf8');
  project.edit(path, edit);
  try {
    return body();
  } finally {
    writeFileSync(join(project.root, path), original);
  }
}

/** An event type the pipeline does not have (a team may already have added order.placed). */
const UNKNOWN_TYPE = ['order.placed', 'order.shipped', 'invoice.issued'].find((name) => !samplePipeline.eventTypes.some((e) => e.name === name))!;

const emailMarketingTypes = "eventTypes: ['user.signed-up'],\n      // Selected on the body";

describe('synth fails with one line naming the file and the field', () => {
  it('when a consumer lists an event type its handler map does not handle', () => {
    const result = withEdit('pipeline.ts', (t) => t.replace(emailMarketingTypes, emailMarketingTypes.replace("['user.signed-up']", "['user.signed-up', 'user.profile-updated']")), synth);
    expect(result.stderr).toBe(
      'lambdas/consumers/email-marketing/add-subscriber.ts: defineHandlers["user.profile-updated"]: missing: pipeline.ts consumers[1].eventTypes lists "user.profile-updated" for email-marketing, so it is delivered and would be dead-lettered unhandled',
    );
    expect(result.status).toBe(1);
  });

  it('when an event type has no schema', () => {
    const result = withEdit(
      'pipeline.ts',
      (t) => t.replace(/(\n  eventTypes: \[\n)/, `$1    { name: '${UNKNOWN_TYPE}', topic: 'user-events', peakEventsPerSecond: 1, latencySlaP95Seconds: 60 },\n`),
      synth,
    );
    expect(result.stderr).toBe(`schemas/${UNKNOWN_TYPE}/v1.json: eventTypes[0].contract: event type's contract "${UNKNOWN_TYPE}" has no schema: create it (npx fanout new event writes one)`);
    expect(result.status).toBe(1);
  });

  it('when a contract version has no example', () => {
    const result = withEdit('schemas/user.profile-updated/v1.json', (t) => JSON.stringify({ ...JSON.parse(t), examples: undefined }), synth);
    expect(result.stderr).toBe(
      'schemas/user.profile-updated/v1.json: examples: no example: add at least one event data object that satisfies the schema (the local demo publishes from them)',
    );
    expect(result.status).toBe(1);
  });

  it("when a consumer lists an event type its topic never carries", () => {
    const result = withEdit('pipeline.ts', (t) => t.replace(emailMarketingTypes, emailMarketingTypes.replace("['user.signed-up']", "['user.signed-up', 'subscription.changed']")), synth);
    expect(result.stderr).toBe('pipeline.ts: consumers[1].eventTypes[1]: event type "subscription.changed" is published to "billing-events", not to email-marketing\'s topic "user-events"');
    expect(result.status).toBe(1);
  });

  it('and passes them when nothing disagrees (the shipped pipeline)', () => {
    expect(findSourceProblems(samplePipeline, { projectRoot: project.root })).toEqual([]);
  });
});

describe('findSourceProblems', () => {
  const withConsumerTypes = (types: string[]): PipelineDefinition => ({
    ...samplePipeline,
    consumers: samplePipeline.consumers.map((c) => (c.name === 'crm-sync' ? { ...c, eventTypes: types } : c)),
  });

  it('names a handler the definition does not list (its subscription never delivers it)', () => {
    expect(findSourceProblems(withConsumerTypes(['user.signed-up']), { projectRoot: project.root }).map(problemLine)).toEqual([
      'lambdas/consumers/crm-sync/sync-contact.ts: defineHandlers["user.profile-updated"]: not in pipeline.ts consumers[0].eventTypes of crm-sync: its subscription never delivers "user.profile-updated"; add the type there or remove the handler',
    ]);
  });

  it('names an example that breaks its own contract', () => {
    withEdit(
      'schemas/subscription.changed/v1.json',
      (t) => JSON.stringify({ ...JSON.parse(t), examples: [{ accountId: 'acct_1' }] }),
      () => {
        const [problem] = findSourceProblems(samplePipeline, { projectRoot: project.root });
        expect(problem).toMatchObject({ file: 'schemas/subscription.changed/v1.json', field: 'examples[0]' });
        expect(problem!.reason).toMatch(/^does not satisfy its own schema: /);
      },
    );
  });

  it('refuses a handler map it cannot read (keys must be literal to be checked)', () => {
    withEdit(
      'lambdas/consumers/billing-sync/apply-change.ts',
      (t) => t.replace("'subscription.changed': {", "[`subscription.${'changed'}`]: {"),
      () => {
        expect(findSourceProblems(samplePipeline, { projectRoot: project.root }).map(problemLine)).toEqual([
          'lambdas/consumers/billing-sync/apply-change.ts: defineHandlers: the handler map must be an object literal with the event types as string keys, so it can be checked against the definition',
        ]);
      },
    );
  });
});

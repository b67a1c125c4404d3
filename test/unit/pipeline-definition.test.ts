import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { resolvePipeline, PipelineDefinitionError, type PipelineDefinition } from '../../lib/pipeline-definition';
import { samplePipeline } from '../../lib/sample-pipeline';

const SCHEMAS = join(import.meta.dirname, '../../schemas');

function withChange(change: (d: { -readonly [K in keyof PipelineDefinition]: any }) => void): PipelineDefinition {
  const copy = structuredClone(samplePipeline) as any;
  change(copy);
  return copy;
}

function expectFieldError(definition: PipelineDefinition, field: string, message: RegExp) {
  try {
    resolvePipeline(definition, SCHEMAS);
  } catch (error) {
    expect(error).toBeInstanceOf(PipelineDefinitionError);
    expect((error as PipelineDefinitionError).field).toBe(field);
    expect((error as Error).message).toMatch(message);
    return;
  }
  throw new Error(`expected a PipelineDefinitionError on ${field}`);
}

describe('resolvePipeline', () => {
  it('applies defaults to the sample pipeline', () => {
    const pipeline = resolvePipeline(samplePipeline, SCHEMAS);
    const crm = pipeline.consumers.find((c) => c.name === 'crm-sync')!;
    expect(crm.maxReceiveCount).toBe(5);
    expect(crm.visibilityTimeoutSeconds).toBe(180);
    expect(crm.filter).toEqual({ scope: 'MessageAttributes', policy: { type: ['user.signed-up', 'user.profile-updated'] } });
    expect(crm.peakEventsPerSecond).toBe(70);
    expect(crm.latencySlaP95Seconds).toBe(60);
    expect(pipeline.eventTypes.find((e) => e.name === 'user.signed-up')!.versions.map((v) => v.version)).toEqual([1, 2]);
    expect(pipeline.consumers.find((c) => c.name === 'billing-sync')!.fifo).toBe(true);
  });

  it('rejects an unknown topic', () => {
    expectFieldError(withChange((d) => (d.consumers[0].topic = 'nope')), 'consumers[0].topic', /unknown topic "nope"/);
  });
  it('rejects an unknown event type', () => {
    expectFieldError(withChange((d) => (d.consumers[0].eventTypes = ['user.deleted'])), 'consumers[0].eventTypes[0]', /unknown event type/);
  });
  it('rejects a FIFO consumer on a standard topic', () => {
    expectFieldError(
      withChange((d) => (d.consumers[2].topic = 'user-events')),
      'consumers[2].eventTypes[0]',
      /published to "billing-events", not "user-events"/,
    );
  });
  it('rejects a batch size above 10 on FIFO', () => {
    expectFieldError(withChange((d) => (d.consumers[2].batchSize = 11)), 'consumers[2].batchSize', /1 to 10/);
  });
  it('rejects a batch size above 10 without a batching window', () => {
    expectFieldError(withChange((d) => (d.consumers[0].batchSize = 100)), 'consumers[0].batchSize', /batching window/);
  });
  it('rejects a batching window on FIFO', () => {
    expectFieldError(withChange((d) => (d.consumers[2].batchingWindowSeconds = 5)), 'consumers[2].batchingWindowSeconds', /FIFO/);
  });
  it('rejects a visibility timeout above 12 hours', () => {
    expectFieldError(withChange((d) => (d.consumers[0].visibilityTimeoutSeconds = 43_201)), 'consumers[0].visibilityTimeoutSeconds', /12 h/);
  });
  it('rejects a visibility timeout shorter than 6 x the function timeout', () => {
    expectFieldError(withChange((d) => (d.consumers[0].visibilityTimeoutSeconds = 179)), 'consumers[0].visibilityTimeoutSeconds', /180s/);
  });
  it('rejects duplicate names', () => {
    expectFieldError(withChange((d) => (d.consumers[1].name = 'crm-sync')), 'consumers[1].name', /duplicate name "crm-sync"/);
    expectFieldError(withChange((d) => d.topics.push({ name: 'user-events' })), 'topics[2].name', /duplicate/);
  });
  it('rejects a missing schema folder', () => {
    expectFieldError(withChange((d) => (d.eventTypes[0].contract = 'no-such-contract')), 'eventTypes[0].contract', /does not exist/);
  });
  it('rejects archive retention on a standard topic', () => {
    expectFieldError(withChange((d) => (d.topics[0].archiveRetentionDays = 3)), 'topics[0].archiveRetentionDays', /FIFO/);
  });
});

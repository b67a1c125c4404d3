import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { fifoMaxReceiveCount, resolvePipeline, PipelineDefinitionError, type PipelineDefinition } from '../../lib/pipeline-definition';
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

  describe('maxReceiveCount on FIFO (held messages are received with a failing head)', () => {
    const billing = (definition: PipelineDefinition) => resolvePipeline(definition, SCHEMAS).consumers.find((c) => c.name === 'billing-sync')!;

    it('defaults to 5 + the batch size on FIFO, 5 on a standard queue', () => {
      expect(fifoMaxReceiveCount(10)).toBe(15);
      expect(billing(samplePipeline).maxReceiveCount).toBe(15);
      expect(billing(withChange((d) => (d.consumers[2].batchSize = 3))).maxReceiveCount).toBe(8);
      const standard = resolvePipeline(samplePipeline, SCHEMAS).consumers.filter((c) => !c.fifo);
      expect(standard.map((c) => c.maxReceiveCount)).toEqual([5, 5]);
    });

    it('rejects a FIFO maxReceiveCount not above the batch size, naming the field', () => {
      expectFieldError(withChange((d) => (d.consumers[2].maxReceiveCount = 10)), 'consumers[2].maxReceiveCount', /must be above the batch size \(10\) on FIFO/);
      expectFieldError(withChange((d) => (d.consumers[2].maxReceiveCount = 5)), 'consumers[2].maxReceiveCount', /held behind a failing message/);
      expectFieldError(
        withChange((d) => Object.assign(d.consumers[2], { batchSize: 4, maxReceiveCount: 4 })),
        'consumers[2].maxReceiveCount',
        /above the batch size \(4\)/,
      );
    });

    it('accepts a FIFO maxReceiveCount above the batch size, and any valid one on a standard queue', () => {
      expect(billing(withChange((d) => (d.consumers[2].maxReceiveCount = 11))).maxReceiveCount).toBe(11);
      const crm = resolvePipeline(withChange((d) => (d.consumers[0].maxReceiveCount = 2)), SCHEMAS).consumers[0]!;
      expect(crm).toMatchObject({ batchSize: 10, maxReceiveCount: 2 });
    });
  });

  describe('HTTP downstream', () => {
    it('rejects an http: URL: TLS only, naming the field', () => {
      expectFieldError(
        withChange((d) => (d.consumers[1].downstream = { kind: 'http', url: 'http://crm.example.com/api' })),
        'consumers[1].downstream.url',
        /"http:\/\/crm\.example\.com\/api" must be an https: URL \(TLS only\)/,
      );
      expectFieldError(withChange((d) => (d.consumers[1].downstream = { kind: 'http', url: 'ftp://crm.example.com' })), 'consumers[1].downstream.url', /https:/);
    });

    it('rejects a string that is no URL', () => {
      expectFieldError(withChange((d) => (d.consumers[1].downstream = { kind: 'http', url: 'crm.example.com' })), 'consumers[1].downstream.url', /is not a URL/);
    });

    it('accepts an https: URL, with the default timeout', () => {
      const pipeline = resolvePipeline(withChange((d) => (d.consumers[1].downstream = { kind: 'http', url: 'https://crm.example.com/api' })), SCHEMAS);
      expect(pipeline.consumers[1]!.downstream).toEqual({ kind: 'http', url: 'https://crm.example.com/api', timeoutMs: 3000 });
    });
  });

  describe('retry backoff', () => {
    it('defaults to a 10 s base and a 300 s ceiling', () => {
      for (const consumer of resolvePipeline(samplePipeline, SCHEMAS).consumers) {
        expect(consumer).toMatchObject({ retryBaseDelaySeconds: 10, retryMaxDelaySeconds: 300 });
      }
    });

    it('takes values from the definition, base equal to max included', () => {
      const pipeline = resolvePipeline(withChange((d) => Object.assign(d.consumers[0], { retryBaseDelaySeconds: 60, retryMaxDelaySeconds: 60 })), SCHEMAS);
      expect(pipeline.consumers[0]).toMatchObject({ retryBaseDelaySeconds: 60, retryMaxDelaySeconds: 60 });
      const widest = resolvePipeline(withChange((d) => Object.assign(d.consumers[0], { retryBaseDelaySeconds: 1, retryMaxDelaySeconds: 43_200 })), SCHEMAS);
      expect(widest.consumers[0]).toMatchObject({ retryBaseDelaySeconds: 1, retryMaxDelaySeconds: 43_200 });
    });

    it('rejects a base below 1 s or not an integer', () => {
      expectFieldError(withChange((d) => (d.consumers[0].retryBaseDelaySeconds = 0)), 'consumers[0].retryBaseDelaySeconds', /integer from 1 to 43200, got 0/);
      expectFieldError(withChange((d) => (d.consumers[0].retryBaseDelaySeconds = 2.5)), 'consumers[0].retryBaseDelaySeconds', /integer/);
    });

    it('rejects a max below the base, above 12 h, or not an integer', () => {
      expectFieldError(withChange((d) => (d.consumers[0].retryMaxDelaySeconds = 9)), 'consumers[0].retryMaxDelaySeconds', /integer from 10 to 43200, got 9/);
      expectFieldError(
        withChange((d) => Object.assign(d.consumers[0], { retryBaseDelaySeconds: 120, retryMaxDelaySeconds: 60 })),
        'consumers[0].retryMaxDelaySeconds',
        /from 120 to 43200, got 60/,
      );
      expectFieldError(withChange((d) => (d.consumers[0].retryMaxDelaySeconds = 43_201)), 'consumers[0].retryMaxDelaySeconds', /to 43200, got 43201/);
      expectFieldError(withChange((d) => (d.consumers[0].retryMaxDelaySeconds = 30.5)), 'consumers[0].retryMaxDelaySeconds', /integer/);
    });
  });
});

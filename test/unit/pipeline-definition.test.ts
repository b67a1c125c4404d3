import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { budgetShortfallBound, receivesToCoverBudget, RETRY_BUDGET_RISK } from '../../contracts/retry-budget';
import { derivedMaxReceiveCount, resolvePipeline, PipelineDefinitionError, type PipelineDefinition } from '../../model/pipeline-definition';
import { pipeline as samplePipeline } from '../../pipeline';

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
    expect(crm.retryBudgetSeconds).toBe(3600);
    expect(crm.maxReceiveCount).toBe(49);
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
      /published to "billing-events", not to billing-sync's topic "user-events"/,
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
  it("sorts a topic's publishers into role ARNs, roles of the stack's account and accounts", () => {
    const pipeline = resolvePipeline(
      withChange((d) => (d.topics[0].publishers = ['arn:aws:iam::111122223333:role/web-app', 'role/team/web-app', '444455556666'])),
      SCHEMAS,
    );
    expect(pipeline.topics[0]!.publishers).toMatchObject({ roleArns: ['arn:aws:iam::111122223333:role/web-app'], roleNames: ['team/web-app'], accounts: ['444455556666'] });
    expect(resolvePipeline(withChange((d) => delete d.topics[0].publishers), SCHEMAS).topics[0]!.publishers).toBeUndefined();
  });
  it('keeps the owners of consumers and producers, and rejects one that cannot be a tag', () => {
    const pipeline = resolvePipeline(samplePipeline, SCHEMAS);
    expect(pipeline.consumers.find((c) => c.name === 'crm-sync')!.owner).toEqual({ team: 'crm-integrations', contact: 'crm-integrations-oncall@example.com' });
    expect(pipeline.topics[0]!.publishers!.producers).toEqual([{ principal: 'role/fanout-sample-web-app', owner: { team: 'web-app', contact: 'web-app-oncall@example.com' } }]);
    expectFieldError(withChange((d) => (d.consumers[0].owner = { team: 'crm', contact: 'ping <crm@example.com>' })), 'consumers[0].owner.contact', /resource tag/);
    expectFieldError(withChange((d) => (d.topics[0].publishers = [{ principal: 'role/web-app', owner: { team: '', contact: 'x@example.com' } }])), 'topics[0].publishers[0].owner.team', /1 to 256/);
    expectFieldError(withChange((d) => (d.topics[0].publishers = [{ principal: 'user/alice' }])), 'topics[0].publishers[0]', /neither a role ARN/);
  });
  it('rejects a publisher that is not a role or an account, and an empty list', () => {
    expectFieldError(withChange((d) => (d.topics[0].publishers = ['role/web-app', 'arn:aws:iam::111122223333:user/alice'])), 'topics[0].publishers[1]', /neither a role ARN/);
    expectFieldError(withChange((d) => (d.topics[0].publishers = ['12345'])), 'topics[0].publishers[0]', /account id \(12 digits\)/);
    expectFieldError(withChange((d) => (d.topics[1].publishers = [])), 'topics[1].publishers', /lists no one/);
  });
  it('takes on-call targets by severity, none by default', () => {
    expect(resolvePipeline(samplePipeline, SCHEMAS).onCall).toEqual({ page: [], warn: [] });
    const onCall = { page: [{ email: 'oncall@example.com' }, { topicArn: 'arn:aws:sns:us-east-1:111122223333:chatbot' }], warn: [{ https: 'https://alerts.example.com/x' }] };
    expect(resolvePipeline(withChange((d) => (d.onCall = onCall)), SCHEMAS).onCall).toEqual(onCall);
  });
  it('rejects an on-call target that is not an email, an https URL or a standard topic ARN', () => {
    expectFieldError(withChange((d) => (d.onCall = { page: [{ email: 'oncall' }] })), 'onCall.page[0].email', /not an email address/);
    expectFieldError(withChange((d) => (d.onCall = { warn: [{ https: 'http://alerts.example.com' }] })), 'onCall.warn[0].https', /https:\/\//);
    expectFieldError(withChange((d) => (d.onCall = { warn: [{ topicArn: 'chatbot' }] })), 'onCall.warn[0].topicArn', /not an SNS topic ARN/);
    expectFieldError(withChange((d) => (d.onCall = { page: [{ topicArn: 'arn:aws:sns:us-east-1:111122223333:alerts.fifo' }] })), 'onCall.page[0].topicArn', /FIFO/);
    expectFieldError(withChange((d) => (d.onCall = { page: [{ email: 'a@b.co', https: 'https://x.example' }] })), 'onCall.page[0]', /exactly one/);
  });
  it('keeps downstream records 90 days by default, and refuses a retention shorter than an event can come back', () => {
    const pipeline = resolvePipeline(samplePipeline, SCHEMAS);
    // Every consumer that names no downstream or retention of its own: the sample's three, and any `fanout new consumer` adds.
    const defaulted = samplePipeline.consumers.filter((c) => c.downstream === undefined && c.downstreamRetentionDays === undefined).map((c) => c.name);
    expect(defaulted.slice(0, 3)).toEqual(['crm-sync', 'email-marketing', 'billing-sync']);
    expect(pipeline.consumers.filter((c) => defaulted.includes(c.name)).map((c) => c.downstream)).toEqual(defaulted.map(() => ({ kind: 'dynamodb', retentionDays: 90 })));
    expectFieldError(withChange((d) => (d.consumers[0].downstreamRetentionDays = 20)), 'consumers[0].downstreamRetentionDays', /queue 7 \+ DLQ 14 = 21 days/);
    // billing-events keeps a 7-day archive for replay: 28 days at least.
    expectFieldError(withChange((d) => (d.consumers[2].downstreamRetentionDays = 27)), 'consumers[2].downstreamRetentionDays', /\+ archive 7 = 28 days/);
    expect(resolvePipeline(withChange((d) => (d.consumers[2].downstreamRetentionDays = 28)), SCHEMAS).consumers[2]!.downstream).toEqual({ kind: 'dynamodb', retentionDays: 28 });
  });
  it('rejects archive retention on a standard topic', () => {
    expectFieldError(withChange((d) => (d.topics[0].archiveRetentionDays = 3)), 'topics[0].archiveRetentionDays', /FIFO/);
  });

  describe('retry budget: maxReceiveCount follows from it', () => {
    const billing = (definition: PipelineDefinition) => resolvePipeline(definition, SCHEMAS).consumers.find((c) => c.name === 'billing-sync')!;
    const crm = (definition: PipelineDefinition) => resolvePipeline(definition, SCHEMAS).consumers[0]!;
    const defaults = { budgetSeconds: 3600, baseSeconds: 10, capSeconds: 300 };

    it('defaults to a 1 hour budget and the receives that outlast it: 49, + the batch size on FIFO', () => {
      // The old default, 5 receives with base 10 s, spanned a median 75 s: a 2-minute outage dead-lettered ~95%.
      expect(receivesToCoverBudget(defaults)).toBe(49);
      expect(derivedMaxReceiveCount(defaults, false, 10)).toBe(49);
      expect(derivedMaxReceiveCount(defaults, true, 10)).toBe(59);
      // The default 180 s visibility timeout: 20 timed-out tries span the hour, fewer than 49.
      expect(derivedMaxReceiveCount(defaults, false, 10, 180)).toBe(49);
      // A 5 s function timeout (30 s visibility): tries that hang until the timeout come back
      // every 30 s, so 120 receives are needed before SQS may move one without a reason.
      expect(derivedMaxReceiveCount(defaults, false, 10, 30)).toBe(120);
      // Every standard consumer that sets none of budget, receives or timeouts: the sample's two, and any `fanout new consumer` adds.
      const defaulted = samplePipeline.consumers
        .filter((c) => [c.retryBudgetSeconds, c.maxReceiveCount, c.timeoutSeconds, c.visibilityTimeoutSeconds, c.retryBaseDelaySeconds, c.retryMaxDelaySeconds].every((v) => v === undefined))
        .map((c) => c.name);
      const standard = resolvePipeline(samplePipeline, SCHEMAS).consumers.filter((c) => !c.fifo && defaulted.includes(c.name));
      expect(standard.map((c) => c.name).slice(0, 2)).toEqual(['crm-sync', 'email-marketing']);
      expect(standard.map((c) => [c.retryBudgetSeconds, c.maxReceiveCount])).toEqual(standard.map(() => [3600, 49]));
      expect(billing(samplePipeline)).toMatchObject({ retryBudgetSeconds: 3600, maxReceiveCount: 59 });
      expect(billing(withChange((d) => (d.consumers[2].batchSize = 3))).maxReceiveCount).toBe(52);
    });

    it('derives the count from the budget and the backoff', () => {
      expect(crm(withChange((d) => (d.consumers[0].retryBudgetSeconds = 600))).maxReceiveCount).toBe(receivesToCoverBudget({ ...defaults, budgetSeconds: 600 }));
      const longer = crm(withChange((d) => (d.consumers[0].retryBudgetSeconds = 4 * 3600)));
      // Above the expected count (4 h / 150 s per delay at the cap); the margin shrinks relative to it as the budget grows.
      expect(longer.maxReceiveCount).toBeGreaterThan((4 * 3600) / 150);
      expect(longer.maxReceiveCount).toBeLessThan(49 * 4);
      const slower = crm(withChange((d) => Object.assign(d.consumers[0], { retryBaseDelaySeconds: 60, retryMaxDelaySeconds: 900 })));
      expect(slower.maxReceiveCount).toBe(receivesToCoverBudget({ budgetSeconds: 3600, baseSeconds: 60, capSeconds: 900 }));
      expect(slower.maxReceiveCount).toBeLessThan(49);
    });

    it('the derived count covers the budget: one fewer delay is too few, and random draws never fall short', () => {
      for (const budget of [defaults, { budgetSeconds: 20, baseSeconds: 1, capSeconds: 4 }, { budgetSeconds: 600, baseSeconds: 5, capSeconds: 60 }]) {
        const receives = receivesToCoverBudget(budget);
        expect(budgetShortfallBound(budget, receives - 1)).toBeLessThanOrEqual(RETRY_BUDGET_RISK);
        expect(budgetShortfallBound(budget, receives - 2)).toBeGreaterThan(RETRY_BUDGET_RISK);
        // The bound is an upper bound: 20,000 simulated outages never run out of receives early.
        let short = 0;
        for (let trial = 0; trial < 20_000; trial++) {
          let elapsed = 0;
          for (let i = 1; i < receives; i++) elapsed += Math.floor(Math.random() * (Math.min(budget.capSeconds, budget.baseSeconds * 2 ** (i - 1)) + 1));
          if (elapsed < budget.budgetSeconds) short += 1;
        }
        expect(short).toBe(0);
      }
      // What the margin is for: at the expected count (28 delays) about half of all events fall short.
      expect(budgetShortfallBound(defaults, 28)).toBeGreaterThan(0.5);
    });

    it('rejects an explicit maxReceiveCount that cannot cover the budget, saying the minimum', () => {
      expectFieldError(withChange((d) => (d.consumers[0].maxReceiveCount = 5)), 'consumers[0].maxReceiveCount', /5 cannot cover the retry budget of 3600s .*at least 49 receives/);
      expectFieldError(withChange((d) => (d.consumers[2].maxReceiveCount = 15)), 'consumers[2].maxReceiveCount', /at least 59 receives \(including 10, the batch size, for messages held behind a failing message/);
      expectFieldError(withChange((d) => (d.consumers[0].maxReceiveCount = 1001)), 'consumers[0].maxReceiveCount', /integer from 1 to 1000/);
    });

    it('accepts an explicit maxReceiveCount at or above the minimum, and a small one with a small budget', () => {
      expect(crm(withChange((d) => (d.consumers[0].maxReceiveCount = 49))).maxReceiveCount).toBe(49);
      expect(billing(withChange((d) => (d.consumers[2].maxReceiveCount = 100))).maxReceiveCount).toBe(100);
      const small = crm(withChange((d) => Object.assign(d.consumers[0], { retryBudgetSeconds: 180, maxReceiveCount: receivesToCoverBudget({ ...defaults, budgetSeconds: 180 }) })));
      expect(small.retryBudgetSeconds).toBe(180);
    });

    it('rejects a budget that is not a positive integer, naming the field', () => {
      expectFieldError(withChange((d) => (d.consumers[0].retryBudgetSeconds = 0)), 'consumers[0].retryBudgetSeconds', /positive integer/);
      expectFieldError(withChange((d) => (d.consumers[0].retryBudgetSeconds = 90.5)), 'consumers[0].retryBudgetSeconds', /positive integer/);
    });

    it('rejects a budget shorter than the visibility timeout (one timed-out try would spend it)', () => {
      expectFieldError(withChange((d) => (d.consumers[0].retryBudgetSeconds = 179)), 'consumers[0].retryBudgetSeconds', /less than the visibility timeout \(180s\)/);
      // A long function timeout raises the default budget with its visibility timeout.
      expect(crm(withChange((d) => (d.consumers[0].timeoutSeconds = 900)))).toMatchObject({ visibilityTimeoutSeconds: 5400, retryBudgetSeconds: 5400 });
    });

    it('rejects a budget over half the queue retention: an expired message is deleted, not dead-lettered', () => {
      expectFieldError(withChange((d) => (d.consumers[0].retryBudgetSeconds = 4 * 86_400)), 'consumers[0].retryBudgetSeconds', /half the queue's 7-day retention/);
    });

    it('rejects a budget that needs more receives than SQS allows', () => {
      expectFieldError(withChange((d) => (d.consumers[0].retryBudgetSeconds = 3 * 86_400)), 'consumers[0].retryBudgetSeconds', /needs \d+ receives .*more than SQS's 1000: raise retryMaxDelaySeconds/);
      // A larger cap fixes the backoff's count; the timed-out tries (one per 180 s) still need 1440.
      expectFieldError(
        withChange((d) => Object.assign(d.consumers[0], { retryBudgetSeconds: 3 * 86_400, retryMaxDelaySeconds: 3600 })),
        'consumers[0].retryBudgetSeconds',
        /needs 1440 receives when every try times out \(one per 180s visibility timeout\).*raise visibilityTimeoutSeconds/,
      );
      expect(crm(withChange((d) => Object.assign(d.consumers[0], { retryBudgetSeconds: 3 * 86_400, retryMaxDelaySeconds: 3600, visibilityTimeoutSeconds: 600 }))).maxReceiveCount).toBe(432);
    });

    it('rejects receives x visibility timeout beyond the retention (a message timing out every try must be dead-lettered before it expires)', () => {
      expectFieldError(
        withChange((d) => Object.assign(d.consumers[0], { retryBudgetSeconds: 86_400, retryMaxDelaySeconds: 3600, visibilityTimeoutSeconds: 43_200 })),
        'consumers[0].maxReceiveCount',
        /x the visibility timeout \(43200s\) is not less than the queue's 7-day retention/,
      );
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

import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { FileContractResolver } from '../../contracts/contract-resolver';
import { compileValidator } from '../../contracts/validation';
import { PROJECT_ROOT } from '../../local/emulator';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { Publisher, PublishEvent, PublishResult } from '../../client/publisher';
import type { EventDataMap } from '../../contracts/event-types.generated';
import { billingSyncHandlers } from '../../lambdas/consumers/billing-sync/apply-change';
import { crmSyncHandlers } from '../../lambdas/consumers/crm-sync/sync-contact';
import { emailMarketingHandlers } from '../../lambdas/consumers/email-marketing/add-subscriber';
import { loadPipeline, loadPipelineDefinition } from '../../model/load-pipeline';
import { resolvePipeline, type ResolvedPipeline } from '../../model/pipeline-definition';
import { camel } from '../../ops/scaffold';
import {
  contractShape,
  DEMO_SOURCE,
  DemoKind,
  eventTypeShapes,
  planWorkload,
  publishWorkload,
  withoutRepeatedIds,
  workloadMix,
  WorkloadPlanError,
  type PlannedEvent,
} from '../../local/demo-workload';

const contracts = new FileContractResolver(join(PROJECT_ROOT, 'schemas'));
const sample = loadPipeline();
const total = (counts: Readonly<Record<string, number>>) => Object.values(counts).reduce((a, b) => a + b, 0);
/** The sample's own event types (the project's pipeline may have more: `fanout new event`). */
const SAMPLE_TYPES = ['user.signed-up', 'user.profile-updated', 'subscription.changed'];
/** A name the project's pipeline does not have yet: `base`, or `base` numbered if a team took it. */
const unused = (base: string) => {
  let name = base;
  for (let i = 2; sample.eventTypes.some((t) => t.name === name); i++) name = `${base}${i}`;
  return name;
};
/** The brand-new types the planner is tried on below. */
const NEW_ORDER_TYPE = unused('order.placed');
const NEW_INVOICE_TYPE = unused('invoice.revised');

/**
 * The sample pipeline plus `extra` event types on user-events, with contracts written
 * to a temporary schemas directory next to copies of the sample's: what a team adding
 * a type to pipeline.ts gets, with no change to the planner.
 */
function pipelineWith(extra: Record<string, readonly Record<string, unknown>[]>, topic = 'user-events'): ResolvedPipeline {
  const dir = mkdtempSync(join(tmpdir(), 'fanout-workload-'));
  for (const eventType of [...sample.eventTypes.map((t) => t.name)]) {
    mkdirSync(join(dir, eventType));
    for (const version of sample.eventTypes.find((t) => t.name === eventType)!.versions) {
      writeFileSync(join(dir, eventType, `v${version.version}.json`), version.definition);
    }
  }
  for (const [name, versions] of Object.entries(extra)) {
    mkdirSync(join(dir, name));
    versions.forEach((schema, i) => writeFileSync(join(dir, name, `v${i + 1}.json`), JSON.stringify(schema)));
  }
  const definition = loadPipelineDefinition();
  return resolvePipeline(
    { ...definition, eventTypes: [...definition.eventTypes, ...Object.keys(extra).map((name) => ({ name, topic, peakEventsPerSecond: 5, latencySlaP95Seconds: 60 }))] },
    dir,
  );
}

/** A brand-new type: one version, one example, a subject and nothing else the planner knows. */
const ORDER_PLACED = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  properties: {
    orderId: { type: 'string', pattern: '^ord-[A-Za-z0-9]{6,32}$' },
    amountCents: { type: 'integer', minimum: 1 },
    currency: { type: 'string', enum: ['EUR', 'USD'] },
    placedAt: { type: 'string', format: 'date-time' },
    giftWrap: { type: 'boolean' },
  },
  required: ['orderId', 'amountCents', 'currency', 'placedAt'],
  additionalProperties: false,
  examples: [{ orderId: 'ord-7f3a9c21', amountCents: 4200, currency: 'EUR', placedAt: '2026-11-28T09:30:00Z', giftWrap: true }],
};

describe('contractShape', () => {
  it('takes the first required string ...Id property as the subject and a required counter as the order', () => {
    expect(contractShape(ORDER_PLACED)).toEqual({ subjectField: 'orderId' });
    expect(
      contractShape({
        properties: { note: { type: 'string' }, tenantId: { type: 'integer' }, cartId: { type: 'string' }, step: { type: 'integer', description: 'Per-cart change counter.' } },
        required: ['note', 'tenantId', 'cartId', 'step'],
      }),
    ).toEqual({ subjectField: 'cartId', sequenceField: 'step' });
    // Optional ones do not count: an event without them would have no subject or order.
    expect(contractShape({ properties: { userId: { type: 'string' }, revision: { type: 'integer' } } })).toEqual({});
  });

  it('finds, in the sample contracts, the counter each consumer orders by (its handler\'s sequenceField)', async () => {
    const port = {} as never;
    const handlers: Record<string, { readonly sequenceField?: string }> = {
      ...crmSyncHandlers(port),
      ...emailMarketingHandlers(port),
      ...billingSyncHandlers(port),
    };
    // And every other consumer of the pipeline's: its folder's `<name>Handlers` (as `fanout new consumer` writes it).
    for (const consumer of sample.consumers.filter((c) => !['crm-sync', 'email-marketing', 'billing-sync'].includes(c.name))) {
      const folder = dirname(join(PROJECT_ROOT, consumer.entry));
      const factory = `${camel(consumer.name)}Handlers`;
      const modules = await Promise.all(readdirSync(folder).filter((f) => f.endsWith('.ts') && f !== 'handler.ts' && !f.endsWith('.test.ts')).map((f) => import(join(folder, f)) as Promise<Record<string, unknown>>));
      const found = modules.filter((m) => typeof m[factory] === 'function');
      expect(found, `${factory} in ${folder}`).toHaveLength(1);
      Object.assign(handlers, (found[0]![factory] as (p: never) => object)(port));
    }
    const shapes = eventTypeShapes(sample);
    expect(shapes.map((s) => s.type)).toEqual(sample.eventTypes.map((t) => t.name));
    expect(shapes.map((s) => s.type).sort()).toEqual(Object.keys(handlers).sort());
    for (const shape of shapes) expect(shape.sequenceField, shape.type).toBe(handlers[shape.type]!.sequenceField);
    expect(shapes.filter((s) => SAMPLE_TYPES.includes(s.type)).map((s) => [s.type, s.subjectField, s.fifo])).toEqual([
      ['user.signed-up', 'userId', false],
      ['user.profile-updated', 'userId', false],
      ['subscription.changed', 'accountId', true],
    ]);
  });
});

describe('workloadMix', () => {
  it('adds up to the number of events and gives every type each case that applies to it from 20 events up', () => {
    for (const events of [20, 120, 1000, 5000]) {
      const mix = workloadMix(events, sample);
      expect(Object.values(mix).reduce((n, counts) => n + total(counts), 0)).toBe(events);
      for (const eventType of sample.eventTypes) {
        const fifo = sample.topics.find((t) => t.name === eventType.topic)!.fifo;
        const counts = mix[eventType.name]!;
        for (const kind of [DemoKind.Valid, DemoKind.Duplicate, DemoKind.Invalid]) expect(counts[kind], `${eventType.name} ${kind} at ${events}`).toBeGreaterThan(0);
        expect(counts[DemoKind.OlderVersion] > 0, `${eventType.name} older at ${events}`).toBe(eventType.versions.length > 1);
        expect(counts[DemoKind.OutOfOrder] > 0, `${eventType.name} out of order at ${events}`).toBe(!fifo);
        expect(counts[DemoKind.OutOfOrder] % 2).toBe(0);
      }
    }
  });

  it('keeps roughly today\'s proportions for the sample', () => {
    const mix = workloadMix(1000, sample);
    const kind = (k: DemoKind) => Object.values(mix).reduce((n, c) => n + c[k], 0);
    expect(kind(DemoKind.Invalid)).toBe(10);
    expect(kind(DemoKind.Duplicate)).toBe(30);
    expect(kind(DemoKind.OlderVersion)).toBe(20);
    expect(kind(DemoKind.OutOfOrder)).toBe(20);
    expect(total(mix['user.signed-up']!)).toBeGreaterThan(500);
    expect(total(mix['user.profile-updated']!)).toBeGreaterThan(200);
    // The chaos suite draws a billing event from every 13 planned (test/chaos/crashes.test.ts).
    expect(mix['subscription.changed']![DemoKind.Valid]).toBeGreaterThan(1000 / 13);
  });

  it('below 20 events plans valid events only, and refuses a non-positive count', () => {
    const mix = workloadMix(10, sample);
    expect(Object.values(mix).reduce((n, c) => n + c[DemoKind.Valid], 0)).toBe(10);
    expect(() => workloadMix(0, sample)).toThrow(RangeError);
  });
});

describe('planWorkload', () => {
  const plan = planWorkload({ events: 400, seed: 3, runTag: 'test', pipeline: sample });

  it('plans exactly the requested number of publications', () => {
    expect(plan).toHaveLength(400);
    expect(planWorkload({ events: 7, seed: 3, runTag: 'test', pipeline: sample })).toHaveLength(7);
  });

  it('is repeatable for a seed, apart from the event ids', () => {
    const strip = (p: typeof plan) => p.map(({ id: _id, occurredBefore, ...rest }) => ({ ...rest, pair: occurredBefore === undefined ? undefined : p.findIndex((e) => e.id === occurredBefore) }));
    expect(strip(planWorkload({ events: 400, seed: 3, runTag: 'test', pipeline: sample }))).toEqual(strip(plan));
    expect(strip(planWorkload({ events: 400, seed: 4, runTag: 'test', pipeline: sample }))).not.toEqual(strip(plan));
  });

  it('draws from loadPipeline() when no pipeline is given', () => {
    const ids = () => {
      let n = 0;
      return () => `id-${(n += 1)}`;
    };
    expect(planWorkload({ events: 100, seed: 5, runTag: 'test', newId: ids() })).toEqual(planWorkload({ events: 100, seed: 5, runTag: 'test', newId: ids(), pipeline: sample }));
  });

  it('writes valid events against their contract version, and invalid ones that break it', async () => {
    for (const event of plan) {
      const contract = await contracts.resolve(event.type, event.version);
      const violations = contract.validate(event.data);
      if (event.valid) expect(violations, `${event.kind} ${JSON.stringify(event.data)}`).toEqual([]);
      else expect(violations.length, `${event.defect}`).toBeGreaterThan(0);
    }
  });

  it('sends the latest version through the publisher and the rest raw', async () => {
    for (const event of plan) {
      const latest = await contracts.latestVersion(event.type);
      if (event.via === 'publisher') expect(event.version).toBe(latest);
      else expect(!event.valid || event.version < latest).toBe(true);
    }
    const older = plan.filter((e) => e.kind === DemoKind.OlderVersion);
    expect(older.length).toBeGreaterThan(0);
    expect(older.every((e) => e.type === 'user.signed-up' && e.version === 1 && e.via === 'raw' && !('marketingOptIn' in e.data))).toBe(true);
  });

  it('varies each event: fresh ids, fresh subjects for every sign-up, and all three consent answers', () => {
    expect(new Set(plan.filter((e) => e.kind !== DemoKind.Duplicate).map((e) => e.id)).size).toBe(plan.filter((e) => e.kind !== DemoKind.Duplicate).length);
    const signUps = plan.filter((e) => e.type === 'user.signed-up' && e.kind === DemoKind.Valid);
    expect(new Set(signUps.map((e) => e.subject)).size).toBe(signUps.length);
    expect(new Set(signUps.map((e) => e.data.email)).size).toBe(signUps.length);
    for (const e of plan) if ('userId' in e.data) expect(e.data.userId).toBe(e.subject);
    expect(signUps.some((e) => e.data.marketingOptIn === true)).toBe(true);
    expect(signUps.some((e) => e.data.marketingOptIn === false)).toBe(true);
    expect(signUps.some((e) => !('marketingOptIn' in e.data))).toBe(true);
  });

  it('publishes each user sign-up before any of their profile updates', () => {
    const signedUpAt = new Map<string, number>();
    plan.forEach((e, i) => {
      if (e.type === 'user.signed-up' && e.valid && !signedUpAt.has(e.subject)) signedUpAt.set(e.subject, i);
    });
    const updates = plan.filter((e) => e.type === 'user.profile-updated' && e.valid);
    expect(updates.length).toBeGreaterThan(50);
    for (const update of updates) expect(signedUpAt.get(update.subject), update.subject).toBeLessThan(plan.indexOf(update));
  });

  it('publishes out-of-order pairs later event first: by revision for profile updates, by time for sign-ups', () => {
    const pairs = plan.filter((e) => e.kind === DemoKind.OutOfOrder);
    expect(pairs.length % 2).toBe(0);
    // Every type of a standard topic (user.signed-up and user.profile-updated in the sample), none of a FIFO one.
    const shapes = eventTypeShapes(sample);
    expect(new Set(pairs.map((e) => e.type))).toEqual(new Set(shapes.filter((s) => !s.fifo).map((s) => s.type)));
    expect(['user.signed-up', 'user.profile-updated'].every((t) => pairs.some((e) => e.type === t))).toBe(true);
    expect(shapes.find((s) => s.type === 'user.profile-updated')!.sequenceField).toBe('revision');
    expect(shapes.find((s) => s.type === 'user.signed-up')!.sequenceField).toBeUndefined();
    for (let i = 0; i < pairs.length; i += 2) {
      const [later, earlier] = [pairs[i]!, pairs[i + 1]!];
      expect(later.subject).toBe(earlier.subject);
      const counter = shapes.find((s) => s.type === later.type)!.sequenceField;
      if (counter !== undefined) {
        expect(later.data[counter]).toBe((earlier.data[counter] as number) + 1);
        expect(earlier.occurredBefore).toBeUndefined();
      } else {
        expect(earlier.occurredBefore).toBe(later.id);
      }
    }
  });

  it('keeps each account’s subscription changes (a FIFO topic) in sequence, and none out of order', () => {
    const byAccount = new Map<string, number[]>();
    for (const event of plan.filter((e) => e.type === 'subscription.changed' && e.kind === DemoKind.Valid)) {
      byAccount.set(event.subject, [...(byAccount.get(event.subject) ?? []), event.data.sequence as number]);
    }
    expect(byAccount.size).toBeGreaterThan(1);
    for (const sequences of byAccount.values()) expect(sequences).toEqual(sequences.map((_, i) => i + 1));
    expect(plan.filter((e) => e.type === 'subscription.changed' && e.kind === DemoKind.OutOfOrder)).toEqual([]);
  });

  it('republishes duplicates of every type with the id and data of an earlier event', () => {
    const duplicates = plan.filter((e) => e.kind === DemoKind.Duplicate);
    expect(new Set(duplicates.map((e) => e.type))).toEqual(new Set(sample.eventTypes.map((t) => t.name)));
    for (const duplicate of duplicates) {
      const original = plan.find((e) => e.id === duplicate.id && e.kind !== DemoKind.Duplicate)!;
      expect(plan.indexOf(original)).toBeLessThan(plan.indexOf(duplicate));
      expect(duplicate.data).toEqual(original.data);
    }
  });

  it('gives each invalid event an entity of its own, so it cannot hold up a FIFO group', () => {
    const invalid = plan.filter((e) => !e.valid);
    const validSubjects = new Set(plan.filter((e) => e.valid).map((e) => e.subject));
    expect(new Set(invalid.map((e) => e.type))).toEqual(new Set(sample.eventTypes.map((t) => t.name)));
    for (const event of invalid) {
      expect(validSubjects.has(event.subject)).toBe(false);
      expect(event.via).toBe('raw');
      expect(event.defect).toMatch(/removed|wrong type|given a/);
    }
    // Unvaried: an invalid sign-up keeps the example's consent, so email-marketing gets it too.
    expect(invalid.filter((e) => e.type === 'user.signed-up').every((e) => e.data.marketingOptIn === true)).toBe(true);
  });

  it('exercises an event type added to the pipeline with one version and one example, with no change to the planner', () => {
    const pipeline = pipelineWith({ [NEW_ORDER_TYPE]: [ORDER_PLACED] });
    const validate = compileValidator(ORDER_PLACED);
    const orders = planWorkload({ events: 400, seed: 9, runTag: 'test', pipeline }).filter((e) => e.type === NEW_ORDER_TYPE);
    const of = (kind: DemoKind) => orders.filter((e) => e.kind === kind);
    for (const kind of [DemoKind.Valid, DemoKind.Duplicate, DemoKind.Invalid, DemoKind.OutOfOrder]) expect(of(kind).length, kind).toBeGreaterThan(0);
    expect(of(DemoKind.OlderVersion)).toEqual([]);
    for (const event of orders) {
      expect(event.data.orderId).toBe(event.subject);
      expect(validate(event.data).length === 0, JSON.stringify(event)).toBe(event.valid);
    }
    expect(of(DemoKind.Valid).every((e) => e.via === 'publisher' && e.version === 1 && /^ord-test\d{5}$/.test(e.subject))).toBe(true);
    expect(new Set(of(DemoKind.Valid).map((e) => e.subject)).size).toBe(of(DemoKind.Valid).length);
    expect(new Set(of(DemoKind.Valid).map((e) => e.data.currency))).toEqual(new Set(['EUR', 'USD']));
    // Without a counter, time orders an order's events: the pair's second is set earlier.
    const pairs = of(DemoKind.OutOfOrder);
    for (let i = 0; i < pairs.length; i += 2) expect(pairs[i + 1]!.occurredBefore).toBe(pairs[i]!.id);
  });

  it('keeps a counter type on a FIFO topic in order, and publishes its older versions raw', () => {
    const v1 = {
      type: 'object',
      properties: { invoiceId: { type: 'string', pattern: '^inv_[a-z0-9]+$' }, revision: { type: 'integer', minimum: 1 }, total: { type: 'integer', minimum: 0 } },
      required: ['invoiceId', 'revision', 'total'],
      examples: [{ invoiceId: 'inv_1', revision: 1, total: 10 }],
    };
    const v2 = { ...v1, properties: { ...v1.properties, currency: { type: 'string' } }, examples: [{ invoiceId: 'inv_2', revision: 3, total: 10, currency: 'EUR' }] };
    const pipeline = pipelineWith({ [NEW_INVOICE_TYPE]: [v1, v2] }, 'billing-events');
    const invoices = planWorkload({ events: 600, seed: 2, runTag: 'test', pipeline }).filter((e) => e.type === NEW_INVOICE_TYPE);
    expect(invoices.filter((e) => e.kind === DemoKind.OutOfOrder)).toEqual([]);
    const older = invoices.filter((e) => e.kind === DemoKind.OlderVersion);
    expect(older.length).toBeGreaterThan(0);
    expect(older.every((e) => e.version === 1 && e.via === 'raw' && !('currency' in e.data))).toBe(true);
    const bySubject = new Map<string, number[]>();
    for (const e of invoices.filter((e) => e.valid && e.kind !== DemoKind.Duplicate)) bySubject.set(e.subject, [...(bySubject.get(e.subject) ?? []), e.data.revision as number]);
    for (const revisions of bySubject.values()) expect(revisions).toEqual(revisions.map((_, i) => i + 1));
  });

  it('refuses a contract without examples, naming its file', () => {
    const { examples: _none, ...bare } = ORDER_PLACED;
    const pipeline = pipelineWith({ [NEW_ORDER_TYPE]: [bare] });
    expect(() => planWorkload({ events: 100, pipeline })).toThrow(WorkloadPlanError);
    expect(() => planWorkload({ events: 100, pipeline })).toThrow(new RegExp(`${NEW_ORDER_TYPE.replaceAll('.', '\\.')}.v1\\.json has no object in \`examples\``));
  });
});

describe('publishWorkload', () => {
  const signUp = (id: string, kind: PlannedEvent['kind'] = DemoKind.Valid): PlannedEvent => ({
    kind,
    id,
    type: 'user.signed-up',
    version: 2,
    subject: `usr_${id}`,
    data: { userId: `usr_${id}`, email: `${id}@example.com`, name: 'Ada', plan: 'pro', signedUpAt: '2026-11-28T09:00:00.000Z' },
    via: 'publisher',
    valid: true,
  });

  it('never puts an event and its duplicate in one publishBatch, so a failed duplicate does not hide its published original', async () => {
    const calls: string[][] = [];
    const seen = new Set<string>();
    // A stand-in publisher: fails the second publication of any id.
    const publisher = {
      publishBatch: async (events: readonly PublishEvent[]) => {
        calls.push(events.map((e) => e.id!));
        const failed = events.filter((e) => seen.has(e.id!)).map((e) => ({ id: e.id!, type: e.type, code: 'Throttled', message: 'slow down' }));
        for (const e of events) seen.add(e.id!);
        return { published: [], failed } as unknown as PublishResult;
      },
    } as unknown as Publisher<EventDataMap>;
    const plan = [signUp('a'), signUp('b'), signUp('a', DemoKind.Duplicate), signUp('c')];
    const result = await publishWorkload(plan, { publisher, sns: {} as SNSClient, topicArnFor: () => 'arn:aws:sns:us-east-1:123456789012:user-events', rate: 1000 });
    for (const call of calls) expect(new Set(call).size, call.join(',')).toBe(call.length);
    expect(result.published.map((p) => `${p.event.id}:${p.event.kind}`)).toEqual(['a:valid', 'b:valid', 'c:valid']);
    expect(result.failed.map((f) => `${f.event.id}:${f.event.kind}`)).toEqual(['a:duplicate']);
    // What is recorded as sent is the envelope the publisher builds.
    expect(JSON.parse(result.published[0]!.message.body)).toMatchObject({ id: 'a', type: 'user.signed-up', source: DEMO_SOURCE, subject: 'usr_a' });
    expect(result.published[0]!.message.attributes.type).toEqual({ DataType: 'String', StringValue: 'user.signed-up' });
  });

  it('gives the second event of an out-of-order pair an envelope time just before the first one\'s', async () => {
    const publisher = { publishBatch: async () => ({ published: [], failed: [] }) } as unknown as Publisher<EventDataMap>;
    const later = signUp('a', DemoKind.OutOfOrder);
    const earlier = { ...signUp('b', DemoKind.OutOfOrder), subject: later.subject, occurredBefore: 'a' };
    const result = await publishWorkload([later, earlier], { publisher, sns: {} as SNSClient, topicArnFor: () => 'arn:t', rate: 1000 });
    const [first, second] = result.published;
    expect(second!.eventTimeMs).toBe(first!.eventTimeMs - 1);
    expect(Date.parse(JSON.parse(second!.message.body).time)).toBe(first!.eventTimeMs - 1);
  });

  it('stops waiting for the next event as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const publisher = { publishBatch: async () => ({ published: [], failed: [] }) } as unknown as Publisher<EventDataMap>;
    const started = Date.now();
    // At 0.1/s the second event is due in 10 s.
    const publishing = publishWorkload([signUp('a'), signUp('b')], { publisher, sns: {} as SNSClient, topicArnFor: () => 'arn:t', rate: 0.1, signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    const result = await publishing;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(result.published.map((p) => p.event.id)).toEqual(['a']);
  });
});

describe('withoutRepeatedIds', () => {
  it('splits where an id repeats and keeps the order', () => {
    const ids = (runs: { id: string }[][]) => runs.map((run) => run.map((e) => e.id).join(''));
    expect(ids(withoutRepeatedIds([{ id: 'a' }, { id: 'b' }, { id: 'a' }, { id: 'c' }, { id: 'c' }]))).toEqual(['ab', 'ac', 'c']);
    expect(withoutRepeatedIds([])).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { FileContractResolver } from '../../contracts/contract-resolver';
import { PROJECT_ROOT } from '../../local/emulator';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { Publisher, PublishEvent, PublishResult } from '../../client/publisher';
import type { EventDataMap } from '../../contracts/event-types.generated';
import { DEMO_SOURCE, DemoKind, planWorkload, publishWorkload, withoutRepeatedIds, workloadMix, type PlannedEvent } from '../../local/demo-workload';

const contracts = new FileContractResolver(join(PROJECT_ROOT, 'schemas'));

describe('workloadMix', () => {
  it('adds up to the number of events and includes every case from 20 events up', () => {
    for (const events of [20, 120, 1000, 5000]) {
      const mix = workloadMix(events);
      expect(Object.values(mix).reduce((a, b) => a + b, 0)).toBe(events);
      for (const kind of Object.values(DemoKind)) expect(mix[kind], `${kind} at ${events}`).toBeGreaterThan(0);
    }
  });

  it('refuses a non-positive count', () => {
    expect(() => workloadMix(0)).toThrow(RangeError);
  });
});

describe('planWorkload', () => {
  const plan = planWorkload({ events: 400, seed: 3, runTag: 'test' });

  it('plans exactly the requested number of publications', () => {
    expect(plan).toHaveLength(400);
  });

  it('is repeatable for a seed, apart from the event ids', () => {
    const strip = (p: typeof plan) => p.map(({ id: _id, ...rest }) => rest);
    expect(strip(planWorkload({ events: 400, seed: 3, runTag: 'test' }))).toEqual(strip(plan));
    expect(strip(planWorkload({ events: 400, seed: 4, runTag: 'test' }))).not.toEqual(strip(plan));
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
    expect(plan.filter((e) => e.kind === DemoKind.SignUpV1).every((e) => e.version === 1 && !('marketingOptIn' in e.data))).toBe(true);
  });

  it('has sign-ups with and without marketing opt-in', () => {
    const signUps = plan.filter((e) => e.kind === DemoKind.SignUp);
    expect(signUps.some((e) => e.data.marketingOptIn === true)).toBe(true);
    expect(signUps.some((e) => e.data.marketingOptIn === false)).toBe(true);
    expect(signUps.some((e) => !('marketingOptIn' in e.data))).toBe(true);
  });

  it('publishes each user sign-up before any of their profile updates', () => {
    const signedUpAt = new Map(plan.filter((e) => e.type === 'user.signed-up' && e.valid).map((e) => [e.subject, plan.indexOf(e)]));
    for (const update of plan.filter((e) => e.type === 'user.profile-updated' && e.valid)) {
      expect(signedUpAt.get(update.subject), update.subject).toBeLessThan(plan.indexOf(update));
    }
  });

  it('publishes the out-of-order updates newer revision first', () => {
    const pairs = plan.filter((e) => e.kind === DemoKind.ProfileUpdateOutOfOrder);
    expect(pairs.length % 2).toBe(0);
    for (let i = 0; i < pairs.length; i += 2) {
      expect(pairs[i]!.subject).toBe(pairs[i + 1]!.subject);
      expect(pairs[i]!.data.revision).toBe((pairs[i + 1]!.data.revision as number) + 1);
    }
  });

  it('keeps each account’s subscription changes in sequence', () => {
    const byAccount = new Map<string, number[]>();
    for (const event of plan.filter((e) => e.kind === DemoKind.SubscriptionChange)) {
      byAccount.set(event.subject, [...(byAccount.get(event.subject) ?? []), event.data.sequence as number]);
    }
    expect(byAccount.size).toBeGreaterThan(1);
    for (const sequences of byAccount.values()) expect(sequences).toEqual(sequences.map((_, i) => i + 1));
  });

  it('republishes duplicates with the id and data of an earlier event', () => {
    const duplicates = plan.filter((e) => e.kind === DemoKind.Duplicate);
    expect(duplicates.length).toBeGreaterThan(0);
    for (const duplicate of duplicates) {
      const original = plan.find((e) => e.id === duplicate.id && e.kind !== DemoKind.Duplicate)!;
      expect(plan.indexOf(original)).toBeLessThan(plan.indexOf(duplicate));
      expect(duplicate.data).toEqual(original.data);
    }
  });

  it('gives each invalid event an entity of its own, so it cannot hold up a FIFO group', () => {
    const invalid = plan.filter((e) => !e.valid);
    const validSubjects = new Set(plan.filter((e) => e.valid).map((e) => e.subject));
    expect(new Set(invalid.map((e) => e.type)).size).toBe(3);
    for (const event of invalid) expect(validSubjects.has(event.subject)).toBe(false);
  });
});

describe('publishWorkload', () => {
  const signUp = (id: string, kind: PlannedEvent['kind'] = DemoKind.SignUp): PlannedEvent => ({
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
    expect(result.published.map((p) => `${p.event.id}:${p.event.kind}`)).toEqual(['a:sign-up', 'b:sign-up', 'c:sign-up']);
    expect(result.failed.map((f) => `${f.event.id}:${f.event.kind}`)).toEqual(['a:duplicate']);
    // What is recorded as sent is the envelope the publisher builds.
    expect(JSON.parse(result.published[0]!.message.body)).toMatchObject({ id: 'a', type: 'user.signed-up', source: DEMO_SOURCE, subject: 'usr_a' });
    expect(result.published[0]!.message.attributes.type).toEqual({ DataType: 'String', StringValue: 'user.signed-up' });
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

import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { FileContractResolver } from '../../contracts/contract-resolver';
import { PROJECT_ROOT } from '../../local/emulator';
import { DemoKind, planWorkload, workloadMix } from '../../local/demo-workload';

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

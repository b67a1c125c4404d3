/**
 * The DynamoDB downstream adapters against the emulator: what the state and effect-log
 * items really hold after a write, and the ordering guard's behaviour as DynamoDB
 * evaluates it (newer wins, older is refused, a late sign-up fills what the state lacks).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient, GetItemCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { ConsumerEnv } from '../../contracts/consumer-environment';
import type { AppliedEvent } from '../../lambdas/downstream/applied-event';
import { createBillingPort } from '../../lambdas/downstream/billing';
import { createContactsPort } from '../../lambdas/downstream/contacts';
import { DynamoDbEffectStore, EFFECT_SORT_KEY, effectKey, EXPIRES_AT, STATE_SORT_KEY } from '../../lambdas/downstream/dynamodb-effects';
import { createSubscribersPort } from '../../lambdas/downstream/subscribers';
import { WhenStale } from '../../lambdas/downstream/when-stale';
import { createPkSkTable, emulatorClientConfig, uniqueName } from '../support/aws';

const dynamodb = new DynamoDBClient(emulatorClientConfig());
const table = uniqueName('downstream');
const env = { [ConsumerEnv.DownstreamKind]: 'dynamodb', [ConsumerEnv.DownstreamTableName]: table };
const NOW = Date.parse('2026-11-28T10:00:05.000Z');

beforeAll(async () => {
  await createPkSkTable(dynamodb, table);
  await waitUntilTableExists({ client: dynamodb, maxWaitTime: 30 }, { TableName: table });
});

afterAll(() => dynamodb.destroy());

let counter = 0;
/** An event of `subject` at `sequence`, `seconds` after 10:00. */
function event(subject: string, sequence: number, seconds: number, type = 'user.profile-updated'): AppliedEvent {
  counter += 1;
  const time = new Date(Date.parse('2026-11-28T10:00:00.000Z') + seconds * 1000).toISOString();
  return { id: `evt-${counter}-${uniqueName('e')}`, type, subject, time, correlationid: `corr-${counter}`, order: { sequence, timeMs: Date.parse(time) } };
}

async function item(pk: string, sk: string) {
  return (await dynamodb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk }, sk: { S: sk } }, ConsistentRead: true }))).Item;
}

describe('DynamoDB effect store on the emulator', () => {
  const store = new DynamoDbEffectStore(dynamodb, table, { now: () => NOW });

  it('writes the state item with its order, then one application in the effect log', async () => {
    const key = `contact#${uniqueName('usr')}`;
    const applied = event(key, 3, 0);
    expect(await store.apply({ key, attributes: { name: 'Ada', email: undefined, seats: 3, active: true }, guarded: true }, applied)).toBe('applied');

    const state = await item(key, STATE_SORT_KEY);
    expect(state).toMatchObject({
      name: { S: 'Ada' },
      seats: { N: '3' },
      active: { BOOL: true },
      sequence: { N: '3' },
      eventTimeMs: { N: String(applied.order.timeMs) },
      eventTime: { S: applied.time },
      lastEventId: { S: applied.id },
      lastEventType: { S: 'user.profile-updated' },
      updatedAt: { S: '2026-11-28T10:00:05.000Z' },
    });
    // An undefined attribute is left as stored, not written.
    expect(state).not.toHaveProperty('email');

    const effect = await item(effectKey(applied.id), EFFECT_SORT_KEY);
    expect(effect).toMatchObject({
      applications: { N: '1' },
      eventType: { S: 'user.profile-updated' },
      subject: { S: key },
      eventTime: { S: applied.time },
      correlationId: { S: applied.correlationid },
      appliedAt: { S: '2026-11-28T10:00:05.000Z' },
    });
  });

  it('with a retention, stamps state and effect log with the TTL; the effect log keeps its first stamp', async () => {
    const kept = new DynamoDbEffectStore(dynamodb, table, { now: () => NOW, retentionDays: 30 });
    const key = `contact#${uniqueName('usr')}`;
    const applied = event(key, 1, 0);
    await kept.apply({ key, attributes: { name: 'Ada' }, guarded: true }, applied);
    const expiresAt = String(Math.floor(NOW / 1000) + 30 * 86_400);
    expect((await item(key, STATE_SORT_KEY))?.[EXPIRES_AT]).toEqual({ N: expiresAt });
    expect((await item(effectKey(applied.id), EFFECT_SORT_KEY))?.[EXPIRES_AT]).toEqual({ N: expiresAt });
    // The same event a day later writes nothing, so its log item expires 30 days after it was applied.
    const later = new DynamoDbEffectStore(dynamodb, table, { now: () => NOW + 86_400_000, retentionDays: 30 });
    expect(await later.apply({ key, attributes: { name: 'Ada' }, guarded: true }, applied)).toBe('applied');
    expect((await item(effectKey(applied.id), EFFECT_SORT_KEY))?.[EXPIRES_AT]).toEqual({ N: expiresAt });
    // Without a retention nothing is stamped.
    const plainKey = `contact#${uniqueName('usr')}`;
    await store.apply({ key: plainKey, attributes: { name: 'Ada' }, guarded: true }, event(plainKey, 1, 0));
    expect(await item(plainKey, STATE_SORT_KEY)).not.toHaveProperty(EXPIRES_AT);
  });

  it('refuses an older change (nothing written, no effect), lets a newer one and the same event again through', async () => {
    const key = `contact#${uniqueName('usr')}`;
    const newer = event(key, 2, 10);
    await store.apply({ key, attributes: { name: 'Newer' }, guarded: true }, newer);

    const olderRevision = event(key, 1, 20);
    expect(await store.apply({ key, attributes: { name: 'Older revision' }, guarded: true }, olderRevision)).toBe('stale');
    const sameRevisionEarlier = event(key, 2, 5);
    expect(await store.apply({ key, attributes: { name: 'Same revision, earlier' }, guarded: true }, sameRevisionEarlier)).toBe('stale');
    expect((await item(key, STATE_SORT_KEY))?.name).toEqual({ S: 'Newer' });
    expect(await item(effectKey(olderRevision.id), EFFECT_SORT_KEY)).toBeUndefined();
    expect(await item(effectKey(sameRevisionEarlier.id), EFFECT_SORT_KEY)).toBeUndefined();

    // The event that wrote the state may write it again (a retry after a half-done apply)...
    expect(await store.apply({ key, attributes: { name: 'Newer' }, guarded: true }, newer)).toBe('applied');
    // ...and a later one on an equal revision, or a higher revision, wins.
    const sameRevisionLater = event(key, 2, 11);
    expect(await store.apply({ key, attributes: { name: 'Same revision, later' }, guarded: true }, sameRevisionLater)).toBe('applied');
    const higher = event(key, 3, 0);
    expect(await store.apply({ key, attributes: { name: 'Higher revision' }, guarded: true }, higher)).toBe('applied');
    expect(await item(key, STATE_SORT_KEY)).toMatchObject({ name: { S: 'Higher revision' }, sequence: { N: '3' }, lastEventId: { S: higher.id } });
  });

  it('writes an unguarded change whatever the stored order', async () => {
    const key = `subscriber#${uniqueName('usr')}`;
    await store.apply({ key, attributes: { status: 'subscribed' }, guarded: false }, event(key, 5, 50));
    expect(await store.apply({ key, attributes: { status: 'resubscribed' }, guarded: false }, event(key, 0, 0))).toBe('applied');
    expect((await item(key, STATE_SORT_KEY))?.status).toEqual({ S: 'resubscribed' });
  });

  it('lets a late change fill only what the newer state lacks, keeping the newer order, and logs it as applied', async () => {
    const key = `contact#${uniqueName('usr')}`;
    const profile = event(key, 1, 60);
    await store.apply({ key, attributes: { name: 'Changed Name', profileUpdatedAt: profile.time }, guarded: true }, profile);

    const signUp = event(key, 0, 0, 'user.signed-up');
    const attributes = { name: 'Signed-up Name', email: 'ada@example.com', plan: 'pro', signedUpAt: signUp.time };
    expect(await store.apply({ key, attributes, guarded: true, whenStale: WhenStale.FillMissing }, signUp)).toBe('applied');
    const state = await item(key, STATE_SORT_KEY);
    expect(state).toMatchObject({
      // What only the sign-up carries, and what no newer change set, is recorded...
      plan: { S: 'pro' },
      signedUpAt: { S: signUp.time },
      email: { S: 'ada@example.com' },
      // ...what the newer change set is not overwritten, and the order stays the newer change's.
      name: { S: 'Changed Name' },
      sequence: { N: '1' },
      lastEventId: { S: profile.id },
    });
    expect((await item(effectKey(signUp.id), EFFECT_SORT_KEY))?.applications).toEqual({ N: '1' });

    // A retry changes nothing more, and is no second application.
    expect(await store.apply({ key, attributes: { ...attributes, plan: 'enterprise' }, guarded: true, whenStale: WhenStale.FillMissing }, signUp)).toBe('applied');
    expect((await item(key, STATE_SORT_KEY))?.plan).toEqual({ S: 'pro' });
    expect((await item(effectKey(signUp.id), EFFECT_SORT_KEY))?.applications).toEqual({ N: '1' });
  });
});

describe('the ports’ DynamoDB adapters on the emulator', () => {
  const clients = { dynamodb };

  it('contacts: a profile change is guarded by its revision; a late sign-up fills in plan and sign-up time', async () => {
    const contacts = createContactsPort(env, clients);
    const userId = uniqueName('usr');
    expect(await contacts.upsert({ userId, name: 'Rev 2' }, event(userId, 2, 20))).toBe('applied');
    expect(await contacts.upsert({ userId, name: 'Rev 1' }, event(userId, 1, 30))).toBe('stale');
    expect(await contacts.create({ userId, name: 'At sign-up', plan: 'free', signedUpAt: '2026-11-28T09:00:00Z' }, event(userId, 0, 0, 'user.signed-up'))).toBe('applied');
    expect(await item(`contact#${userId}`, STATE_SORT_KEY)).toMatchObject({
      userId: { S: userId },
      name: { S: 'Rev 2' },
      plan: { S: 'free' },
      signedUpAt: { S: '2026-11-28T09:00:00Z' },
      sequence: { N: '2' },
    });
  });

  it('billing: a replayed older change never rolls an account back', async () => {
    const billing = createBillingPort(env, clients);
    const accountId = uniqueName('acct');
    const change = (sequence: number, action: string, seats: number) => ({ accountId, sequence, action, plan: 'pro', seats, effectiveAt: '2026-11-28T10:00:00Z' });
    expect(await billing.apply(change(3, 'cancelled', 3), event(accountId, 3, 30, 'subscription.changed'))).toBe('applied');
    expect(await billing.apply(change(2, 'upgraded', 10), event(accountId, 2, 40, 'subscription.changed'))).toBe('stale');
    expect(await item(`account#${accountId}`, STATE_SORT_KEY)).toMatchObject({ status: { S: 'cancelled' }, seats: { N: '3' }, changeSequence: { N: '3' } });
  });

  it('subscribers: adding is unguarded, a repeat simply re-adds', async () => {
    const subscribers = createSubscribersPort(env, clients);
    const userId = uniqueName('usr');
    const subscriber = { userId, email: 'a@example.com', name: 'A', consentedAt: '2026-11-28T09:30:00Z' };
    expect(await subscribers.add(subscriber, event(userId, 0, 10, 'user.signed-up'))).toBe('applied');
    expect(await subscribers.add({ ...subscriber, email: 'b@example.com' }, event(userId, 0, 0, 'user.signed-up'))).toBe('applied');
    expect(await item(`subscriber#${userId}`, STATE_SORT_KEY)).toMatchObject({ email: { S: 'b@example.com' }, status: { S: 'subscribed' } });
  });
});

// Issue 9, break 2: an invocation that dies after its downstream write (or whose
// idempotency record is never completed) runs the event again. The adapter alone must
// then write nothing: these fail on an adapter that writes state and log separately.
describe('the DynamoDB effect store applies an event at most once by itself', () => {
  async function applications(id: string): Promise<number> {
    return Number((await item(effectKey(id), EFFECT_SORT_KEY))?.applications?.N ?? '0');
  }

  it('the same event through two separate stores (two invocations): one application, the state as written once', async () => {
    const key = `contact#${uniqueName('usr')}`;
    const once = event(key, 1, 0);
    const first = new DynamoDbEffectStore(dynamodb, table, { now: () => NOW });
    const second = new DynamoDbEffectStore(dynamodb, table, { now: () => NOW + 60_000 });
    expect(await first.apply({ key, attributes: { name: 'Ada' }, guarded: true }, once)).toBe('applied');
    expect(await second.apply({ key, attributes: { name: 'Ada' }, guarded: true }, once)).toBe('applied');
    expect(await applications(once.id)).toBe(1);
    // The second try wrote nothing at all, not even the state's timestamp.
    expect((await item(key, STATE_SORT_KEY))?.updatedAt).toEqual({ S: new Date(NOW).toISOString() });
  });

  it('a call that fails after its write was committed (chaos), then its retry: one application', async () => {
    const key = `contact#${uniqueName('usr')}`;
    const once = event(key, 1, 0);
    const failing = new DynamoDbEffectStore(dynamodb, table, { now: () => NOW, chaos: { transientFailureRate: 0, failAfterWriteRate: 1 }, random: () => 0 });
    await expect(failing.apply({ key, attributes: { name: 'Ada' }, guarded: true }, once)).rejects.toThrow(/after a committed downstream write/);
    expect(await applications(once.id)).toBe(1);
    // The retry finds the event in the log: applied, no second application, no chaos (nothing was written).
    expect(await failing.apply({ key, attributes: { name: 'Ada' }, guarded: true }, once)).toBe('applied');
    expect(await applications(once.id)).toBe(1);
  });

  // Five deliveries of one event, one after the other through separate stores (five
  // invocations). Not concurrently: moto's TransactWriteItems deep-copies the table and
  // restores the copy when a transaction is cancelled, so a cancelled transaction running
  // beside a committed one erases the committed write (moto 5.2.5). DynamoDB itself
  // serializes transactions; the emulator's isolation is not what this test is about.
  it('five deliveries of one event, unguarded and guarded: one application each', async () => {
    for (const guarded of [false, true]) {
      const key = `subscriber#${uniqueName('usr')}`;
      const once = event(key, 0, 0);
      for (let delivery = 0; delivery < 5; delivery += 1) {
        const store = new DynamoDbEffectStore(dynamodb, table, { now: () => NOW + delivery });
        expect(await store.apply({ key, attributes: { status: 'subscribed' }, guarded }, once)).toBe('applied');
      }
      expect(await applications(once.id)).toBe(1);
    }
  });

  it('a late sign-up that fills missing attributes, applied twice: filled once, one application', async () => {
    const key = `contact#${uniqueName('usr')}`;
    const store = new DynamoDbEffectStore(dynamodb, table, { now: () => NOW });
    expect(await store.apply({ key, attributes: { name: 'Newer' }, guarded: true }, event(key, 2, 20))).toBe('applied');
    const late = event(key, 0, 0, 'user.signed-up');
    const change = { key, attributes: { name: 'Old', plan: 'free' }, guarded: true, whenStale: WhenStale.FillMissing };
    expect(await store.apply(change, late)).toBe('applied');
    expect(await store.apply(change, late)).toBe('applied');
    expect(await applications(late.id)).toBe(1);
    expect(await item(key, STATE_SORT_KEY)).toMatchObject({ name: { S: 'Newer' }, plan: { S: 'free' }, sequence: { N: '2' } });
  });
});

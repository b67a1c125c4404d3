import { describe, expect, it } from 'vitest';
import type { AppliedEvent } from '../../lambdas/downstream/applied-event';
import type { BillingPort, SubscriptionChange } from '../../lambdas/downstream/billing';
import type { Contact, ContactsPort } from '../../lambdas/downstream/contacts';
import type { Subscriber, SubscribersPort } from '../../lambdas/downstream/subscribers';
import { billingSyncHandlers } from '../../lambdas/consumers/billing-sync/apply-change';
import { crmSyncHandlers } from '../../lambdas/consumers/crm-sync/sync-contact';
import { emailMarketingHandlers, MissingConsentError } from '../../lambdas/consumers/email-marketing/add-subscriber';
import { Outcome } from '../../lambdas/kit/consumer';
import { RecordProcessor, RecordResult } from '../../lambdas/kit/record-processor';
import type { FailureContext } from '../../lambdas/kit/failure-context';
import { envelope, fileResolver, MemoryGate, RecordingLogger, RecordingMetrics, RecordingTracer, signUpData, sqsRecord } from './kit-fakes';

/** Runs a consumer's handlers through the kit with the repository's contracts. */
function through<TEvents>(handlers: import('../../lambdas/kit/consumer').ConsumerHandlers<TEvents>) {
  const parked: FailureContext[] = [];
  const processor = new RecordProcessor<TEvents>({
    consumer: 'c',
    handlers,
    resolver: fileResolver(),
    gate: new MemoryGate(),
    deadLetter: async (_record, failure) => {
      parked.push(failure);
    },
    logger: new RecordingLogger(),
    metrics: new RecordingMetrics(),
    tracer: new RecordingTracer(),
  });
  return { processor, parked };
}

describe('crm-sync', () => {
  function contacts(outcome: Outcome = Outcome.Applied) {
    const calls: { method: keyof ContactsPort; contact: Contact; event: AppliedEvent }[] = [];
    const port: ContactsPort = {
      create: async (contact, event) => (calls.push({ method: 'create', contact, event }), outcome),
      upsert: async (contact, event) => (calls.push({ method: 'upsert', contact, event }), outcome),
    };
    return { port, calls };
  }

  it('creates a contact from a sign-up (order: revision 0, by time)', async () => {
    const { port, calls } = contacts();
    const { processor } = through(crmSyncHandlers(port));
    const event = envelope({ version: 1, data: signUpData({ marketingOptIn: undefined }) });
    delete (event.data as Record<string, unknown>).marketingOptIn;
    expect(await processor.process(sqsRecord(event))).toBe(RecordResult.Applied);
    // `create`: the port records a late sign-up's fields where the contact lacks them, instead of dropping it as stale.
    expect(calls.map((c) => c.method)).toEqual(['create']);
    expect(calls[0]!.contact).toEqual({ userId: 'usr_9f2c1a7b', email: 'ada@example.com', name: 'Ada Lovelace', plan: 'pro', signedUpAt: '2026-11-28T09:30:00Z' });
    expect(calls[0]!.event).toMatchObject({ id: event.id, subject: event.subject, correlationid: 'corr-1', order: { sequence: 0 } });
  });

  it('upserts only the changed fields of a profile update, ordered by its revision', async () => {
    const { port, calls } = contacts();
    const { processor } = through(crmSyncHandlers(port));
    const event = envelope({ type: 'user.profile-updated', version: 1, data: { userId: 'usr_9f2c1a7b', revision: 5, name: 'Ada King', updatedAt: '2026-11-28T10:00:00Z' } });
    await processor.process(sqsRecord(event));
    expect(calls.map((c) => c.method)).toEqual(['upsert']);
    expect(calls[0]!.contact).toEqual({ userId: 'usr_9f2c1a7b', email: undefined, name: 'Ada King', profileUpdatedAt: '2026-11-28T10:00:00Z' });
    expect(calls[0]!.event.order.sequence).toBe(5);
  });

  it('passes a stale answer of the port on', async () => {
    const { processor } = through(crmSyncHandlers(contacts(Outcome.Stale).port));
    const event = envelope({ type: 'user.profile-updated', version: 1, data: { userId: 'usr_9f2c1a7b', revision: 2, name: 'Ada King', updatedAt: '2026-11-28T10:00:00Z' } });
    expect(await processor.process(sqsRecord(event))).toBe(RecordResult.Stale);
  });
});

describe('email-marketing', () => {
  function subscribers() {
    const added: Subscriber[] = [];
    const port: SubscribersPort = { add: async (subscriber) => (added.push(subscriber), Outcome.Applied) };
    return { port, added };
  }

  it('adds a person who opted in, consent dated by the sign-up', async () => {
    const { port, added } = subscribers();
    const { processor } = through(emailMarketingHandlers(port));
    expect(await processor.process(sqsRecord(envelope()))).toBe(RecordResult.Applied);
    expect(added).toEqual([{ userId: 'usr_9f2c1a7b', email: 'ada@example.com', name: 'Ada Lovelace', consentedAt: '2026-11-28T09:30:00Z' }]);
  });

  it.each([
    ['opted out', { marketingOptIn: false }, 2],
    ['a v1 sign-up with no consent flag', { marketingOptIn: undefined }, 1],
  ])('parks %s in the DLQ instead of subscribing', async (_name, change, version) => {
    const { port, added } = subscribers();
    const { processor, parked } = through(emailMarketingHandlers(port));
    const data = signUpData(change);
    if (data.marketingOptIn === undefined) delete (data as Record<string, unknown>).marketingOptIn;
    expect(await processor.process(sqsRecord(envelope({ version, data })))).toBe(RecordResult.DeadLettered);
    expect(added).toEqual([]);
    expect(parked[0]!.errorName).toBe(new MissingConsentError('x').name);
  });
});

describe('billing-sync', () => {
  it('applies a subscription change ordered by its sequence', async () => {
    const applied: { change: SubscriptionChange; event: AppliedEvent }[] = [];
    const port: BillingPort = { apply: async (change, event) => (applied.push({ change, event }), Outcome.Applied) };
    const { processor } = through(billingSyncHandlers(port));
    const data = { accountId: 'acct_4b7e21d0', sequence: 4, action: 'upgraded' as const, plan: 'enterprise' as const, seats: 20, effectiveAt: '2026-11-28T09:31:00Z' };
    expect(await processor.process(sqsRecord(envelope({ type: 'subscription.changed', version: 1, subject: 'acct_4b7e21d0', data }), { groupId: 'acct_4b7e21d0' }))).toBe(
      RecordResult.Applied,
    );
    expect(applied[0]!.change).toEqual(data);
    expect(applied[0]!.event.order.sequence).toBe(4);
  });
});

import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Context } from 'aws-lambda';
import { IdempotencyAlreadyInProgressError, IdempotencyPersistenceLayerError } from '@aws-lambda-powertools/idempotency';
import type { IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import { PermanentError, TransientError } from '../../contracts/errors';
import { Outcome } from '../../lambdas/kit/consumer';
import { IdempotencyCleanupError, permanentFailureOf } from '../../lambdas/kit/errors';
import { createIdempotencyGate } from '../../lambdas/kit/idempotency';
import { MemoryPersistence } from './kit-fakes';

afterEach(() => {
  vi.unstubAllEnvs();
});

const context = { functionName: 'crm-sync-fn', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

describe('idempotency gate (Powertools makeIdempotent)', () => {
  it('runs work once per event id and replays the stored outcome for a duplicate', async () => {
    const store = new MemoryPersistence();
    const gate = createIdempotencyGate({ persistenceStore: store, consumer: 'crm-sync', expiresAfterSeconds: 1_296_000 });
    gate.registerContext(context);
    let runs = 0;
    const work = async () => {
      runs += 1;
      return Outcome.Stale;
    };
    expect(await gate.once('evt-1', work)).toEqual({ outcome: 'stale', duplicate: false });
    expect(await gate.once('evt-1', work)).toEqual({ outcome: 'stale', duplicate: true });
    expect(runs).toBe(1);
    const [record] = [...store.items.values()];
    expect(record!.getStatus()).toBe('COMPLETED');
    // Expiry is the configured 15 days, not Powertools' 1 h default.
    expect(record!.expiryTimestamp! - Date.now() / 1000).toBeGreaterThan(1_296_000 - 60);
  });

  it('keeps consumers apart: the same event id is applied once per consumer', async () => {
    const store = new MemoryPersistence();
    const crm = createIdempotencyGate({ persistenceStore: store, consumer: 'crm-sync', expiresAfterSeconds: 60 });
    const email = createIdempotencyGate({ persistenceStore: store, consumer: 'email-marketing', expiresAfterSeconds: 60 });
    expect((await crm.once('evt-1', async () => Outcome.Applied)).duplicate).toBe(false);
    expect((await email.once('evt-1', async () => Outcome.Applied)).duplicate).toBe(false);
    expect(store.items.size).toBe(2);
  });

  it('keys on the consumer, not the function: a renamed or replaced function keeps the memory', async () => {
    const table = new Map<string, IdempotencyRecord>();
    // Powertools reads AWS_LAMBDA_FUNCTION_NAME when the persistence layer is built, and
    // would prefix every key with it; the kit replaces that prefix with the consumer name.
    vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', 'fanout-sample-CrmSyncFunction-AAAA');
    const before = createIdempotencyGate({ persistenceStore: new MemoryPersistence(table), consumer: 'crm-sync', expiresAfterSeconds: 60 });
    before.registerContext({ ...context, functionName: 'fanout-sample-CrmSyncFunction-AAAA' } as Context);
    expect((await before.once('evt-9', async () => Outcome.Applied)).duplicate).toBe(false);

    vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', 'fanout-sample-CrmSyncFunction-BBBB');
    const after = createIdempotencyGate({ persistenceStore: new MemoryPersistence(table), consumer: 'crm-sync', expiresAfterSeconds: 60 });
    after.registerContext({ ...context, functionName: 'fanout-sample-CrmSyncFunction-BBBB' } as Context);
    let ran = false;
    const replay = await after.once('evt-9', async () => ((ran = true), Outcome.Applied));
    expect(replay).toEqual({ outcome: 'applied', duplicate: true });
    expect(ran).toBe(false);

    // The local runner sets no function name at all: still the same key.
    vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', '');
    const local = createIdempotencyGate({ persistenceStore: new MemoryPersistence(table), consumer: 'crm-sync', expiresAfterSeconds: 60 });
    expect((await local.once('evt-9', async () => Outcome.Applied)).duplicate).toBe(true);

    expect([...table.keys()]).toHaveLength(1);
    // `<consumer>#<hash>`: nothing of a function name in it.
    expect([...table.keys()][0]).toMatch(/^crm-sync#[A-Za-z0-9+/=]+$/);
  });

  it('records nothing when the work fails, so a retry runs it again', async () => {
    const store = new MemoryPersistence();
    const gate = createIdempotencyGate({ persistenceStore: store, consumer: 'crm-sync', expiresAfterSeconds: 60 });
    gate.registerContext(context);
    await expect(gate.once('evt-2', async () => Promise.reject(new Error('downstream 503')))).rejects.toThrow('downstream 503');
    expect(store.items.size).toBe(0);
    expect(await gate.once('evt-2', async () => Outcome.Applied)).toEqual({ outcome: 'applied', duplicate: false });
  });

  it('refuses an event another invocation is applying right now (a transient failure)', async () => {
    const store = new MemoryPersistence();
    const gate = createIdempotencyGate({ persistenceStore: store, consumer: 'crm-sync', expiresAfterSeconds: 60 });
    gate.registerContext(context);
    let release!: () => void;
    const first = gate.once('evt-3', () => new Promise((resolve) => (release = () => resolve(Outcome.Applied))));
    await new Promise((r) => setTimeout(r, 5));
    await expect(gate.once('evt-3', async () => Outcome.Applied)).rejects.toBeInstanceOf(IdempotencyAlreadyInProgressError);
    release();
    expect((await first).duplicate).toBe(false);
  });

  it('keeps the function’s error when Powertools then fails to remove the in-progress record (issue 9, break 5)', async () => {
    const tableDown = new Error('ProvisionedThroughputExceededException: rate of requests exceeds the allowed throughput');
    const store = new MemoryPersistence(undefined, { failDelete: () => tableDown });
    const gate = createIdempotencyGate({ persistenceStore: store, consumer: 'crm-sync', expiresAfterSeconds: 60 });
    gate.registerContext(context);
    const rejected = new PermanentError('CRM answered 422: email already belongs to another account');
    const error = await gate.once('evt-5', async () => Promise.reject(rejected)).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(store.deleteAttempts).toBe(1);
    // Powertools alone would surface IdempotencyPersistenceLayerError('Failed to delete record
    // from idempotency store', { cause: tableDown }): nothing of the 422 in it.
    expect(error?.name).toBe('IdempotencyCleanupError');
    expect(error?.cause).toBe(rejected);
    expect(error).toBeInstanceOf(IdempotencyCleanupError);
    const cleanup = (error as IdempotencyCleanupError).cleanupError;
    expect(cleanup).toBeInstanceOf(IdempotencyPersistenceLayerError);
    expect((cleanup as Error).cause).toBe(tableDown);
    expect(error?.message).toContain('CRM answered 422');
    expect(error?.message).toContain('could not be removed');
    // It decides as its cause does: permanent.
    expect(permanentFailureOf(error)).toBe(rejected);
    // The in-progress record is left behind, to expire with the invocation.
    expect([...store.items.values()].map((r: IdempotencyRecord) => r.getStatus())).toEqual(['INPROGRESS']);
  });

  it('wraps a transient failure the same way, and it stays transient', async () => {
    const store = new MemoryPersistence(undefined, { failDelete: () => new Error('table unreachable') });
    const gate = createIdempotencyGate({ persistenceStore: store, consumer: 'crm-sync', expiresAfterSeconds: 60 });
    gate.registerContext(context);
    const outage = new TransientError('CRM answered 503');
    const error = await gate.once('evt-6', async () => Promise.reject(outage)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(IdempotencyCleanupError);
    expect((error as Error).cause).toBe(outage);
    expect(permanentFailureOf(error)).toBeUndefined();
  });

  it('passes Powertools’ own errors through unchanged when the function never ran or succeeded', async () => {
    // Saving the in-progress record fails: the function did not run, so there is nothing of its own to keep.
    class FailingPut extends MemoryPersistence {
      protected override async _putRecord(): Promise<void> {
        throw new Error('table unreachable');
      }
    }
    const gate = createIdempotencyGate({ persistenceStore: new FailingPut(), consumer: 'crm-sync', expiresAfterSeconds: 60 });
    gate.registerContext(context);
    let ran = false;
    const error = await gate.once('evt-7', async () => ((ran = true), Outcome.Applied)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(ran).toBe(false);
    expect(error).toBeInstanceOf(IdempotencyPersistenceLayerError);
    expect(error).not.toBeInstanceOf(IdempotencyCleanupError);
  });

  it('rethrows the function’s own error unchanged when the clean-up works', async () => {
    const store = new MemoryPersistence();
    const gate = createIdempotencyGate({ persistenceStore: store, consumer: 'crm-sync', expiresAfterSeconds: 60 });
    gate.registerContext(context);
    const rejected = new PermanentError('CRM answered 422');
    await expect(gate.once('evt-8', async () => Promise.reject(rejected))).rejects.toBe(rejected);
    expect(store.deleteAttempts).toBe(1);
    expect(store.items.size).toBe(0);
  });
});

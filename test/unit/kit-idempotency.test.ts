import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Context } from 'aws-lambda';
import { IdempotencyAlreadyInProgressError, IdempotencyItemAlreadyExistsError, IdempotencyItemNotFoundError } from '@aws-lambda-powertools/idempotency';
import { BasePersistenceLayer, IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import { Outcome } from '../../lambdas/kit/consumer';
import { createIdempotencyGate } from '../../lambdas/kit/idempotency';

/** Powertools' persistence contract, in memory: the gate runs on the real makeIdempotent. */
class MemoryPersistence extends BasePersistenceLayer {
  /** `items` may be shared, as two functions share one DynamoDB table. */
  constructor(readonly items = new Map<string, IdempotencyRecord>()) {
    super();
  }
  protected async _putRecord(record: IdempotencyRecord): Promise<void> {
    const existing = this.items.get(record.idempotencyKey);
    if (existing && !existing.isExpired()) throw new IdempotencyItemAlreadyExistsError(`exists: ${record.idempotencyKey}`, existing);
    this.items.set(record.idempotencyKey, record);
  }
  protected async _getRecord(key: string): Promise<IdempotencyRecord> {
    const record = this.items.get(key);
    if (!record) throw new IdempotencyItemNotFoundError('not found');
    return record;
  }
  protected async _updateRecord(record: IdempotencyRecord): Promise<void> {
    this.items.set(record.idempotencyKey, record);
  }
  protected async _deleteRecord(record: IdempotencyRecord): Promise<void> {
    this.items.delete(record.idempotencyKey);
  }
}

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
});

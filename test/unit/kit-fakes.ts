/**
 * Event factories and recording fakes for the kit's unit tests: SQS records shaped as
 * Lambda delivers them, and in-memory stand-ins for the logger, metrics, tracer and
 * idempotency gate. No network.
 */
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { SQSRecord } from 'aws-lambda';
import { IdempotencyItemAlreadyExistsError, IdempotencyItemNotFoundError } from '@aws-lambda-powertools/idempotency';
import { BasePersistenceLayer, IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import { FileContractResolver } from '../../contracts/contract-resolver';
import { createEnvelope, envelopeAttributes, type CloudEvent } from '../../contracts/envelope';
import type { Outcome } from '../../lambdas/kit/consumer';
import type { GateResult, IdempotencyGate } from '../../lambdas/kit/idempotency';
import type { KitLogger, KitMetricName, MetricSink, RecordAnnotations, RecordTracer } from '../../lambdas/kit/telemetry';

/** The repository's contracts. */
export const SCHEMAS_DIR = join(import.meta.dirname, '../../schemas');

/** A resolver over schemas/. */
export function fileResolver(): FileContractResolver {
  return new FileContractResolver(SCHEMAS_DIR);
}

/** A valid `user.signed-up` v2 payload. */
export function signUpData(overrides: Record<string, unknown> = {}) {
  return {
    userId: 'usr_9f2c1a7b',
    email: 'ada@example.com',
    name: 'Ada Lovelace',
    plan: 'pro' as const,
    signedUpAt: '2026-11-28T09:30:00Z',
    marketingOptIn: true,
    ...overrides,
  };
}

/** An envelope (defaults: `user.signed-up` v2, valid data). */
export function envelope<T = ReturnType<typeof signUpData>>(
  overrides: Partial<{ type: string; version: number; data: T; id: string; subject: string; time: Date; correlationId: string }> = {},
): CloudEvent<T> {
  return createEnvelope({
    type: overrides.type ?? 'user.signed-up',
    version: overrides.version ?? 2,
    data: (overrides.data ?? signUpData()) as T,
    subject: overrides.subject ?? 'usr_9f2c1a7b',
    source: 'urn:fanout:test',
    id: overrides.id ?? randomUUID(),
    correlationId: overrides.correlationId ?? 'corr-1',
    time: overrides.time ?? new Date('2026-11-28T09:30:00Z'),
  });
}

/** An SQS record as Lambda's event source delivers it. */
export function sqsRecord(
  body: string | CloudEvent,
  options: Partial<{ messageId: string; receiveCount: number; groupId: string; firstReceiveMs: number; attributes: SQSRecord['messageAttributes'] }> = {},
): SQSRecord {
  const event = typeof body === 'string' ? undefined : body;
  const attributes =
    options.attributes ??
    (event
      ? Object.fromEntries(
          Object.entries(envelopeAttributes(event)).map(([name, value]) => [name, { dataType: 'String', stringValue: value.StringValue, stringListValues: [], binaryListValues: [] }]),
        )
      : // A body that is not an envelope still arrives with the attributes the producer set.
        { correlationid: { dataType: 'String', stringValue: 'corr-1', stringListValues: [], binaryListValues: [] } });
  const messageId = options.messageId ?? randomUUID();
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: String(options.receiveCount ?? 1),
      SentTimestamp: '1764322200000',
      SenderId: 'AIDA',
      // Received just now unless a test says otherwise: a record first received long ago has spent its retry budget.
      ApproximateFirstReceiveTimestamp: String(options.firstReceiveMs ?? Date.now()),
      ...(options.groupId !== undefined && { MessageGroupId: options.groupId, MessageDeduplicationId: messageId, SequenceNumber: '1' }),
    },
    messageAttributes: attributes,
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:q',
    awsRegion: 'us-east-1',
  };
}

/** One recorded log call. */
export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly extra: Record<string, unknown>;
  /** The appended keys in force when it was logged. */
  readonly keys: Record<string, unknown>;
}

/** A logger that records what it is told. */
export class RecordingLogger implements KitLogger {
  readonly lines: LogLine[] = [];
  private keys: Record<string, unknown> = {};
  private log(level: LogLine['level'], message: string, extra: Record<string, unknown>[]) {
    this.lines.push({ level, message, extra: Object.assign({}, ...extra), keys: { ...this.keys } });
  }
  debug(message: string, ...extra: Record<string, unknown>[]) {
    this.log('debug', message, extra);
  }
  info(message: string, ...extra: Record<string, unknown>[]) {
    this.log('info', message, extra);
  }
  warn(message: string, ...extra: Record<string, unknown>[]) {
    this.log('warn', message, extra);
  }
  error(message: string, ...extra: Record<string, unknown>[]) {
    this.log('error', message, extra);
  }
  appendKeys(keys: Record<string, unknown>) {
    this.keys = { ...this.keys, ...keys };
  }
  removeKeys(keys: string[]) {
    for (const key of keys) delete this.keys[key];
  }
  /** Current keys (should be empty between records). */
  get currentKeys() {
    return { ...this.keys };
  }
}

/** A metric sink that records data points. */
export class RecordingMetrics implements MetricSink {
  readonly points: { name: KitMetricName; value: number }[] = [];
  flushes = 0;
  record(name: KitMetricName, value: number) {
    this.points.push({ name, value });
  }
  flush() {
    this.flushes += 1;
  }
  count(name: KitMetricName): number {
    return this.points.filter((p) => p.name === name).length;
  }
  values(name: KitMetricName): number[] {
    return this.points.filter((p) => p.name === name).map((p) => p.value);
  }
}

/** A tracer that records one entry per traced record. */
export class RecordingTracer implements RecordTracer {
  readonly records: { name: string; annotations: RecordAnnotations[]; failed: boolean }[] = [];
  async traceRecord<T>(name: string, work: (annotate: (a: RecordAnnotations) => void) => Promise<T>): Promise<T> {
    const entry = { name, annotations: [] as RecordAnnotations[], failed: false };
    this.records.push(entry);
    try {
      return await work((annotations) => entry.annotations.push(annotations));
    } catch (error) {
      entry.failed = true;
      throw error;
    }
  }
}

/** An in-memory idempotency gate with the same contract as the Powertools one. */
export class MemoryGate implements IdempotencyGate {
  readonly completed = new Map<string, Outcome>();
  contexts = 0;
  registerContext() {
    this.contexts += 1;
  }
  async once(eventId: string, work: () => Promise<Outcome>): Promise<GateResult> {
    const done = this.completed.get(eventId);
    if (done !== undefined) return { outcome: done, duplicate: true };
    const outcome = await work();
    this.completed.set(eventId, outcome);
    return { outcome, duplicate: false };
  }
}

/**
 * Powertools' persistence contract in memory, so a gate runs on the real makeIdempotent
 * (no mock of Powertools internals). `items` may be shared, as two functions share one
 * DynamoDB table. `failDelete` makes removing a record fail, as a throttled or
 * unreachable table does: Powertools then replaces the function's error with an
 * IdempotencyPersistenceLayerError.
 */
export class MemoryPersistence extends BasePersistenceLayer {
  /** How many deletes were attempted. */
  deleteAttempts = 0;
  constructor(
    readonly items = new Map<string, IdempotencyRecord>(),
    private readonly options: { readonly failDelete?: () => Error } = {},
  ) {
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
    this.deleteAttempts += 1;
    if (this.options.failDelete) throw this.options.failDelete();
    this.items.delete(record.idempotencyKey);
  }
}

/** A seeded uniform [0, 1) generator (mulberry32, the demo workload's): repeatable Monte-Carlo runs. */
export { prng as seededRandom } from '../../local/demo-workload';

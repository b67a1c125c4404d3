/**
 * What the local runner observes of a run, from the outside of the consumers where it
 * can: the downstream tables' effect logs (what was really applied), the dead-letter
 * queues (what was parked, and why), queue depths; and from the consumers' own output
 * only what nobody else can know (events skipped as stale, duplicates absorbed), read
 * from their EMF metrics and structured logs as CloudWatch would.
 */
import { ScanCommand, type DynamoDBClient, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { EFFECT_SORT_KEY, effectKey } from '../lambdas/downstream/dynamodb-effects';
import { peekMessages, queueDepth } from '../ops/adapters/sqs-dead-letters';
import { FailureAttribute } from '../contracts/failure-context';
import type { DeadLetter, EffectRecord } from './report';

// The effect-log key layout and the DLQ failure attributes are the consumer kit's; they
// are imported, not restated, so the runner reads what the consumers really write.
const EFFECT_KEY_PREFIX = effectKey('');

/**
 * Every effect-log item of a downstream table whose event is one of `ids`.
 * A scan: the table only holds this demo's data, and the emulator has no streams to tail.
 */
export async function readEffects(dynamodb: DynamoDBClient, tableName: string, ids: ReadonlySet<string>): Promise<Map<string, EffectRecord>> {
  const effects = new Map<string, EffectRecord>();
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await dynamodb.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: 'sk = :effect',
        ExpressionAttributeValues: { ':effect': { S: EFFECT_SORT_KEY } },
        ProjectionExpression: 'pk, applications, appliedAt',
        ...(startKey && { ExclusiveStartKey: startKey }),
      }),
    );
    for (const item of page.Items ?? []) {
      const pk = item.pk?.S ?? '';
      if (!pk.startsWith(EFFECT_KEY_PREFIX)) continue;
      const id = pk.slice(EFFECT_KEY_PREFIX.length);
      if (!ids.has(id)) continue;
      effects.set(id, { applications: Number(item.applications?.N ?? '0'), appliedAtMs: Date.parse(item.appliedAt?.S ?? '') || 0 });
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return effects;
}

function eventIdOf(message: Message): string | undefined {
  try {
    const body = JSON.parse(message.Body ?? '') as { id?: unknown };
    return typeof body.id === 'string' ? body.id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads every message of a dead-letter queue without removing it (the operators' peek,
 * ops/adapters/sqs-dead-letters.ts, which makes them visible again however it ends), so
 * `fanout dlq` and `fanout redrive` find them as they were.
 * @returns the messages by event id, and how many could not be read (on a FIFO queue
 *   the emulator withholds the rest of a message group while some of it is being read)
 */
export async function readDeadLetters(sqs: SQSClient, queueUrl: string): Promise<{ letters: Map<string, DeadLetter>; unread: number }> {
  const letters = new Map<string, DeadLetter>();
  const received = await peekMessages(sqs, queueUrl, Number.POSITIVE_INFINITY);
  for (const message of received) {
    const id = eventIdOf(message);
    if (!id) continue;
    const errorName = message.MessageAttributes?.[FailureAttribute.ErrorName]?.StringValue;
    const errorMessage = message.MessageAttributes?.[FailureAttribute.ErrorMessage]?.StringValue;
    letters.set(id, { ...(errorName && { errorName, reason: `${errorName}: ${errorMessage ?? ''}` }) });
  }
  const depth = await queueDepth(sqs, queueUrl);
  return { letters, unread: Math.max(0, depth.visible + depth.inFlight - received.length) };
}

/**
 * Reads one consumer's output: EMF metric documents (summed per metric name) and the
 * structured log lines that name an event skipped as stale.
 */
export class ConsumerTelemetry {
  /** Sum of each metric's values so far. */
  readonly metrics: Record<string, number> = {};
  /** Event ids the consumer logged as skipped by the ordering guard. */
  readonly staleIds = new Set<string>();

  /** Feeds one line of stdout/stderr; lines that are not JSON (stack traces) stay in the log file only. */
  read(line: string): void {
    if (!line.startsWith('{')) return;
    let document: Record<string, unknown>;
    try {
      document = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const aws = document._aws as { CloudWatchMetrics?: { Metrics?: { Name: string }[] }[] } | undefined;
    if (aws?.CloudWatchMetrics) {
      for (const directive of aws.CloudWatchMetrics) {
        for (const { Name } of directive.Metrics ?? []) {
          const value = document[Name];
          const values = Array.isArray(value) ? value : [value];
          this.metrics[Name] = (this.metrics[Name] ?? 0) + values.reduce((sum: number, v) => sum + (typeof v === 'number' ? v : 0), 0);
        }
      }
      return;
    }
    // The kit logs each stale skip with the event's id (lambdas/kit/record-processor.ts).
    // An invocation killed between the skip and its log line leaves only the redelivery's
    // line: a duplicate acknowledged with the stored outcome `stale`.
    if (typeof document.event_id !== 'string' || typeof document.message !== 'string') return;
    if (document.message.startsWith('stale event') || (document.message.startsWith('duplicate event') && document.outcome === 'stale')) {
      this.staleIds.add(document.event_id);
    }
  }

  /** A metric's total, 0 when never emitted. */
  metric(name: string): number {
    return this.metrics[name] ?? 0;
  }
}

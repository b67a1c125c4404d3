/**
 * The DynamoDB downstream, shared by every sample consumer: it writes what the
 * downstream "really recorded", so a run can be checked against it.
 *
 * Per applied event, two items in the consumer's table (partition key `pk`, sort key `sk`):
 * - the entity's state item (`pk` = e.g. `contact#<userId>`, `sk` = `state`), carrying
 *   the order of the last event applied to it. With the ordering guard on, the write is
 *   conditional: an event older than that order is not written and reported stale;
 *   unless the change says it still fills what the newer state lacks
 *   (`whenStale: 'fill-missing'`, e.g. a sign-up arriving after a profile change): then
 *   its attributes are written with `if_not_exists`, newer values are never overwritten,
 *   the order stays the newer event's, and the change counts as applied.
 * - an effect-log item (`pk` = `effect#<envelope id>`, `sk` = `effect`), written in the
 *   same transaction as the state item and only if the event is not in the log yet, so an
 *   event is applied at most once by this adapter alone, whatever happens to the
 *   invocation after the write. Its `applications` counter (`ADD applications :one`)
 *   witnesses that: an event applied twice would show up as `applications > 1`.
 * An event reported `applied` always has its effect-log item and one reported `stale`
 * never does, so the log agrees with the kit's Processed and Stale metrics.
 */
import { TransactWriteItemsCommand, type AttributeValue, type DynamoDBClient, type Update } from '@aws-sdk/client-dynamodb';
import { isAwsError } from '../../contracts/aws-errors';
import { Outcome } from '../kit/consumer';
import type { AppliedEvent } from './applied-event';
import { delayChaos, injectChaos, injectChaosAfterWrite, type ChaosSettings } from './chaos';
import { DownstreamRejectedError } from './errors';
import { WhenStale } from './when-stale';

/** Sort key of state items. */
export const STATE_SORT_KEY = 'state';
/** Sort key of effect-log items. */
export const EFFECT_SORT_KEY = 'effect';

/** The partition key of an event's effect-log item. */
export function effectKey(eventId: string): string {
  return `effect#${eventId}`;
}

/** An attribute value of a state item; `undefined` leaves the stored attribute as it is. */
export type StateValue = string | number | boolean | undefined;

/** One change of one entity's state. */
export interface StateChange {
  /** The state item's partition key, e.g. `contact#usr_123`. */
  readonly key: string;
  /** Attributes to set (merged into the stored item). */
  readonly attributes: Readonly<Record<string, StateValue>>;
  /** Apply the ordering guard: refuse the change when the item holds a newer event. */
  readonly guarded: boolean;
  /** With the guard: what to do when the item holds a newer event (see {@link WhenStale}). @default WhenStale.Skip */
  readonly whenStale?: WhenStale;
}

/** Options of {@link DynamoDbEffectStore}. */
export interface DynamoDbEffectStoreOptions {
  /** Local demo only (see chaos.ts). @default none */
  readonly chaos?: ChaosSettings;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default Math.random */
  readonly random?: () => number;
  /**
   * Days state and effect-log items live after their last write: each write sets
   * {@link EXPIRES_AT} (epoch seconds), the table's TTL attribute. @default no expiry
   */
  readonly retentionDays?: number;
}

/** The TTL attribute of the downstream table's items (epoch seconds). */
export const EXPIRES_AT = 'expiresAt';

// Names the adapter keeps on state items for itself.
const RESERVED = new Set(['pk', 'sk', 'lastEventId', 'lastEventType', 'sequence', 'eventTimeMs', 'eventTime', 'updatedAt', EXPIRES_AT]);

function toAttributeValue(value: string | number | boolean): AttributeValue {
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') return { N: String(value) };
  return { BOOL: value };
}

/** Writes state and effect-log items to one table through the low-level client. */
/** The TTL value of one write, as an expression value, or undefined without a retention. */
type Expiry = Record<string, AttributeValue> | undefined;

export class DynamoDbEffectStore {
  private readonly now: () => number;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly options: DynamoDbEffectStoreOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  /** `{ ':expiresAt': ... }` for a write at `nowMs`, or nothing without a retention. */
  private expiryAt(nowMs: number): Expiry {
    const days = this.options.retentionDays;
    return days === undefined ? undefined : { ':expiresAt': { N: String(Math.floor(nowMs / 1000) + days * 86_400) } };
  }

  /**
   * Applies one change for `event`, at most once per envelope id by itself: the state
   * item and the effect-log item are written in one transaction, and the effect-log write
   * is conditioned on the event not being in the log yet. A retry after any failure (the
   * invocation died after the write, the idempotency record was never completed, the call
   * timed out after DynamoDB committed) finds the event in the log and writes nothing: the
   * Powertools gate in the kit is the fast path, this condition is the guarantee.
   * @returns `stale` when the guard refused the change (nothing written), else `applied`
   *   (also when the event had been applied before, and when a stale change filled in
   *   missing attributes, see {@link WhenStale})
   * @throws DownstreamRejectedError when DynamoDB refuses the item itself (ValidationException)
   * @throws the SDK's error (transient) for throttling, 5xx, the network and transaction conflicts
   */
  async apply(change: StateChange, event: AppliedEvent): Promise<Outcome> {
    await delayChaos(this.options.chaos, this.now());
    injectChaos(this.options.chaos, this.now(), this.options.random);
    // One moment for every item this change writes: their times and expiry agree.
    const nowMs = this.now();
    const nowIso = new Date(nowMs).toISOString();
    const expiry = this.expiryAt(nowMs);
    try {
      let written = await this.writeOnce(this.stateUpdate(change, event, nowIso, expiry), event, nowIso, expiry);
      // A newer event got there first: a change that fills what it lacks is still recorded.
      if (written === 'refused' && change.guarded && change.whenStale === WhenStale.FillMissing) {
        written = await this.writeOnce(this.fillMissingUpdate(change, nowIso, expiry), event, nowIso, expiry);
      }
      if (written === 'refused') return Outcome.Stale;
      if (written === 'written') injectChaosAfterWrite(this.options.chaos, this.now(), this.options.random);
      return Outcome.Applied;
    } catch (error) {
      if (isAwsError(error, 'ValidationException')) {
        throw new DownstreamRejectedError(`DynamoDB refused the change of ${change.key}: ${(error as Error).message}`, { cause: error });
      }
      throw error;
    }
  }

  /**
   * One transaction: `stateWrite` and the event's effect-log item, the latter only if the
   * event is not in the log yet.
   * @returns `written`; `already-applied` when the log holds the event (nothing written);
   *   `refused` when the state write's own condition (the ordering guard) failed
   */
  private async writeOnce(stateWrite: Update, event: AppliedEvent, nowIso: string, expiry: Expiry): Promise<'written' | 'already-applied' | 'refused'> {
    try {
      await this.client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Update: stateWrite },
            {
              Update: {
                TableName: this.tableName,
                Key: { pk: { S: effectKey(event.id) }, sk: { S: EFFECT_SORT_KEY } },
                // The condition is what makes the effect once-only; the counter stays an honest
                // witness: were the condition ever lost, a second application would show as 2.
                ConditionExpression: 'attribute_not_exists(pk)',
                UpdateExpression:
                  'SET eventType = :type, subject = :subject, eventTime = :eventTime, correlationId = :correlationId, ' +
                  `appliedAt = :now, lastAppliedAt = :now${expiry ? `, ${EXPIRES_AT} = :expiresAt` : ''} ADD applications :one`,
                ExpressionAttributeValues: {
                  ':type': { S: event.type },
                  ':subject': { S: event.subject },
                  ':eventTime': { S: event.time },
                  ':correlationId': { S: event.correlationid },
                  ':now': { S: nowIso },
                  ':one': { N: '1' },
                  ...expiry,
                },
              },
            },
          ],
        }),
      );
      return 'written';
    } catch (error) {
      const reasons = cancellationCodes(error);
      if (!reasons) throw error;
      // The log first: an event applied before is applied, whatever the state says now.
      if (reasons[1] === 'ConditionalCheckFailed') return 'already-applied';
      if (reasons[0] === 'ConditionalCheckFailed' && stateWrite.ConditionExpression) return 'refused';
      throw error;
    }
  }

  /** The state item's update, with the ordering guard when the change is guarded. */
  private stateUpdate(change: StateChange, event: AppliedEvent, nowIso: string, expiry: Expiry): Update {
    const names: Record<string, string> = {};
    const values: Record<string, AttributeValue> = {
      ':eventId': { S: event.id },
      ':eventType': { S: event.type },
      ':updatedAt': { S: nowIso },
      ':sequence': { N: String(event.order.sequence) },
      ':eventTimeMs': { N: String(event.order.timeMs) },
      ':eventTime': { S: event.time },
    };
    const sets = ['lastEventId = :eventId', 'lastEventType = :eventType', 'updatedAt = :updatedAt', '#sequence = :sequence', 'eventTimeMs = :eventTimeMs', 'eventTime = :eventTime'];
    if (expiry) {
      Object.assign(values, expiry);
      sets.push(`${EXPIRES_AT} = :expiresAt`);
    }
    names['#sequence'] = 'sequence';
    for (const [placeholder, name] of attributePlaceholders(change, names, values)) sets.push(`${name} = ${placeholder}`);
    return {
      TableName: this.tableName,
      Key: { pk: { S: change.key }, sk: { S: STATE_SORT_KEY } },
      UpdateExpression: `SET ${sets.join(', ')}`,
      ...(change.guarded && {
        // Newer counter wins; on equal counters the later time wins; the event that
        // wrote the state may write it again.
        ConditionExpression:
          'attribute_not_exists(pk) OR attribute_not_exists(#sequence) OR lastEventId = :eventId OR ' +
          '#sequence < :sequence OR (#sequence = :sequence AND eventTimeMs < :eventTimeMs)',
      }),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    };
  }

  /**
   * The stale change's attributes, each only where the item lacks it. No condition: the
   * guard refused because a newer event wrote the item, and `if_not_exists` can only add
   * to what that event wrote. The item's order and last event stay the newer event's.
   */
  private fillMissingUpdate(change: StateChange, nowIso: string, expiry: Expiry): Update {
    const names: Record<string, string> = {};
    const values: Record<string, AttributeValue> = { ':updatedAt': { S: nowIso }, ...expiry };
    const sets = ['updatedAt = :updatedAt', ...(expiry ? [`${EXPIRES_AT} = :expiresAt`] : [])];
    for (const [placeholder, name] of attributePlaceholders(change, names, values)) sets.push(`${name} = if_not_exists(${name}, ${placeholder})`);
    return {
      TableName: this.tableName,
      Key: { pk: { S: change.key }, sk: { S: STATE_SORT_KEY } },
      UpdateExpression: `SET ${sets.join(', ')}`,
      ...(Object.keys(names).length > 0 && { ExpressionAttributeNames: names }),
      ExpressionAttributeValues: values,
    };
  }
}

/**
 * The cancellation reason codes of a cancelled transaction, one per item in order, or
 * undefined for any other error.
 */
function cancellationCodes(error: unknown): (string | undefined)[] | undefined {
  if (!isAwsError(error, 'TransactionCanceledException')) return undefined;
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
  return reasons?.map((reason) => reason.Code);
}

/**
 * Registers the change's defined attributes as `#aN` / `:aN` in `names` and `values`.
 * @returns [value placeholder, name placeholder] per attribute
 * @throws DownstreamRejectedError for a name the adapter keeps for itself
 */
function attributePlaceholders(change: StateChange, names: Record<string, string>, values: Record<string, AttributeValue>): [string, string][] {
  const placeholders: [string, string][] = [];
  for (const [name, value] of Object.entries(change.attributes)) {
    if (value === undefined) continue;
    if (RESERVED.has(name)) throw new DownstreamRejectedError(`state attribute "${name}" is reserved by the DynamoDB adapter`);
    const index = placeholders.length;
    names[`#a${index}`] = name;
    values[`:a${index}`] = toAttributeValue(value);
    placeholders.push([`:a${index}`, `#a${index}`]);
  }
  return placeholders;
}

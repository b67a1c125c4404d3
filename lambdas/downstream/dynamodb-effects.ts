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
 * - an effect-log item (`pk` = `effect#<envelope id>`, `sk` = `effect`) whose
 *   `applications` counter is incremented with `ADD applications :one`, so an event
 *   applied twice shows up as `applications > 1`.
 * An event reported `applied` always has its effect-log item and one reported `stale`
 * never does, so the log agrees with the kit's Processed and Stale metrics.
 */
import { UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { isAwsError } from '../../contracts/aws-errors';
import { Outcome } from '../kit/consumer';
import type { AppliedEvent } from './applied-event';
import { injectChaos, type ChaosSettings } from './chaos';
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
}

// Names the adapter keeps on state items for itself.
const RESERVED = new Set(['pk', 'sk', 'lastEventId', 'lastEventType', 'sequence', 'eventTimeMs', 'eventTime', 'updatedAt']);

function toAttributeValue(value: string | number | boolean): AttributeValue {
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') return { N: String(value) };
  return { BOOL: value };
}

/** Writes state and effect-log items to one table through the low-level client. */
export class DynamoDbEffectStore {
  private readonly now: () => number;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly options: DynamoDbEffectStoreOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Applies one change for `event`: the state item, then the effect-log item.
   * Retrying the same event after a failure between the two writes is safe: the guard
   * lets an event through again over its own state (`lastEventId`), and a fill of
   * missing attributes changes nothing the second time.
   * @returns `stale` when the guard refused the change (nothing written), else `applied`
   *   (also when a stale change filled in missing attributes, see {@link WhenStale})
   * @throws DownstreamRejectedError when DynamoDB refuses the item itself (ValidationException)
   * @throws the SDK's error (transient) for throttling, 5xx and the network
   */
  async apply(change: StateChange, event: AppliedEvent): Promise<Outcome> {
    injectChaos(this.options.chaos, this.now(), this.options.random);
    const nowIso = new Date(this.now()).toISOString();
    try {
      let written = await this.writeState(change, event, nowIso);
      // A newer event got there first: a change that fills what it lacks is still recorded.
      if (!written && change.guarded && change.whenStale === WhenStale.FillMissing) written = await this.fillMissing(change, nowIso);
      if (!written) return Outcome.Stale;
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: effectKey(event.id) }, sk: { S: EFFECT_SORT_KEY } },
          UpdateExpression:
            'SET eventType = :type, subject = :subject, eventTime = :eventTime, correlationId = :correlationId, ' +
            'appliedAt = if_not_exists(appliedAt, :now), lastAppliedAt = :now ADD applications :one',
          ExpressionAttributeValues: {
            ':type': { S: event.type },
            ':subject': { S: event.subject },
            ':eventTime': { S: event.time },
            ':correlationId': { S: event.correlationid },
            ':now': { S: nowIso },
            ':one': { N: '1' },
          },
        }),
      );
      return Outcome.Applied;
    } catch (error) {
      if (isAwsError(error, 'ValidationException')) {
        throw new DownstreamRejectedError(`DynamoDB refused the change of ${change.key}: ${(error as Error).message}`, { cause: error });
      }
      throw error;
    }
  }

  /** @returns false when the ordering guard refused the write */
  private async writeState(change: StateChange, event: AppliedEvent, nowIso: string): Promise<boolean> {
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
    names['#sequence'] = 'sequence';
    for (const [placeholder, name] of attributePlaceholders(change, names, values)) sets.push(`${name} = ${placeholder}`);
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: change.key }, sk: { S: STATE_SORT_KEY } },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ...(change.guarded && {
            // Newer counter wins; on equal counters the later time wins; the event that
            // wrote the state may write it again (a retry after a half-done apply).
            ConditionExpression:
              'attribute_not_exists(pk) OR attribute_not_exists(#sequence) OR lastEventId = :eventId OR ' +
              '#sequence < :sequence OR (#sequence = :sequence AND eventTimeMs < :eventTimeMs)',
          }),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (change.guarded && isAwsError(error, 'ConditionalCheckFailedException')) return false;
      throw error;
    }
  }

  /**
   * The stale change's attributes, each only where the item lacks it. No condition: the
   * guard refused because a newer event wrote the item, and `if_not_exists` can only add
   * to what that event wrote. The item's order and last event stay the newer event's.
   * @returns true (the change is recorded, even when every attribute was already there)
   */
  private async fillMissing(change: StateChange, nowIso: string): Promise<boolean> {
    const names: Record<string, string> = {};
    const values: Record<string, AttributeValue> = { ':updatedAt': { S: nowIso } };
    const sets = ['updatedAt = :updatedAt'];
    for (const [placeholder, name] of attributePlaceholders(change, names, values)) sets.push(`${name} = if_not_exists(${name}, ${placeholder})`);
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: change.key }, sk: { S: STATE_SORT_KEY } },
        UpdateExpression: `SET ${sets.join(', ')}`,
        ...(Object.keys(names).length > 0 && { ExpressionAttributeNames: names }),
        ExpressionAttributeValues: values,
      }),
    );
    return true;
  }
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

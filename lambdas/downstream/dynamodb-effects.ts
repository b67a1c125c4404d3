/**
 * The DynamoDB downstream, shared by every sample consumer: it writes what the
 * downstream "really recorded", so a run can be checked against it.
 *
 * Per applied event, two items in the consumer's table (partition key `pk`, sort key `sk`):
 * - the entity's state item (`pk` = e.g. `contact#<userId>`, `sk` = `state`), carrying
 *   the order of the last event applied to it. With the ordering guard on, the write is
 *   conditional: an event older than that order is not written and reported stale.
 * - an effect-log item (`pk` = `effect#<envelope id>`, `sk` = `effect`) whose
 *   `applications` counter is incremented with `ADD applications :one`, so an event
 *   applied twice shows up as `applications > 1`.
 */
import { UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Outcome } from '../kit/consumer';
import type { AppliedEvent } from './applied-event';
import { injectChaos, type ChaosSettings } from './chaos';
import { DownstreamRejectedError } from './errors';

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

function errorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? (error as { name?: string }).name : undefined;
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
   * lets an event through again over its own state (`lastEventId`).
   * @returns `stale` when the guard refused the change (nothing written), else `applied`
   * @throws DownstreamRejectedError when DynamoDB refuses the item itself (ValidationException)
   * @throws the SDK's error (transient) for throttling, 5xx and the network
   */
  async apply(change: StateChange, event: AppliedEvent): Promise<Outcome> {
    injectChaos(this.options.chaos, this.now(), this.options.random);
    const nowIso = new Date(this.now()).toISOString();
    try {
      const written = await this.writeState(change, event, nowIso);
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
      if (errorName(error) === 'ValidationException') {
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
    let index = 0;
    for (const [name, value] of Object.entries(change.attributes)) {
      if (value === undefined) continue;
      if (RESERVED.has(name)) throw new DownstreamRejectedError(`state attribute "${name}" is reserved by the DynamoDB adapter`);
      names[`#a${index}`] = name;
      values[`:a${index}`] = toAttributeValue(value);
      sets.push(`#a${index} = :a${index}`);
      index += 1;
    }
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
      if (change.guarded && errorName(error) === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }
}

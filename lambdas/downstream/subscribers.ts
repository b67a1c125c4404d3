/**
 * The email marketing tool's subscribers, as email-marketing sees them: one port, two
 * adapters (DynamoDB, the default; HTTP for a real tool). Adding is naturally
 * repeatable (a set), so it needs no ordering guard.
 */
import type { Outcome } from '../kit/consumer';
import type { AppliedEvent } from './applied-event';
import type { DynamoDbEffectStore } from './dynamodb-effects';
import type { HttpApi } from './http-api';
import { portFactory } from './settings';

/** A person on the marketing list. */
export interface Subscriber {
  readonly userId: string;
  readonly email: string;
  readonly name: string;
  /** When they gave consent (ISO 8601). */
  readonly consentedAt: string;
}

/** Where email-marketing adds subscribers. */
export interface SubscribersPort {
  /** Adds (or re-adds) a subscriber. */
  add(subscriber: Subscriber, event: AppliedEvent): Promise<Outcome>;
}

/** Subscribers as state items `subscriber#<userId>` in the consumer's table. */
export function dynamoDbSubscribers(store: DynamoDbEffectStore): SubscribersPort {
  return {
    add: (subscriber, event) =>
      store.apply({ key: `subscriber#${subscriber.userId}`, attributes: { ...subscriber, status: 'subscribed' }, guarded: false }, event),
  };
}

/** Subscribers in an email tool's HTTP API: `PUT /subscribers/{userId}` (idempotent by design). */
export function httpSubscribers(api: HttpApi): SubscribersPort {
  return {
    add: (subscriber, event) => api.send({ method: 'PUT', path: ['subscribers', subscriber.userId], body: subscriber, guarded: false }, event),
  };
}

/** The subscribers port the environment configures. */
export const createSubscribersPort = portFactory<SubscribersPort>({ dynamodb: dynamoDbSubscribers, http: httpSubscribers });

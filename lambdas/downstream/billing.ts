/**
 * The billing system's accounts, as billing-sync sees them: one port, two adapters
 * (DynamoDB, the default; HTTP for a real billing API). Changes arrive in order per
 * account (FIFO), and the write is guarded by the change's `sequence` as well, so a
 * replayed older change can never roll an account back.
 */
import type { Outcome } from '../kit/consumer';
import type { AppliedEvent } from './applied-event';
import type { DynamoDbEffectStore } from './dynamodb-effects';
import type { HttpApi } from './http-api';
import { portFactory } from './settings';

/** One change of an account's subscription. */
export interface SubscriptionChange {
  readonly accountId: string;
  readonly sequence: number;
  readonly action: string;
  readonly plan: string;
  readonly seats: number;
  readonly effectiveAt: string;
}

/** Where billing-sync applies subscription changes. */
export interface BillingPort {
  /** Applies a change unless the account already reflects a later one (then `stale`). */
  apply(change: SubscriptionChange, event: AppliedEvent): Promise<Outcome>;
}

/** Accounts as state items `account#<accountId>` in the consumer's table. */
export function dynamoDbBilling(store: DynamoDbEffectStore): BillingPort {
  return {
    apply: (change, event) =>
      store.apply(
        {
          key: `account#${change.accountId}`,
          attributes: {
            accountId: change.accountId,
            plan: change.plan,
            seats: change.seats,
            status: change.action === 'cancelled' ? 'cancelled' : 'active',
            lastAction: change.action,
            effectiveAt: change.effectiveAt,
            changeSequence: change.sequence,
          },
          guarded: true,
        },
        event,
      ),
  };
}

/** Changes posted to a billing API: `POST /accounts/{accountId}/subscription-changes`. */
export function httpBilling(api: HttpApi): BillingPort {
  return {
    apply: (change, event) => api.send({ method: 'POST', path: ['accounts', change.accountId, 'subscription-changes'], body: change, guarded: true }, event),
  };
}

/** The billing port the environment configures. */
export const createBillingPort = portFactory<BillingPort>({ dynamodb: dynamoDbBilling, http: httpBilling });

/**
 * billing-sync's domain: a subscription change is applied to the account. Changes of
 * one account arrive in order (FIFO, message group = account); the `sequence` guard in
 * the port keeps a replayed older change from rolling an account back. No AWS SDK here.
 */
import type { SubscriptionChanged } from '../../../contracts/event-types.generated';
import { defineHandlers, type ConsumerHandlers } from '../../kit/consumer';
import type { BillingPort } from '../../downstream/billing';

/** The event types billing-sync handles and their data. */
export interface BillingSyncEvents {
  readonly 'subscription.changed': SubscriptionChanged;
}

/** billing-sync's handlers, writing through `billing`. */
export function billingSyncHandlers(billing: BillingPort): ConsumerHandlers<BillingSyncEvents> {
  return defineHandlers<BillingSyncEvents>({
    'subscription.changed': {
      sequenceField: 'sequence',
      apply: ({ data, ...event }) =>
        billing.apply(
          { accountId: data.accountId, sequence: data.sequence, action: data.action, plan: data.plan, seats: data.seats, effectiveAt: data.effectiveAt },
          event,
        ),
    },
  });
}

/**
 * email-marketing's domain: a person who signed up and agreed to marketing email becomes
 * a subscriber. No AWS SDK here; the subscribers port decides where they go.
 */
import type { UserSignedUp } from '../../../contracts/event-types.generated';
import { defineHandlers, type ConsumerHandlers } from '../../kit/consumer';
import { PermanentError } from '../../kit/errors';
import type { SubscribersPort } from '../../downstream/subscribers';

/**
 * A sign-up without marketing consent reached email-marketing (its filter policy should
 * have kept it out). Subscribing them anyway would mail someone who did not agree, so it
 * goes to the DLQ for a person to look at.
 */
export class MissingConsentError extends PermanentError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MissingConsentError';
  }
}

/** The event types email-marketing handles and their data. */
export interface EmailMarketingEvents {
  readonly 'user.signed-up': UserSignedUp;
}

/** email-marketing's handlers, writing through `subscribers`. */
export function emailMarketingHandlers(subscribers: SubscribersPort): ConsumerHandlers<EmailMarketingEvents> {
  return defineHandlers<EmailMarketingEvents>({
    'user.signed-up': {
      apply: ({ data, ...event }) => {
        // v1 sign-ups have no consent flag at all: no flag is no consent.
        if (!('marketingOptIn' in data) || data.marketingOptIn !== true) {
          return Promise.reject(new MissingConsentError(`user ${data.userId} did not opt in to marketing email`));
        }
        return subscribers.add({ userId: data.userId, email: data.email, name: data.name, consentedAt: data.signedUpAt }, event);
      },
    },
  });
}

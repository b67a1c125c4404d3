/**
 * crm-sync's domain: what a sign-up and a profile change mean to the CRM. No AWS SDK
 * here; the contacts port decides where the contact goes.
 *
 * Ordering: a profile change carries `revision` (1, 2, ... per user); a sign-up carries
 * none and so counts as revision 0, before every change of the same user. The port's
 * guard keeps anything older from overwriting what the contact already reflects: a late
 * profile change is stale, while a late sign-up (it can arrive after the user's first
 * profile change: standard queues do not keep order) still records the fields only it
 * carries, plan and sign-up time, where the contact lacks them.
 */
import type { UserProfileUpdated, UserSignedUp } from '../../../contracts/event-types.generated';
import { defineHandlers, type ConsumerHandlers } from '../../kit/consumer';
import type { ContactsPort } from '../../downstream/contacts';

/** The event types crm-sync handles and their data. */
export interface CrmSyncEvents {
  readonly 'user.signed-up': UserSignedUp;
  readonly 'user.profile-updated': UserProfileUpdated;
}

/** crm-sync's handlers, writing through `contacts`. */
export function crmSyncHandlers(contacts: ContactsPort): ConsumerHandlers<CrmSyncEvents> {
  return defineHandlers<CrmSyncEvents>({
    'user.signed-up': {
      apply: ({ data, ...event }) =>
        contacts.create({ userId: data.userId, email: data.email, name: data.name, plan: data.plan, signedUpAt: data.signedUpAt }, event),
    },
    'user.profile-updated': {
      sequenceField: 'revision',
      apply: ({ data, ...event }) =>
        contacts.upsert({ userId: data.userId, email: data.email, name: data.name, profileUpdatedAt: data.updatedAt }, event),
    },
  });
}

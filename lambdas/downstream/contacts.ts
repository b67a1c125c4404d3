/**
 * The CRM's contacts, as crm-sync sees them: one port, two adapters (DynamoDB, the
 * default; HTTP for a real CRM). Upserts are guarded: a change older than the one the
 * CRM holds for the contact is reported stale, never written over newer data.
 */
import type { Outcome } from '../kit/consumer';
import type { AppliedEvent } from './applied-event';
import type { DynamoDbEffectStore } from './dynamodb-effects';
import type { HttpApi } from './http-api';
import { createDownstream, type DownstreamClients } from './settings';

/** A CRM contact; absent fields are left as the CRM has them. */
export interface Contact {
  readonly userId: string;
  readonly email?: string;
  readonly name?: string;
  readonly plan?: string;
  readonly signedUpAt?: string;
  readonly profileUpdatedAt?: string;
}

/** Where crm-sync writes contacts. */
export interface ContactsPort {
  /** Creates or updates a contact, unless the CRM holds a newer change of it (then `stale`). */
  upsert(contact: Contact, event: AppliedEvent): Promise<Outcome>;
}

/** Contacts as state items `contact#<userId>` in the consumer's table. */
export function dynamoDbContacts(store: DynamoDbEffectStore): ContactsPort {
  return {
    upsert: (contact, event) => {
      const { userId, ...attributes } = contact;
      return store.apply({ key: `contact#${userId}`, attributes: { userId, ...attributes }, guarded: true }, event);
    },
  };
}

/** Contacts in a CRM's HTTP API: `PUT /contacts/{userId}`. */
export function httpContacts(api: HttpApi): ContactsPort {
  return {
    upsert: (contact, event) => api.send({ method: 'PUT', path: ['contacts', contact.userId], body: contact, guarded: true }, event),
  };
}

/** The contacts port the environment configures. */
export function createContactsPort(env: Readonly<Record<string, string | undefined>>, clients: DownstreamClients): ContactsPort {
  const downstream = createDownstream(env, clients);
  return downstream.kind === 'dynamodb' ? dynamoDbContacts(downstream.store) : httpContacts(downstream.api);
}

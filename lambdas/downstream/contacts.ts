/**
 * The CRM's contacts, as crm-sync sees them: one port, two adapters (DynamoDB, the
 * default; HTTP for a real CRM). Writes are guarded: a change older than the one the
 * CRM holds for the contact never overwrites newer data. A profile change that arrives
 * late is then stale and skipped; a late sign-up still records what only it carries
 * (plan, sign-up time), filling in what the contact lacks.
 */
import type { Outcome } from '../kit/consumer';
import type { AppliedEvent } from './applied-event';
import type { DynamoDbEffectStore } from './dynamodb-effects';
import type { HttpApi } from './http-api';
import { portFactory } from './settings';
import { WhenStale } from './when-stale';

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
  /**
   * Records a new contact (a sign-up). When the CRM already holds a newer change of the
   * contact (the events arrived out of order), only the fields the contact lacks are
   * written (e.g. plan and signedUpAt, which no profile change carries) and newer values
   * are kept; either way the sign-up is recorded, so the outcome is `applied`.
   */
  create(contact: Contact, event: AppliedEvent): Promise<Outcome>;
  /** Updates a contact (a profile change), unless the CRM holds a newer change of it (then `stale`). */
  upsert(contact: Contact, event: AppliedEvent): Promise<Outcome>;
}

/** Contacts as state items `contact#<userId>` in the consumer's table. */
export function dynamoDbContacts(store: DynamoDbEffectStore): ContactsPort {
  const write = (contact: Contact, event: AppliedEvent, whenStale: WhenStale) => {
    const { userId, ...attributes } = contact;
    return store.apply({ key: `contact#${userId}`, attributes: { userId, ...attributes }, guarded: true, whenStale }, event);
  };
  return {
    create: (contact, event) => write(contact, event, WhenStale.FillMissing),
    upsert: (contact, event) => write(contact, event, WhenStale.Skip),
  };
}

/**
 * Contacts in a CRM's HTTP API: `PUT /contacts/{userId}`, guarded by the event's order. A
 * sign-up refused as stale (409) is followed by a fill of the fields the contact lacks
 * (see HttpApi's `whenStale`).
 */
export function httpContacts(api: HttpApi): ContactsPort {
  const put = (contact: Contact, event: AppliedEvent, whenStale: WhenStale) =>
    api.send({ method: 'PUT', path: ['contacts', contact.userId], body: contact, guarded: true, whenStale }, event);
  return {
    create: (contact, event) => put(contact, event, WhenStale.FillMissing),
    upsert: (contact, event) => put(contact, event, WhenStale.Skip),
  };
}

/** The contacts port the environment configures. */
export const createContactsPort = portFactory<ContactsPort>({ dynamodb: dynamoDbContacts, http: httpContacts });

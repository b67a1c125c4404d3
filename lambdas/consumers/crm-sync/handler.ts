/**
 * crm-sync's Lambda handler: a thin adapter wiring the kit, the contacts port and the
 * domain handlers, once per container.
 */
import { createContactsPort } from '../../downstream/contacts';
import { createConsumerRuntime } from '../../kit/runtime';
import { crmSyncHandlers } from './sync-contact';

const runtime = createConsumerRuntime();

/** The SQS batch handler (ReportBatchItemFailures). */
export const handler = runtime.handler(crmSyncHandlers(createContactsPort(process.env, runtime.clients)));

/**
 * email-marketing's Lambda handler: a thin adapter wiring the kit, the subscribers port
 * and the domain handlers, once per container.
 */
import { createSubscribersPort } from '../../downstream/subscribers';
import { createConsumerRuntime } from '../../kit/runtime';
import { emailMarketingHandlers } from './add-subscriber';

const runtime = createConsumerRuntime();

/** The SQS batch handler (ReportBatchItemFailures). */
export const handler = runtime.handler(emailMarketingHandlers(createSubscribersPort(process.env, runtime.clients)));

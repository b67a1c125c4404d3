/**
 * billing-sync's Lambda handler: a thin adapter wiring the kit, the billing port and the
 * domain handlers, once per container. Its queue is FIFO (FANOUT_FIFO=true).
 */
import { createBillingPort } from '../../downstream/billing';
import { createConsumerRuntime } from '../../kit/runtime';
import { billingSyncHandlers } from './apply-change';

const runtime = createConsumerRuntime();

/** The SQS batch handler (ReportBatchItemFailures; per-group failure on FIFO). */
export const handler = runtime.handler(billingSyncHandlers(createBillingPort(process.env, runtime.clients)));

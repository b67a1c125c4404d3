/**
 * How the stack names the physical resources of a consumer: a pure naming rule, so the
 * stack that creates the queues, the runbook and the AsyncAPI document that name them
 * for operators and producers, and anything else that must find them agree without
 * loading aws-cdk-lib.
 */

/** SQS limits a queue name to 80 characters. */
export const MAX_QUEUE_NAME_LENGTH = 80;

/** Deployed names of a consumer's queues. */
export interface ConsumerQueueNames {
  readonly queue: string;
  readonly deadLetterQueue: string;
  readonly subscriptionDeadLetterQueue: string;
}

/**
 * The physical queue names of a consumer: `<pipeline>-<consumer>`, with `-dlq` and
 * `-subscription-dlq` for its dead-letter queues, and `.fifo` on FIFO queues.
 */
export function consumerQueueNames(pipelineName: string, consumerName: string, fifo: boolean): ConsumerQueueNames {
  const suffix = fifo ? '.fifo' : '';
  const base = `${pipelineName}-${consumerName}`;
  return {
    queue: `${base}${suffix}`,
    deadLetterQueue: `${base}-dlq${suffix}`,
    subscriptionDeadLetterQueue: `${base}-subscription-dlq${suffix}`,
  };
}

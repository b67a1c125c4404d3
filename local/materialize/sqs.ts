/** SQS queues on the emulator, with their redrive and redrive-allow policies. */
import { CreateQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { bool, errorName, generatedName, str, type Materialized, type ResourceContext } from './handler';
import type { ResourceStatus } from './resources';

const QUEUE_ATTRIBUTES = [
  'DelaySeconds',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ReceiveMessageWaitTimeSeconds',
  'VisibilityTimeout',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
  'SqsManagedSseEnabled',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
] as const;

/** Creates a queue, or brings one an earlier run made in line with the template; attributes the emulator drops become notes. */
export async function createQueue({ logicalId, props, stackName, clients }: ResourceContext): Promise<Materialized> {
  const notes: string[] = [];
  const fifo = bool(props.FifoQueue);
  const name = str(props.QueueName) ?? generatedName(stackName, logicalId, 80, fifo ? '.fifo' : '');
  const attributes: Record<string, string> = {};
  if (fifo) attributes.FifoQueue = 'true';
  for (const attribute of QUEUE_ATTRIBUTES) if (props[attribute] !== undefined) attributes[attribute] = String(props[attribute]);
  // The template carries these as JSON objects; SQS takes JSON text.
  if (props.RedrivePolicy !== undefined) attributes.RedrivePolicy = str(props.RedrivePolicy)!;
  if (props.RedriveAllowPolicy !== undefined) attributes.RedriveAllowPolicy = str(props.RedriveAllowPolicy)!;
  let queueUrl: string;
  let status: ResourceStatus = 'created';
  try {
    ({ QueueUrl: queueUrl } = (await clients.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))) as { QueueUrl: string });
  } catch (error) {
    if (!/QueueAlreadyExists|QueueNameExists/.test(errorName(error))) throw error;
    // An earlier run made it with other settings: bring it in line with the template.
    ({ QueueUrl: queueUrl } = (await clients.sqs.send(new GetQueueUrlCommand({ QueueName: name }))) as { QueueUrl: string });
    const { FifoQueue: _fifo, ...changeable } = attributes;
    await clients.sqs.send(new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: changeable }));
    status = 'reused';
  }
  const { Attributes } = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }));
  // The emulator drops attributes it does not implement without an error: say so.
  for (const attribute of Object.keys(attributes)) {
    if ((Attributes as Record<string, string> | undefined)?.[attribute] === undefined) notes.push(`${logicalId}: the emulator ignores queue attribute ${attribute} (set in the template, not emulated)`);
  }
  return { resource: { logicalId, type: 'AWS::SQS::Queue', ref: queueUrl, attributes: { Arn: Attributes!.QueueArn!, QueueName: name, QueueUrl: queueUrl }, status }, notes };
}

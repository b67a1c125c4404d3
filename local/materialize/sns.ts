/** SNS topics and subscriptions on the emulator. */
import { CreateTopicCommand, GetTopicAttributesCommand, SetTopicAttributesCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { bool, generatedName, str, type Materialized, type Props, type ResourceContext } from './handler';

/** Creates a topic with the template's attributes; attributes the emulator refuses or drops become notes. */
export async function createTopic({ logicalId, props, stackName, clients }: ResourceContext): Promise<Materialized> {
  const notes: string[] = [];
  const fifo = bool(props.FifoTopic);
  const name = str(props.TopicName) ?? generatedName(stackName, logicalId, 256, fifo ? '.fifo' : '');
  const attributes: Record<string, string> = {};
  if (fifo) attributes.FifoTopic = 'true';
  if (props.ContentBasedDeduplication !== undefined) attributes.ContentBasedDeduplication = String(bool(props.ContentBasedDeduplication));
  if (props.KmsMasterKeyId !== undefined) attributes.KmsMasterKeyId = str(props.KmsMasterKeyId)!;
  if (props.DisplayName !== undefined) attributes.DisplayName = str(props.DisplayName)!;
  if (props.SignatureVersion !== undefined) attributes.SignatureVersion = str(props.SignatureVersion)!;
  const { TopicArn } = await clients.sns.send(new CreateTopicCommand({ Name: name, Attributes: attributes }));
  // Attributes moto may not know, set one by one so a refusal is a note, not a failure.
  const optional: Record<string, string | undefined> = {
    TracingConfig: str(props.TracingConfig),
    ArchivePolicy: props.ArchivePolicy === undefined ? undefined : JSON.stringify(props.ArchivePolicy),
  };
  for (const [attribute, value] of Object.entries(optional)) {
    if (value === undefined) continue;
    try {
      await clients.sns.send(new SetTopicAttributesCommand({ TopicArn, AttributeName: attribute, AttributeValue: value }));
    } catch (error) {
      notes.push(`${logicalId}: the emulator does not support topic attribute ${attribute}=${value} (${(error as Error).message}); created without it`);
    }
  }
  const { Attributes: stored } = await clients.sns.send(new GetTopicAttributesCommand({ TopicArn }));
  for (const attribute of [...Object.keys(attributes), ...Object.keys(optional).filter((a) => optional[a] !== undefined)]) {
    if (stored?.[attribute] === undefined) notes.push(`${logicalId}: the emulator ignores topic attribute ${attribute} (set in the template, not emulated)`);
  }
  return { resource: { logicalId, type: 'AWS::SNS::Topic', ref: TopicArn!, attributes: { TopicArn: TopicArn!, TopicName: name }, status: 'created' }, notes };
}

/** Subscribes with raw delivery, filter policy and scope and redrive policy, and returns the subscription for local filter evaluation. */
export async function createSubscription({ logicalId, props, clients }: ResourceContext): Promise<Materialized> {
  const topicArn = str(props.TopicArn)!;
  const protocol = str(props.Protocol)!;
  const endpoint = str(props.Endpoint)!;
  const attributes: Record<string, string> = {};
  if (props.RawMessageDelivery !== undefined) attributes.RawMessageDelivery = String(bool(props.RawMessageDelivery));
  if (props.FilterPolicy !== undefined) attributes.FilterPolicy = str(props.FilterPolicy)!;
  if (props.FilterPolicyScope !== undefined) attributes.FilterPolicyScope = str(props.FilterPolicyScope)!;
  if (props.RedrivePolicy !== undefined) attributes.RedrivePolicy = str(props.RedrivePolicy)!;
  if (props.DeliveryPolicy !== undefined) attributes.DeliveryPolicy = str(props.DeliveryPolicy)!;
  const { SubscriptionArn } = await clients.sns.send(
    new SubscribeCommand({ TopicArn: topicArn, Protocol: protocol, Endpoint: endpoint, Attributes: attributes, ReturnSubscriptionArn: true }),
  );
  const filterPolicy = props.FilterPolicy === undefined ? undefined : typeof props.FilterPolicy === 'string' ? (JSON.parse(props.FilterPolicy) as Props) : (props.FilterPolicy as Props);
  return {
    resource: { logicalId, type: 'AWS::SNS::Subscription', ref: SubscriptionArn!, attributes: { Arn: SubscriptionArn! }, status: 'created' },
    subscription: {
      logicalId,
      subscriptionArn: SubscriptionArn!,
      topicArn,
      protocol,
      endpoint,
      rawMessageDelivery: bool(props.RawMessageDelivery),
      ...(filterPolicy && { filterPolicy }),
      filterPolicyScope: str(props.FilterPolicyScope) === 'MessageBody' ? 'MessageBody' : 'MessageAttributes',
    },
  };
}

/**
 * An SNS topic events are published to, with its own customer-managed KMS key.
 */
import { Stack, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** Properties of an {@link EventTopic}. */
export interface EventTopicProps {
  /**
   * The topic's physical name, without the `.fifo` suffix (added for FIFO topics).
   * A fixed name lets the key policy name the topic's ARN without a circular reference.
   */
  readonly topicName: string;
  /** A FIFO topic: ordered per message group, content-based deduplication on. @default false */
  readonly fifo?: boolean;
  /** FIFO only: days SNS archives published messages so they can be replayed. @default no archive */
  readonly archiveRetentionDays?: number;
  /** What happens to the key when the stack is deleted. @default RemovalPolicy.RETAIN (the CDK default for keys) */
  readonly keyRemovalPolicy?: RemovalPolicy;
}

/**
 * An SNS topic that is safe by construction: encrypted with a customer-managed KMS key
 * (rotation on), a TLS-only topic policy, X-Ray active tracing, and for FIFO
 * content-based deduplication and, when asked, message archiving for replay.
 *
 * The key is also the one the subscribed queues are encrypted with: its policy lets
 * SNS (for this topic only) generate data keys and decrypt, which is what SNS needs to
 * deliver into an encrypted queue, and leaves the rest to IAM in the account.
 */
export class EventTopic extends Construct {
  /** The topic. */
  readonly topic: sns.Topic;
  /** Encrypts the topic and every queue subscribed to it. */
  readonly key: kms.Key;
  /** The topic's physical name (with `.fifo` for FIFO topics). */
  readonly topicName: string;
  /** True for a FIFO topic; its queues must be FIFO too. */
  readonly fifo: boolean;
  /**
   * The topic's ARN built from its fixed name, for policies that must not depend on the
   * topic resource (the key's, and those the topic itself must wait for).
   */
  readonly topicArnFromName: string;

  constructor(scope: Construct, id: string, props: EventTopicProps) {
    super(scope, id);
    const fifo = props.fifo ?? false;
    const archiveRetentionDays = props.archiveRetentionDays;
    const topicName = fifo ? `${props.topicName}.fifo` : props.topicName;
    this.fifo = fifo;
    this.topicName = topicName;

    const stack = Stack.of(this);
    // Built from the fixed name rather than the topic's Ref: the topic refers to the key,
    // so the key policy referring back to the topic would be a circular dependency.
    const topicArn = stack.formatArn({ service: 'sns', resource: topicName });
    this.topicArnFromName = topicArn;

    this.key = new kms.Key(this, 'Key', {
      description: `Encrypts SNS topic ${topicName} and the SQS queues subscribed to it`,
      enableKeyRotation: true,
      ...(props.keyRemovalPolicy !== undefined && { removalPolicy: props.keyRemovalPolicy }),
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowSnsToEncryptIntoSubscribedQueues',
        principals: [new iam.ServicePrincipal('sns.amazonaws.com')],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnEquals: { 'aws:SourceArn': topicArn },
        },
      }),
    );

    this.topic = new sns.Topic(this, 'Topic', {
      topicName: props.topicName,
      masterKey: this.key,
      enforceSSL: true,
      tracingConfig: sns.TracingConfig.ACTIVE,
      ...(fifo && { fifo: true, contentBasedDeduplication: true }),
      ...(fifo && archiveRetentionDays !== undefined && { messageRetentionPeriodInDays: archiveRetentionDays }),
    });
  }

  /** The topic's ARN. */
  get topicArn(): string {
    return this.topic.topicArn;
  }

  /** Lets `grantee` publish (sns:Publish, and the key use SSE requires of a publisher). */
  grantPublish(grantee: iam.IGrantable): iam.Grant {
    return this.topic.grantPublish(grantee);
  }

  /**
   * Lets `grantee` encrypt into and decrypt from queues encrypted with this topic's key
   * (kms:Decrypt and kms:GenerateDataKey only: what SQS needs for receive and send).
   */
  grantQueueKeyUse(grantee: iam.IGrantable): iam.Grant {
    return this.key.grant(grantee, 'kms:Decrypt', 'kms:GenerateDataKey');
  }
}

/**
 * An SNS topic events are published to, with its own customer-managed KMS key.
 */
import { Lazy, Stack, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { InfrastructureError } from './infrastructure-error';

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
  /**
   * Who may publish; the topic policy denies `sns:Publish` to every other principal.
   * @default no list: IAM in the account decides (and other accounts are denied)
   */
  readonly publishers?: {
    /** Role ARNs (`grantPublish` adds more). */
    readonly roleArns: readonly string[];
    /** Accounts whose principals may publish. */
    readonly accounts: readonly string[];
  };
}

/**
 * An SNS topic that is safe by construction: encrypted with a customer-managed KMS key
 * (rotation on), a topic policy that accepts TLS only, lets only the listed producers
 * publish and only the stack's own queues subscribe, X-Ray active tracing, and for FIFO
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
  /** Roles let in by the publisher list and by {@link grantPublish}; read when the policy is synthesized. */
  private readonly publisherRoleArns: string[] = [];
  /** Whether the policy names publisher roles (else only accounts, or no list at all). */
  private readonly restrictsByRole: boolean;

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

    this.publisherRoleArns.push(...(props.publishers?.roleArns ?? []));
    this.restrictsByRole = this.publisherRoleArns.length > 0;
    this.allowProducersOfOtherAccounts(props.publishers);
    this.denyUnlistedPublishers(props.publishers);
  }

  /**
   * Listed producers of other accounts must be let in, not only spared the deny: a
   * principal of another account can publish only when the topic policy and the key
   * policy allow it. Each statement names an account (which delegates to that account's
   * IAM) and, for listed roles, the role ARNs as a condition: unlike a role principal,
   * that needs no role to exist when the policy is created. The stack's own account needs
   * neither: its IAM policies decide, and grantPublish writes them.
   */
  private allowProducersOfOtherAccounts(publishers: EventTopicProps['publishers']): void {
    const stack = Stack.of(this);
    const byAccount = new Map<string, string[] | 'whole account'>();
    for (const account of publishers?.accounts ?? []) byAccount.set(account, 'whole account');
    for (const arn of publishers?.roleArns ?? []) {
      const account = arn.split(':')[4]!;
      const roles = byAccount.get(account);
      if (roles === 'whole account') continue;
      byAccount.set(account, [...(roles ?? []), arn]);
    }
    [...byAccount].forEach(([account, roles], i) => {
      if (account === stack.account) return;
      const conditions = roles === 'whole account' ? undefined : { ArnLike: { 'aws:PrincipalArn': roles } };
      const principals = [new iam.AccountPrincipal(account)];
      this.topic.addToResourcePolicy(
        new iam.PolicyStatement({ sid: `AllowProducersOfAccount${i}`, principals, actions: ['sns:Publish'], resources: [this.topic.topicArn], ...(conditions && { conditions }) }),
      );
      this.key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: `AllowProducersOfAccount${i}ThroughSns`,
          principals,
          actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
          resources: ['*'],
          conditions: { StringEquals: { 'kms:ViaService': `sns.${stack.region}.${stack.urlSuffix}` }, ...conditions },
        }),
      );
    });
  }

  /**
   * Denies `sns:Publish` to every principal that is neither a listed role (or one granted
   * with {@link grantPublish}) nor of a listed account; without a list, to other accounts.
   */
  private denyUnlistedPublishers(publishers: EventTopicProps['publishers']): void {
    const denyOthers: Record<string, Record<string, unknown>> = {};
    if (this.restrictsByRole) {
      // Lazy: roles granted with grantPublish after construction join the list.
      denyOthers.ArnNotLike = { 'aws:PrincipalArn': Lazy.list({ produce: () => this.publisherRoleArns }) };
    }
    // Without a list, other accounts are still kept out (a topic policy may let them in).
    const accounts = publishers ? publishers.accounts : this.restrictsByRole ? [] : [Stack.of(this).account];
    if (accounts.length > 0) denyOthers.StringNotEquals = { 'aws:PrincipalAccount': [...accounts] };
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyPublishExceptListedProducers',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: denyOthers,
      }),
    );
  }

  /**
   * Denies `sns:Subscribe` except SQS subscriptions of the given queues (the stack's own
   * consumers'): no one can subscribe an HTTPS endpoint or a queue of theirs and copy the
   * events out. Call it once, with every queue that subscribes.
   */
  restrictSubscriptionsTo(queueArns: readonly string[]): void {
    const deny = (sid: string, conditions?: Record<string, Record<string, unknown>>) =>
      new iam.PolicyStatement({ sid, effect: iam.Effect.DENY, principals: [new iam.AnyPrincipal()], actions: ['sns:Subscribe'], resources: [this.topic.topicArn], ...(conditions && { conditions }) });
    if (queueArns.length === 0) {
      this.topic.addToResourcePolicy(deny('DenySubscribe'));
      return;
    }
    this.topic.addToResourcePolicy(deny('DenySubscribeExceptSqs', { StringNotEquals: { 'sns:Protocol': 'sqs' } }));
    this.topic.addToResourcePolicy(deny('DenySubscribeExceptOwnQueues', { StringNotEquals: { 'sns:Endpoint': [...queueArns] } }));
  }

  /** The topic's ARN. */
  get topicArn(): string {
    return this.topic.topicArn;
  }

  /**
   * Lets `grantee` publish (sns:Publish, and the key use SSE requires of a publisher),
   * and lets its role past the topic policy's list of producer roles. A topic that lists
   * only accounts lets in every role of those accounts, so its account must be one.
   */
  grantPublish(grantee: iam.IGrantable): iam.Grant {
    const role = grantee.grantPrincipal;
    if (!(role instanceof iam.Role)) throw new InfrastructureError(`topic ${this.topicName}: grantPublish takes a role of this app; list other principals in the definition's publishers`);
    if (this.restrictsByRole) this.publisherRoleArns.push(role.roleArn);
    return this.topic.grantPublish(grantee);
  }

  /**
   * Lets `grantee` encrypt into and decrypt from the given queues encrypted with this
   * topic's key (kms:Decrypt and kms:GenerateDataKey only: what SQS needs for receive and
   * send), through SQS only: SQS names the queue in the encryption context
   * (`aws:sqs:arn`), so the grant covers those queues and not the other consumers' queues
   * the same key encrypts, and not the key used directly.
   */
  grantQueueKeyUse(grantee: iam.IGrantable, queueArns: readonly string[]): iam.Grant {
    const stack = Stack.of(this);
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resourceArns: [this.key.keyArn],
      conditions: {
        StringEquals: { 'kms:ViaService': `sqs.${stack.region}.${stack.urlSuffix}`, 'kms:EncryptionContext:aws:sqs:arn': [...queueArns] },
      },
    });
  }
}

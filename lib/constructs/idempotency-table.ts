/**
 * The DynamoDB table the consumers' idempotency records live in.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** Properties of an {@link IdempotencyTable}. */
export interface IdempotencyTableProps {
  /**
   * What happens to the table when the stack is deleted. It is the pipeline's memory of
   * what was applied: deleted with the stack, an event redriven or replayed into a
   * re-created stack would be applied again by any downstream that is not idempotent by
   * itself.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * A fixed physical name. With the table retained, a re-created stack then finds the old
   * table in its way and fails, rather than starting afresh with an empty memory beside it:
   * import it (`cdk import`) or delete it on purpose. @default a generated name
   */
  readonly tableName?: string;
}

/** The partition key Powertools idempotency uses by default. */
export const IDEMPOTENCY_PARTITION_KEY = 'id';
/** The TTL attribute Powertools idempotency writes (epoch seconds). */
export const IDEMPOTENCY_TTL_ATTRIBUTE = 'expiration';

/**
 * The item actions Powertools idempotency (DynamoDBPersistenceLayer, 2.x) performs, each
 * on a path the kit takes: a conditional PutItem claims a key, UpdateItem completes it,
 * DeleteItem releases it when the work failed (so a retry runs it again), and GetItem
 * reads an existing record when the failed claim did not return it (Powertools' fallback
 * to ReturnValuesOnConditionCheckFailure). test/infra/iam-actions.test.ts keeps this list
 * equal to the commands that layer sends.
 */
export const IDEMPOTENCY_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'] as const;

/**
 * The key prefix of one consumer's idempotency records: Powertools writes `<prefix>#<hash>`
 * and the kit passes the consumer's name as the prefix (lambdas/kit/idempotency.ts).
 */
export function idempotencyKeyPattern(consumerName: string): string {
  return `${consumerName}#*`;
}

/**
 * One table shared by every consumer (the kit namespaces keys per consumer, and IAM
 * holds each consumer to its own namespace): partition key `id` (string), TTL attribute
 * `expiration` so records expire on their own, on-demand capacity, point-in-time
 * recovery, encryption with the AWS managed key, deletion protection, retained with
 * the stack.
 */
export class IdempotencyTable extends Construct {
  /** The table. */
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: IdempotencyTableProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: IDEMPOTENCY_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: IDEMPOTENCY_TTL_ATTRIBUTE,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: true,
      removalPolicy,
      ...(props.tableName !== undefined && { tableName: props.tableName }),
    });
  }

  /** The table's name. */
  get tableName(): string {
    return this.table.tableName;
  }

  /**
   * Lets `grantee` claim, read, complete and release idempotency records
   * ({@link IDEMPOTENCY_ACTIONS}) under `consumerName`'s key prefix only. A consumer
   * that could write another's records could mark that consumer's events done (it would
   * skip them) or delete them (it would apply them again).
   *
   * `ForAllValues` is true of a request that carries no partition key at all, hence the
   * `Null` condition: every granted action names its item's key.
   */
  grantIdempotency(grantee: iam.IGrantable, consumerName: string): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: [...IDEMPOTENCY_ACTIONS],
      resourceArns: [this.table.tableArn],
      conditions: {
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [idempotencyKeyPattern(consumerName)] },
        Null: { 'dynamodb:LeadingKeys': 'false' },
      },
    });
  }
}

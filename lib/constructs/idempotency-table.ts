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
   * What happens to the table when the stack is deleted. Its records only matter while
   * a redelivery can still happen, so nothing is lost by deleting it.
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
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
 * One table shared by every consumer (the kit namespaces keys per consumer): partition
 * key `id` (string), TTL attribute `expiration` so records expire on their own,
 * on-demand capacity, point-in-time recovery and encryption with the AWS managed key.
 */
export class IdempotencyTable extends Construct {
  /** The table. */
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: IdempotencyTableProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: IDEMPOTENCY_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: IDEMPOTENCY_TTL_ATTRIBUTE,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy,
    });
  }

  /** The table's name. */
  get tableName(): string {
    return this.table.tableName;
  }

  /** Lets `grantee` claim, read, complete and release idempotency records ({@link IDEMPOTENCY_ACTIONS}). */
  grantIdempotency(grantee: iam.IGrantable): iam.Grant {
    return this.table.grant(grantee, ...IDEMPOTENCY_ACTIONS);
  }
}

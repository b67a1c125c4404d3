/**
 * The DynamoDB table a consumer with the DynamoDB downstream applies its effects to.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** Properties of a {@link DownstreamTable}. */
export interface DownstreamTableProps {
  /**
   * What happens to the table when the stack is deleted. It holds what the consumer
   * applied (entity state and the effect log), so it is kept.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Partition key: `contact#<userId>` for a state item, `effect#<envelope id>` for an effect-log item. */
export const DOWNSTREAM_PARTITION_KEY = 'pk';
/** Sort key: `state` or `effect`. */
export const DOWNSTREAM_SORT_KEY = 'sk';
/**
 * TTL attribute (epoch seconds): the adapter sets it on every write when the consumer has
 * a retention, so state and effect logs do not outlive what the definition says.
 */
export const DOWNSTREAM_TTL_ATTRIBUTE = 'expiresAt';

/**
 * The item actions the DynamoDB downstream adapter (lambdas/downstream/dynamodb-effects.ts)
 * calls, and no others: it writes an entity's state with a conditional UpdateItem (the
 * ordering guard is its condition, so no read first) and counts applications in the
 * effect log with `UpdateItem ... ADD applications :one`. It never reads, puts or
 * deletes an item; test/infra/iam-actions.test.ts keeps this list equal to the
 * commands the adapter sends.
 */
export const DOWNSTREAM_ACTIONS = ['dynamodb:UpdateItem'] as const;

/**
 * One table per consumer standing in for its real downstream system, so the pipeline
 * works standalone and its effects can be inspected: partition key `pk`, sort key
 * `sk` (both strings), on-demand, point-in-time recovery, AWS managed encryption, deletion protection.
 */
export class DownstreamTable extends Construct {
  /** The table. */
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: DownstreamTableProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: DOWNSTREAM_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      sortKey: { name: DOWNSTREAM_SORT_KEY, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: DOWNSTREAM_TTL_ATTRIBUTE,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: true,
      removalPolicy,
    });
  }

  /** The table's name. */
  get tableName(): string {
    return this.table.tableName;
  }

  /** Lets `grantee` apply effects ({@link DOWNSTREAM_ACTIONS} on this table only). */
  grantApplyEffects(grantee: iam.IGrantable): iam.Grant {
    return this.table.grant(grantee, ...DOWNSTREAM_ACTIONS);
  }

  /** Lets `grantee` read the state and the effect log (an operator, a report). */
  grantReadEffects(grantee: iam.IGrantable): iam.Grant {
    return this.table.grantReadData(grantee);
  }
}

/** DynamoDB tables on the emulator, with TTL and point-in-time recovery. */
import {
  CreateTableCommand,
  DescribeTableCommand,
  UpdateContinuousBackupsCommand,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { bool, errorName, generatedName, str, type Materialized, type Props, type ResourceContext } from './handler';
import type { ResourceStatus } from './resources';

type KeySchema = { AttributeName: string; KeyType: string }[];

function indexes(value: unknown) {
  return (value as Props[] | undefined)?.map((index) => ({
    IndexName: index.IndexName as string,
    KeySchema: index.KeySchema as KeySchema as CreateTableCommandInput['KeySchema'],
    Projection: index.Projection as CreateTableCommandInput['GlobalSecondaryIndexes'] extends (infer I)[] | undefined ? (I extends { Projection?: infer P } ? P : never) : never,
    ...(index.ProvisionedThroughput !== undefined && { ProvisionedThroughput: index.ProvisionedThroughput as { ReadCapacityUnits: number; WriteCapacityUnits: number } }),
  }));
}

/** Creates a table (or reuses one an earlier run made), then its TTL and point-in-time recovery on a new one. */
export async function createTable({ logicalId, props, stackName, clients }: ResourceContext): Promise<Materialized> {
  const notes: string[] = [];
  const name = str(props.TableName) ?? generatedName(stackName, logicalId, 255);
  const sse = props.SSESpecification as { SSEEnabled?: boolean; SSEType?: string; KMSMasterKeyId?: string } | undefined;
  const input: CreateTableCommandInput = {
    TableName: name,
    KeySchema: props.KeySchema as CreateTableCommandInput['KeySchema'],
    AttributeDefinitions: props.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
    BillingMode: (str(props.BillingMode) ?? 'PROVISIONED') as 'PAY_PER_REQUEST' | 'PROVISIONED',
    ...(props.ProvisionedThroughput !== undefined && { ProvisionedThroughput: props.ProvisionedThroughput as { ReadCapacityUnits: number; WriteCapacityUnits: number } }),
    ...(props.GlobalSecondaryIndexes !== undefined && { GlobalSecondaryIndexes: indexes(props.GlobalSecondaryIndexes) }),
    ...(props.LocalSecondaryIndexes !== undefined && { LocalSecondaryIndexes: indexes(props.LocalSecondaryIndexes) }),
    ...(props.StreamSpecification !== undefined && { StreamSpecification: { StreamEnabled: true, ...(props.StreamSpecification as { StreamViewType: 'NEW_IMAGE' }) } }),
    ...(sse?.SSEEnabled && { SSESpecification: { Enabled: true, ...(sse.SSEType && { SSEType: sse.SSEType as 'KMS' }), ...(sse.KMSMasterKeyId && { KMSMasterKeyId: sse.KMSMasterKeyId }) } }),
  };
  let status: ResourceStatus = 'created';
  try {
    await clients.dynamodb.send(new CreateTableCommand(input));
  } catch (error) {
    if (errorName(error) !== 'ResourceInUseException') throw error;
    status = 'reused';
  }
  // Deletion protection guards against deleting the table on AWS; the local world is
  // thrown away with its emulator, so it is not passed on.
  if (bool(props.DeletionProtectionEnabled)) notes.push(`${logicalId}: the emulator ignores table attribute DeletionProtectionEnabled (set in the template, not emulated)`);
  const ttl = props.TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined;
  if (ttl?.Enabled && ttl.AttributeName && status === 'created') {
    await clients.dynamodb.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true } }));
  }
  const pitr = props.PointInTimeRecoverySpecification as { PointInTimeRecoveryEnabled?: boolean } | undefined;
  if (pitr?.PointInTimeRecoveryEnabled && status === 'created') {
    try {
      await clients.dynamodb.send(new UpdateContinuousBackupsCommand({ TableName: name, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }));
    } catch (error) {
      notes.push(`${logicalId}: the emulator does not support point-in-time recovery (${(error as Error).message})`);
    }
  }
  const { Table } = await clients.dynamodb.send(new DescribeTableCommand({ TableName: name }));
  return {
    resource: {
      logicalId,
      type: 'AWS::DynamoDB::Table',
      ref: name,
      attributes: { Arn: Table!.TableArn!, ...(Table!.LatestStreamArn && { StreamArn: Table!.LatestStreamArn }) },
      status,
    },
    notes,
  };
}

/**
 * SDK client configuration for integration tests: the emulator's endpoint, a fixed
 * region and dummy credentials (moto accepts any).
 */
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';

/** Region every integration test uses. */
export const TEST_REGION = 'us-east-1';

/** Config for any AWS SDK v3 client, pointed at the test emulator. */
export function emulatorClientConfig(endpoint: string = inject('emulatorEndpoint')) {
  return {
    endpoint,
    region: TEST_REGION,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 3,
  };
}

/** A name no other test in this run will use. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Creates an on-demand table keyed `pk` (partition, a string) alone. */
export async function createPkTable(dynamodb: DynamoDBClient, tableName: string): Promise<void> {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
}

/** Creates an on-demand table keyed `pk` (partition) and `sk` (sort), both strings: the downstream tables' shape. */
export async function createPkSkTable(dynamodb: DynamoDBClient, tableName: string): Promise<void> {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );
}

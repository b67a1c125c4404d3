/**
 * An on-demand table keyed as the stack keys its tables (string keys: partition, then
 * sort), created and waited for. Shared by the kit's integration harness and the
 * first-call bench, which both stand up a consumer's world without the stack.
 */
import { CreateTableCommand, waitUntilTableExists, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** Creates the table `name` with string `keys` (partition key first) and waits until it exists. */
export async function createTable(dynamodb: DynamoDBClient, name: string, keys: readonly string[]): Promise<void> {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: keys.map((key) => ({ AttributeName: key, AttributeType: 'S' })),
      KeySchema: keys.map((key, index) => ({ AttributeName: key, KeyType: index === 0 ? 'HASH' : 'RANGE' })),
    }),
  );
  await waitUntilTableExists({ client: dynamodb, maxWaitTime: 30 }, { TableName: name });
}

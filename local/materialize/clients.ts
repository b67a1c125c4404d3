/** The AWS SDK clients of the materializer, all pointed at the emulator. */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GlueClient } from '@aws-sdk/client-glue';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SDK_TIMEOUTS, withSdkTimeouts } from '../../contracts/sdk-client-config';

/** The AWS SDK clients the materializer uses, all pointed at the emulator. */
export interface EmulatorClients {
  readonly sns: SNSClient;
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
  readonly glue: GlueClient;
  readonly cloudwatch: CloudWatchClient;
}

/** SDK client settings for the emulator: its endpoint, a region and dummy credentials. */
export function emulatorClientSettings(endpoint: string, region: string) {
  return { endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 3 };
}

/**
 * Creates every client the materializer needs. Call {@link destroyClients} when done.
 * @param dynamodbEndpoint where DynamoDB is served, when not at `endpoint` (an emulator
 *   with a DynamoDB process of its own)
 */
export function createEmulatorClients(endpoint: string, region: string, dynamodbEndpoint = endpoint): EmulatorClients {
  // The long timeouts of the local world: the poller's long polls, a loaded emulator.
  const settings = withSdkTimeouts(emulatorClientSettings(endpoint, region), SDK_TIMEOUTS.local);
  return {
    sns: new SNSClient(settings),
    sqs: new SQSClient(settings),
    dynamodb: new DynamoDBClient(withSdkTimeouts(emulatorClientSettings(dynamodbEndpoint, region), SDK_TIMEOUTS.local)),
    glue: new GlueClient(settings),
    cloudwatch: new CloudWatchClient(settings),
  };
}

/** Closes the clients' connections. */
export function destroyClients(clients: EmulatorClients): void {
  for (const client of Object.values(clients)) (client as { destroy(): void }).destroy();
}

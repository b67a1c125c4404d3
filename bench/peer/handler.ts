/**
 * The bench's peer of crm-sync: the same job (user.signed-up and user.profile-updated
 * into a CRM contact held in DynamoDB) written the way a careful engineer would write it
 * with Powertools and without Fanout. The cold-start and first-call benches bundle it
 * with the consumers' own esbuild options and compare Fanout with it, so it is held to
 * the same duties, done the plain way:
 *
 * - Powertools batch (processPartialResponse, standard queue) for ReportBatchItemFailures,
 *   with its default of processing a batch's records concurrently;
 * - Powertools idempotency (makeIdempotent, DynamoDBPersistenceLayer), keyed on the
 *   envelope `id` (JMESPath), with the key prefixed by the consumer's name;
 * - Powertools Logger, Tracer (every client captured) and Metrics (EMF);
 * - the contract's JSON Schemas bundled and compiled with ajv at import, as a plain
 *   consumer does; a version it was not built with is fetched once from the Glue registry;
 * - a schema-invalid event goes straight to the DLQ (SQS SendMessage), not through
 *   maxReceiveCount retries;
 * - the contact written with one UpdateItem, guarded by the profile's `revision` so an
 *   older change never overwrites a newer one.
 *
 * It imports nothing of Fanout (only the contract data in schemas/), so its bundle and
 * import time are what the plain way costs. Its environment names are its own:
 * CONTACTS_TABLE_NAME, IDEMPOTENCY_TABLE_NAME, DLQ_URL, SCHEMA_REGISTRY_NAME.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { ConditionalCheckFailedException, DynamoDBClient, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetSchemaVersionCommand, GlueClient } from '@aws-sdk/client-glue';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import signedUpV1 from '../../schemas/user.signed-up/v1.json';
import signedUpV2 from '../../schemas/user.signed-up/v2.json';
import profileUpdatedV1 from '../../schemas/user.profile-updated/v1.json';

const SERVICE = 'crm-sync';
const logger = new Logger({ serviceName: SERVICE });
const tracer = new Tracer({ serviceName: SERVICE });
const metrics = new Metrics({ serviceName: SERVICE, namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'crm' });
const dynamodb = tracer.captureAWSv3Client(new DynamoDBClient({}));
const sqs = tracer.captureAWSv3Client(new SQSClient({}));
const glue = tracer.captureAWSv3Client(new GlueClient({}));

const contactsTable = process.env.CONTACTS_TABLE_NAME!;
const dlqUrl = process.env.DLQ_URL!;
const registryName = process.env.SCHEMA_REGISTRY_NAME!;

// ajv-formats is CommonJS: under ESM its default export may arrive wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;
// strict off: the contracts carry annotations (examples) ajv need not know.
const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));
/** Validators by `dataschema` URI, compiled at import for the versions this code was built with. */
const validators = new Map<string, ValidateFunction>(
  [signedUpV1, signedUpV2, profileUpdatedV1].map((schema) => [schema.$id, ajv.compile(schema)]),
);

/** The validator of a contract version, fetched from the registry when this build does not carry it. */
async function validatorFor(dataschema: string): Promise<ValidateFunction> {
  const known = validators.get(dataschema);
  if (known) return known;
  const match = /^urn:fanout:contract:(.+):v([0-9]+)$/.exec(dataschema);
  if (!match) throw new InvalidEventError(`unknown dataschema ${dataschema}`);
  const { SchemaDefinition } = await glue.send(
    new GetSchemaVersionCommand({ SchemaId: { RegistryName: registryName, SchemaName: match[1] }, SchemaVersionNumber: { VersionNumber: Number(match[2]) } }),
  );
  const validate = ajv.compile(JSON.parse(SchemaDefinition!) as object);
  validators.set(dataschema, validate);
  return validate;
}

/** An event that can never succeed: it goes to the DLQ instead of being retried. */
class InvalidEventError extends Error {
  override readonly name = 'InvalidEventError';
}

interface Envelope {
  readonly id: string;
  readonly type: string;
  readonly dataschema: string;
  readonly correlationid?: string;
  readonly data: Record<string, unknown>;
}

const s = (value: unknown): AttributeValue => ({ S: String(value) });

/** Writes the contact; an older profile change than the stored one is skipped. */
async function writeContact(event: Envelope): Promise<'applied' | 'stale'> {
  const { data } = event;
  const key = { pk: s(`contact#${String(data.userId)}`), sk: s('state') };
  try {
    if (event.type === 'user.signed-up') {
      // A sign-up may arrive after the user's first profile change: it only fills what is missing.
      await dynamodb.send(
        new UpdateItemCommand({
          TableName: contactsTable,
          Key: key,
          UpdateExpression:
            'SET userId = :userId, email = if_not_exists(email, :email), #name = if_not_exists(#name, :name), #plan = :plan, signedUpAt = :signedUpAt, lastEventId = :id',
          ExpressionAttributeNames: { '#name': 'name', '#plan': 'plan' },
          ExpressionAttributeValues: { ':userId': s(data.userId), ':email': s(data.email), ':name': s(data.name), ':plan': s(data.plan), ':signedUpAt': s(data.signedUpAt), ':id': s(event.id) },
        }),
      );
    } else {
      // email and name are optional in a profile change: only what it carries is set.
      const fields = (['email', 'name'] as const).filter((field) => data[field] !== undefined);
      await dynamodb.send(
        new UpdateItemCommand({
          TableName: contactsTable,
          Key: key,
          UpdateExpression: `SET ${['userId = :userId', 'profileUpdatedAt = :updatedAt', 'revision = :revision', 'lastEventId = :id', ...fields.map((f) => `#${f} = :${f}`)].join(', ')}`,
          ConditionExpression: 'attribute_not_exists(revision) OR revision < :revision OR lastEventId = :id',
          ...(fields.length > 0 && { ExpressionAttributeNames: Object.fromEntries(fields.map((f) => [`#${f}`, f])) }),
          ExpressionAttributeValues: {
            ':userId': s(data.userId),
            ':updatedAt': s(data.updatedAt),
            ':revision': { N: String(data.revision) },
            ':id': s(event.id),
            ...Object.fromEntries(fields.map((f) => [`:${f}`, s(data[f])])),
          },
        }),
      );
    }
    return 'applied';
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return 'stale';
    throw error;
  }
}

const idempotencyConfig = new IdempotencyConfig({ eventKeyJmesPath: 'id', expiresAfterSeconds: 15 * 24 * 3600 });
const writeContactOnce = makeIdempotent(writeContact, {
  persistenceStore: new DynamoDBPersistenceLayer({ tableName: process.env.IDEMPOTENCY_TABLE_NAME!, awsSdkV3Client: dynamodb }),
  config: idempotencyConfig,
  keyPrefix: SERVICE,
});

async function recordHandler(record: SQSRecord): Promise<void> {
  let event: Envelope;
  try {
    event = JSON.parse(record.body) as Envelope;
    if (event.type !== 'user.signed-up' && event.type !== 'user.profile-updated') throw new InvalidEventError(`unhandled event type ${event.type}`);
    const validate = await validatorFor(event.dataschema);
    if (!validate(event.data)) throw new InvalidEventError(`contract violation: ${ajv.errorsText(validate.errors)}`);
  } catch (error) {
    if (!(error instanceof InvalidEventError || error instanceof SyntaxError)) throw error;
    logger.error('invalid event: sent to the DLQ', { messageId: record.messageId, error });
    await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: record.body, MessageAttributes: { reason: { DataType: 'String', StringValue: error.message.slice(0, 256) } } }));
    metrics.addMetric('invalid', MetricUnit.Count, 1);
    return;
  }
  const outcome = await writeContactOnce(event);
  metrics.addMetric(outcome, MetricUnit.Count, 1);
  // Keys on the line, not appended to the logger: the batch processor runs records concurrently.
  logger.info('event processed', { outcome, correlation_id: event.correlationid, event_id: event.id, message_id: record.messageId });
}

const processor = new BatchProcessor(EventType.SQS);

/** The SQS batch handler (ReportBatchItemFailures). */
export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  logger.addContext(context);
  idempotencyConfig.registerLambdaContext(context);
  try {
    return await processPartialResponse(event, recordHandler, processor, { context });
  } finally {
    metrics.publishStoredMetrics();
  }
};

/** Which handler creates which CloudFormation resource type locally, and which types are skipped. */
import { putAlarm, putDashboard } from './cloudwatch';
import { createTable } from './dynamodb';
import { createRegistry, createSchema, registerSchemaVersion } from './glue';
import type { ResourceHandler } from './handler';
import { localKey } from './kms';
import { localFunction, localMapping } from './lambda';
import { createSubscription, createTopic } from './sns';
import { createQueue } from './sqs';

/**
 * Resource types with no effect on the emulator: not created; their Ref/GetAtt resolve
 * to placeholders so what names them still resolves.
 */
export const SKIPPED_TYPES: ReadonlySet<string> = new Set([
  'AWS::CDK::Metadata',
  'AWS::IAM::Role',
  'AWS::IAM::Policy',
  'AWS::IAM::ManagedPolicy',
  'AWS::SQS::QueuePolicy',
  'AWS::SNS::TopicPolicy',
  'AWS::KMS::Alias',
  'AWS::Logs::LogGroup',
  'AWS::XRay::ResourcePolicy',
  'AWS::Lambda::Permission',
]);

/** The handler of each resource type the local world creates or runs. A type in neither this nor {@link SKIPPED_TYPES} is skipped with a note. */
export const RESOURCE_HANDLERS: Readonly<Record<string, ResourceHandler>> = {
  'AWS::KMS::Key': localKey,
  'AWS::SNS::Topic': createTopic,
  'AWS::SQS::Queue': createQueue,
  'AWS::SNS::Subscription': createSubscription,
  'AWS::DynamoDB::Table': createTable,
  'AWS::Glue::Registry': createRegistry,
  'AWS::Glue::Schema': createSchema,
  'AWS::Glue::SchemaVersion': registerSchemaVersion,
  'AWS::CloudWatch::Alarm': putAlarm,
  'AWS::CloudWatch::Dashboard': putDashboard,
  'AWS::Lambda::Function': localFunction,
  'AWS::Lambda::EventSourceMapping': localMapping,
};

/** The handler for a resource type, or undefined when the local world has none. */
export function handlerFor(type: string): ResourceHandler | undefined {
  return Object.hasOwn(RESOURCE_HANDLERS, type) ? RESOURCE_HANDLERS[type] : undefined;
}

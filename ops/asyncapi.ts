/**
 * asyncapi.json, generated: the pipeline's wire contract as an AsyncAPI 3.0 document, so
 * producers can generate their own clients (any language) and check what they send.
 *
 * One channel per SNS topic (SNS channel binding: name, standard or FIFO), one `send`
 * operation per topic (what a producer does; its SNS operation binding lists the
 * topic's SQS subscriptions with their filter policies), and one message per event type
 * and contract version: the CloudEvents 1.0 structured-mode envelope with the contract's
 * JSON Schema embedded as `data`, and the SNS message attributes as headers.
 *
 * The document describes the producer's side only: a code generator run on it makes a
 * publisher, not the pipeline's own consumers. Who receives what is in the send
 * operations' SNS bindings (`consumers`), the place the binding gives subscriptions.
 *
 * Pure and deterministic (no dates, definition order), so a test can regenerate the
 * file and fail when the committed one is stale.
 */
import { deterministicEventId, FANOUT_EVENT_ID_NAMESPACE } from '../client/event-id';
import { SNS_MAX_MESSAGE_BYTES } from '../client/batching';
import { dataSchemaUri, MessageAttribute, REQUIRED_ENVELOPE_FIELDS, SPEC_VERSION } from '../contracts/envelope';
import { FanoutError } from '../contracts/errors';
import type { ContractVersion } from '../contracts/schema-files';
import { type ResolvedConsumer, type ResolvedEventType, type ResolvedPipeline, type ResolvedTopic } from '../model/pipeline-definition';
import { OutputKey, pascal } from '../model/stack-outputs';
import type { ConsumerQueueNames } from '../model/resource-names';

/** The committed document's file name, at the project root. */
export const ASYNCAPI_FILE = 'asyncapi.json';

/** The AsyncAPI version the document is written in. */
export const ASYNCAPI_VERSION = '3.0.0';

/** The version of the SNS bindings AsyncAPI 3.0.0 accepts (its schema allows no other). */
export const SNS_BINDING_VERSION = '0.1.0';

/** The content type of a CloudEvent in structured JSON mode. */
export const CLOUDEVENTS_JSON = 'application/cloudevents+json';

/**
 * W3C traceparent version 00, as a pattern every regex engine reads (no lookahead, which
 * RE2-based generators such as Go's refuse); the all-zero ids it lets through are dropped
 * by consumers (contracts/envelope.ts, isTraceparent), not refused.
 */
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** SNS FIFO's message group and deduplication ids: 1 to 128 letters, digits and punctuation. */
const FIFO_ID = { maxLength: 128, pattern: '^[!-~]+$' } as const;

/** A contract cannot be put into the document (a JSON Schema dialect AsyncAPI cannot name). */
export class AsyncApiError extends FanoutError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AsyncApiError';
  }
}

/** What the document is made from. */
export interface AsyncApiInput {
  readonly pipeline: ResolvedPipeline;
  /** info.version: the project's version (package.json), so the document changes only with it and the definition. */
  readonly version: string;
  /** Deployed queue names of a consumer (as lib/constructs/consumer.ts names them). */
  readonly queueNames: (consumer: ResolvedConsumer) => ConsumerQueueNames;
}

type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json | undefined };
type JsonObject = { [key: string]: Json | undefined };

/**
 * The `schemaFormat` of a contract, from its `$schema`: draft-07 (the default, and what
 * every AsyncAPI tool must support) or a later JSON Schema dialect, named the same way.
 * @throws AsyncApiError for a dialect the envelope cannot be written in (before draft-06 there is no `const`)
 */
export function schemaFormatOf(schema: Record<string, unknown>, where: string): { schemaFormat: string; metaSchema: string } {
  const uri = schema.$schema;
  if (uri === undefined || (typeof uri === 'string' && /^https?:\/\/json-schema\.org\/draft-07\/schema#?$/.test(uri))) {
    return { schemaFormat: 'application/schema+json;version=draft-07', metaSchema: 'http://json-schema.org/draft-07/schema#' };
  }
  const modern = typeof uri === 'string' ? /^https?:\/\/json-schema\.org\/draft\/(2019-09|2020-12)\/schema#?$/.exec(uri) : null;
  if (modern) return { schemaFormat: `application/schema+json;version=${modern[1]}`, metaSchema: uri as string };
  throw new AsyncApiError(`${where}: "$schema" ${JSON.stringify(uri)} is not draft-07, 2019-09 or 2020-12 JSON Schema`);
}

/** The deployed name of a topic (lib/fanout-stack.ts and lib/constructs/event-topic.ts: `<pipeline>-<topic>`, `.fifo` on FIFO). */
export function topicPhysicalName(pipeline: ResolvedPipeline, topic: ResolvedTopic): string {
  return `${pipeline.name}-${topic.name}${topic.fifo ? '.fifo' : ''}`;
}

/** The key of a message in components.messages and in its channel, e.g. `user.signed-up.v2`. */
export function messageKey(eventType: string, version: number): string {
  return `${eventType}.v${version}`;
}

/** The key of a topic's send operation, e.g. `publishUserEvents`. */
export function operationKey(topic: string): string {
  return `publish${pascal(topic)}`;
}

/** The headers: the SNS message attributes a producer sets (all of DataType String). */
function headersSchema(eventType: string, version: number): JsonObject {
  return {
    type: 'object',
    description:
      'SNS message attributes (MessageAttributes), each of DataType String. With raw message delivery SQS subscribers get them as SQS message attributes.',
    required: [MessageAttribute.Type],
    properties: {
      [MessageAttribute.Type]: {
        type: 'string',
        const: eventType,
        description:
          'Required for delivery: the event type, equal to the envelope\'s `type`. Subscriptions filter on it by default; a message without it is filtered out of every such subscription (counted in the NumberOfNotificationsFilteredOut-NoMessageAttributes metric, which is alarmed).',
        'x-fanout-sns-data-type': 'String',
      },
      [MessageAttribute.CorrelationId]: {
        type: 'string',
        minLength: 1,
        description: 'Optional: the envelope\'s `correlationid` (the event id when absent), so logs can be searched before the body is parsed.',
        'x-fanout-sns-data-type': 'String',
      },
      [MessageAttribute.SchemaVersion]: {
        type: 'string',
        const: String(version),
        description: `Optional: the contract version \`data\` was written against, as a decimal string; it must agree with \`dataschema\` (${dataSchemaUri(eventType, version)}).`,
        'x-fanout-sns-data-type': 'String',
      },
    },
  };
}

/** The payload: the CloudEvents structured envelope with the contract as `data`. */
function envelopeSchema(eventType: ResolvedEventType, contract: ContractVersion, fifo: boolean, metaSchema: string): JsonObject {
  const type = eventType.name;
  const fifoId = fifo ? FIFO_ID : {};
  return {
    $schema: metaSchema,
    title: `${pascal(type)}V${contract.version}Event`,
    description: `A ${type} event, contract version ${contract.version}, as a CloudEvents ${SPEC_VERSION} envelope in structured JSON mode: the message body.`,
    type: 'object',
    required: ['specversion', ...REQUIRED_ENVELOPE_FIELDS, 'data'],
    properties: {
      specversion: { type: 'string', const: SPEC_VERSION, description: 'The CloudEvents version.' },
      id: {
        type: 'string',
        minLength: 1,
        ...fifoId,
        description: `Assigned by the producer, unique per event: the consumers' idempotency key${fifo ? ' and the FIFO MessageDeduplicationId' : ''}. Derive it from a business key naming this occurrence, so a retry after any failure is a duplicate and not a second event: uuid5(${FANOUT_EVENT_ID_NAMESPACE}, "<type>:<business key>"), lower-case (client/event-id.ts, deterministicEventId).`,
      },
      source: { type: 'string', format: 'uri-reference', minLength: 1, description: 'Who produced it, a URI reference, e.g. urn:fanout:web-app.' },
      type: { type: 'string', const: type, description: 'The event type; the `type` message attribute carries it too.' },
      time: {
        type: 'string',
        format: 'date-time',
        description: 'When it happened, RFC 3339. Required by Fanout (CloudEvents makes it optional): end-to-end latency is measured from it.',
      },
      subject: {
        type: 'string',
        minLength: 1,
        ...fifoId,
        description: fifo
          ? 'The entity the event is about (e.g. the account id): the FIFO MessageGroupId, so one entity\'s events are delivered in order.'
          : 'The entity the event is about (e.g. the user id).',
      },
      dataschema: {
        type: 'string',
        const: dataSchemaUri(type, contract.version),
        description: 'Names the contract version `data` was written against; Fanout requires it and validates `data` against that version.',
      },
      datacontenttype: {
        type: 'string',
        description: 'The content type of `data`: application/json, which is also what the CloudEvents JSON format means when it is absent. Fanout does not read it.',
      },
      correlationid: {
        type: 'string',
        minLength: 1,
        description: 'Optional CloudEvents extension: one id carried through every log line and trace downstream. Defaults to the event id when absent.',
      },
      traceparent: {
        type: 'string',
        pattern: TRACEPARENT.source,
        description: 'Optional CloudEvents distributed-tracing extension: the W3C trace context of the publish.',
      },
      // The contract, as registered (schemas/<contract>/v<N>.json).
      data: contract.schema as JsonObject,
    },
  };
}

/** The data's example, with an envelope around it: deterministic ids and time, derived from the data. */
function exampleOf(eventType: ResolvedEventType, contract: ContractVersion, data: Json, index: number): JsonObject {
  const record = (typeof data === 'object' && data !== null && !Array.isArray(data) ? data : {}) as Record<string, Json>;
  const properties = (contract.schema.properties ?? {}) as Record<string, { format?: unknown }>;
  // An illustration only: the first `...Id` string is taken as the entity, the first date-time as when it happened.
  const subject = Object.entries(record).find(([key, value]) => /Id$/.test(key) && typeof value === 'string')?.[1] ?? 'entity-1';
  const time = Object.entries(record).find(([key, value]) => properties[key]?.format === 'date-time' && typeof value === 'string')?.[1] ?? '2026-11-28T09:30:00Z';
  const id = deterministicEventId(eventType.name, `${String(subject)}/example-${index + 1}`);
  return {
    name: `${messageKey(eventType.name, contract.version)}-example-${index + 1}`,
    summary: `From the contract's examples; id derived from the business key "${String(subject)}/example-${index + 1}".`,
    headers: {
      [MessageAttribute.Type]: eventType.name,
      [MessageAttribute.CorrelationId]: id,
      [MessageAttribute.SchemaVersion]: String(contract.version),
    },
    payload: {
      specversion: SPEC_VERSION,
      id,
      source: 'urn:fanout:example-producer',
      type: eventType.name,
      time,
      subject,
      dataschema: dataSchemaUri(eventType.name, contract.version),
      datacontenttype: 'application/json',
      correlationid: id,
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      data,
    },
  };
}

function message(eventType: ResolvedEventType, contract: ContractVersion, fifo: boolean): JsonObject {
  const where = `schemas/${eventType.contract}/v${contract.version}.json`;
  const { schemaFormat, metaSchema } = schemaFormatOf(contract.schema, where);
  const latest = eventType.versions[eventType.versions.length - 1]!.version;
  const examples = Array.isArray(contract.schema.examples) ? (contract.schema.examples as Json[]) : [];
  const description = typeof contract.schema.description === 'string' ? contract.schema.description : undefined;
  return {
    name: messageKey(eventType.name, contract.version),
    title: `${eventType.name} v${contract.version}`,
    summary: description ?? `A ${eventType.name} event.`,
    description: [
      `Contract version ${contract.version} of ${latest}${contract.version === latest ? ' (the newest)' : ''}.`,
      `Published to topic \`${eventType.topic}\`. \`data\` is ${where}; \`dataschema\` is \`${dataSchemaUri(eventType.name, contract.version)}\`.`,
      `New versions must be ${eventType.compatibility} compatible with earlier ones.`,
      `At most ${SNS_MAX_MESSAGE_BYTES} bytes (256 KiB), body and message attributes together.`,
    ].join(' '),
    contentType: CLOUDEVENTS_JSON,
    headers: headersSchema(eventType.name, contract.version),
    payload: { schemaFormat, schema: envelopeSchema(eventType, contract, fifo, metaSchema) },
    correlationId: {
      description: 'The envelope\'s correlationid (the event id when absent).',
      location: '$message.payload#/correlationid',
    },
    ...(examples.length > 0 && { examples: examples.map((data, i) => exampleOf(eventType, contract, data, i)) }),
    'x-fanout-event-type': eventType.name,
    'x-fanout-contract-version': contract.version,
  };
}

/** Whether a filter policy fits the SNS binding's `filterPolicy` (values: strings, string arrays or objects). */
function fitsFilterPolicyBinding(policy: Record<string, unknown>): boolean {
  return Object.values(policy).every(
    (value) =>
      typeof value === 'string' ||
      (Array.isArray(value) ? value.every((item) => typeof item === 'string') : typeof value === 'object' && value !== null),
  );
}

/** A subscription of the topic, as the SNS operation binding describes it. */
function subscription(consumer: ResolvedConsumer, names: ConsumerQueueNames): JsonObject {
  const policy = consumer.filter.policy as JsonObject;
  return {
    protocol: 'sqs',
    endpoint: { name: names.queue },
    ...(fitsFilterPolicyBinding(consumer.filter.policy) ? { filterPolicy: policy } : { 'x-fanout-filter-policy': policy }),
    filterPolicyScope: consumer.filter.scope,
    rawMessageDelivery: true,
    redrivePolicy: { deadLetterQueue: { name: names.subscriptionDeadLetterQueue } },
    'x-fanout-consumer': consumer.name,
    'x-fanout-event-types': [...consumer.eventTypes],
  };
}

function infoDescription(pipeline: ResolvedPipeline): string {
  return [
    `The wire contract of the Fanout pipeline \`${pipeline.name}\`: what a producer publishes to its SNS topics. Generated by \`npx fanout asyncapi\` from the pipeline definition and the contracts in schemas/; do not edit by hand (\`npx fanout asyncapi --check\` and the unit tests fail when this file is stale).`,
    '',
    `- **Body**: a CloudEvents ${SPEC_VERSION} event in structured JSON mode (${CLOUDEVENTS_JSON}). Fanout requires \`time\` (latency is measured from it), \`subject\` and \`dataschema\` (\`urn:fanout:contract:<type>:v<N>\`, the contract version \`data\` is validated against) beyond what CloudEvents requires; \`correlationid\` and \`traceparent\` are optional extensions.`,
    '- **Event id**: assigned by the producer and the consumers\' idempotency key. Derive it from a business key naming the occurrence, so publishing again after a timeout or a crash is a duplicate, never a second event.',
    `- **Message attributes** (headers, DataType String): \`${MessageAttribute.Type}\` is required (subscriptions filter on it by default; SNS drops a message without it from every subscription that does, and counts it in NumberOfNotificationsFilteredOut-NoMessageAttributes, which pages), \`${MessageAttribute.CorrelationId}\` and \`${MessageAttribute.SchemaVersion}\` are optional.`,
    '- **FIFO topics**: MessageGroupId = `subject` (ordered per entity), MessageDeduplicationId = `id`.',
    `- **Size**: at most ${SNS_MAX_MESSAGE_BYTES} bytes (256 KiB) per message, body and attributes together.`,
    `- **Topic ARNs**: each channel's address, with the region and account of the deployment; the stack \`${pipeline.name}\` outputs the exact ARN (the channel's \`x-fanout-topic-arn-output\`). Only the principals in \`x-fanout-publishers\` may publish, when the topic lists them.`,
    '',
    'The TypeScript publisher in client/publisher.ts does all of this; this document is for producers in other languages or with other tooling.',
  ].join('\n');
}

/**
 * The AsyncAPI 3.0 document of a pipeline, as a plain object (keys in a stable order).
 * @throws AsyncApiError when a contract's `$schema` names a dialect AsyncAPI cannot carry
 */
export function buildAsyncApi(input: AsyncApiInput): JsonObject {
  const { pipeline } = input;
  const channels: JsonObject = {};
  const operations: JsonObject = {};
  const messages: JsonObject = {};
  for (const topic of pipeline.topics) {
    const name = topicPhysicalName(pipeline, topic);
    const eventTypes = pipeline.eventTypes.filter((e) => e.topic === topic.name);
    const consumers = pipeline.consumers.filter((c) => c.topic === topic.name);
    const channelMessages: JsonObject = {};
    for (const eventType of eventTypes) {
      for (const contract of eventType.versions) {
        const key = messageKey(eventType.name, contract.version);
        messages[key] = message(eventType, contract, topic.fifo);
        channelMessages[key] = { $ref: `#/components/messages/${key}` };
      }
    }
    channels[topic.name] = {
      address: `arn:aws:sns:{region}:{accountId}:${name}`,
      title: topic.name,
      summary: `${topic.fifo ? 'FIFO' : 'Standard'} SNS topic ${name}: ${eventTypes.map((e) => e.name).join(', ') || 'no event types'}.`,
      description: [
        topic.fifo
          ? `A FIFO topic: events of one subject are delivered in order (MessageGroupId = subject) and a publish repeated within SNS's 5-minute window with the same id is dropped (MessageDeduplicationId = id).${topic.archiveRetentionDays !== undefined ? ` SNS archives its messages for ${topic.archiveRetentionDays} days for replay.` : ''}`
          : 'A standard topic: no order between events; consumers are idempotent on the event id.',
        `Subscribed by ${consumers.map((c) => `\`${c.name}\``).join(', ') || 'no consumer'}.`,
      ].join(' '),
      messages: channelMessages,
      parameters: {
        region: { description: 'The AWS region the stack is deployed in.', examples: ['us-east-1'] },
        accountId: { description: 'The AWS account the stack is deployed in.', examples: ['123456789012'] },
      },
      bindings: {
        sns: {
          name,
          ordering: { type: topic.fifo ? 'FIFO' : 'standard', ...(topic.fifo && { contentBasedDeduplication: true }) },
          bindingVersion: SNS_BINDING_VERSION,
        },
      },
      'x-fanout-topic-arn-output': OutputKey.topicArn(topic.name),
      'x-fanout-max-message-bytes': SNS_MAX_MESSAGE_BYTES,
      ...(topic.publishers && { 'x-fanout-publishers': topic.publishers.producers.map((p) => p.principal) }),
    };
    operations[operationKey(topic.name)] = {
      action: 'send',
      channel: { $ref: `#/channels/${topic.name}` },
      title: `Publish to ${topic.name}`,
      summary: `Publish an event to ${name} (SNS Publish or PublishBatch).`,
      description: [
        'Body: the envelope, JSON. MessageAttributes: the headers, each of DataType String; `type` is required.',
        topic.fifo ? 'FIFO: MessageGroupId = the envelope\'s `subject`, MessageDeduplicationId = its `id`.' : '',
        `At most ${SNS_MAX_MESSAGE_BYTES} bytes a message, body and attributes together (and a PublishBatch request of at most 10 messages and ${SNS_MAX_MESSAGE_BYTES} bytes in all).`,
      ]
        .filter(Boolean)
        .join(' '),
      messages: Object.keys(channelMessages).map((key) => ({ $ref: `#/channels/${topic.name}/messages/${key}` })),
      ...(consumers.length > 0 && {
        bindings: {
          sns: {
            topic: { name },
            consumers: consumers.map((c) => subscription(c, input.queueNames(c))),
            bindingVersion: SNS_BINDING_VERSION,
          },
        },
      }),
      'x-fanout-sns-publish': {
        Message: '$message.payload',
        MessageAttributes: '$message.header',
        ...(topic.fifo && { MessageGroupId: '$message.payload#/subject', MessageDeduplicationId: '$message.payload#/id' }),
      },
    };
  }
  return {
    asyncapi: ASYNCAPI_VERSION,
    id: `urn:fanout:pipeline:${pipeline.name}`,
    info: {
      title: pipeline.name,
      version: input.version,
      description: infoDescription(pipeline),
    },
    defaultContentType: CLOUDEVENTS_JSON,
    servers: {
      sns: {
        host: 'sns.{region}.amazonaws.com',
        protocol: 'sns',
        title: 'Amazon SNS',
        description: `The SNS endpoint of the region the stack \`${pipeline.name}\` is deployed in. Requests are signed with AWS Signature Version 4 by a principal allowed to publish to the topic.`,
        variables: { region: { description: 'The AWS region the stack is deployed in.', examples: ['us-east-1'] } },
      },
    },
    channels,
    operations,
    components: { messages },
  };
}

/** The committed document's text: the object as JSON, two-space indented, with a final newline. */
export function renderAsyncApi(input: AsyncApiInput): string {
  return `${JSON.stringify(buildAsyncApi(input), null, 2)}\n`;
}

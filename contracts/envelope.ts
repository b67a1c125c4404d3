/**
 * The CloudEvents 1.0 envelope (structured JSON mode) every Fanout event travels in,
 * and the SNS message attributes that mirror the fields filters and routing need.
 *
 * The envelope `id` is assigned by the producer and is the idempotency key: never the
 * SQS messageId (different per queue, new on redrive) nor the SNS MessageId (new on a
 * producer retry).
 */
import { InvalidEnvelopeError } from './errors';

/** CloudEvents spec version Fanout writes and accepts. */
export const SPEC_VERSION = '1.0';

/** Names of the SNS/SQS message attributes Fanout sets on every event. */
export const MessageAttribute = {
  /** The event type, e.g. `user.signed-up`: attribute filter policies select on it. */
  Type: 'type',
  /** One id carried from the producer through every log line and trace. */
  CorrelationId: 'correlationid',
  /** The contract version `data` was written against, as a decimal string. */
  SchemaVersion: 'schemaversion',
} as const;

/** A Fanout event in CloudEvents 1.0 structured mode. */
export interface CloudEvent<TData = unknown> {
  readonly specversion: typeof SPEC_VERSION;
  /** Producer-assigned, unique per event; the idempotency key. */
  readonly id: string;
  /** Who produced it, a URI reference, e.g. `urn:fanout:web-app`. */
  readonly source: string;
  /** The event type, e.g. `user.signed-up`. */
  readonly type: string;
  /** When it happened (RFC 3339); end-to-end latency is measured from it. */
  readonly time: string;
  /** The entity the event is about, e.g. the user id; the FIFO message group. */
  readonly subject: string;
  /** Names the contract and its version, see {@link dataSchemaUri}. */
  readonly dataschema: string;
  readonly datacontenttype: 'application/json';
  /**
   * Correlation id (a CloudEvents extension attribute: lower-case letters only). Optional
   * on the wire: a plain CloudEvent without it is read with its `id` here (see
   * {@link parseEnvelope}), so every log line and trace still carries one.
   */
  readonly correlationid: string;
  /**
   * W3C Trace Context `traceparent` of the producer's span (the CloudEvents
   * distributed-tracing extension): consumers log it and link their trace to it.
   */
  readonly traceparent?: string;
  readonly data: TData;
}

const DATASCHEMA_PREFIX = 'urn:fanout:contract:';

/** The `dataschema` URI naming a contract version, e.g. `urn:fanout:contract:user.signed-up:v2`. */
export function dataSchemaUri(eventType: string, version: number): string {
  return `${DATASCHEMA_PREFIX}${eventType}:v${version}`;
}

/** Splits a `dataschema` URI into its event type and version. */
export function parseDataSchemaUri(uri: string): { eventType: string; version: number } {
  const match = uri.startsWith(DATASCHEMA_PREFIX) ? /^(.+):v([1-9][0-9]*)$/.exec(uri.slice(DATASCHEMA_PREFIX.length)) : null;
  if (!match) {
    throw new InvalidEnvelopeError(`dataschema "${uri}" is not of the form ${DATASCHEMA_PREFIX}<event-type>:v<version>`);
  }
  return { eventType: match[1]!, version: Number(match[2]) };
}

/** What a producer supplies; the rest of the envelope is derived. */
export interface EnvelopeInput<TData = unknown> {
  readonly type: string;
  readonly version: number;
  readonly data: TData;
  readonly subject: string;
  readonly source: string;
  readonly id: string;
  readonly correlationId: string;
  /** @default now */
  readonly time?: Date;
  /** The producer's W3C `traceparent`, when it traces. @default none */
  readonly traceparent?: string;
}

/** Builds the envelope for one event. Pure: ids and time are supplied by the caller. */
export function createEnvelope<TData>(input: EnvelopeInput<TData>): CloudEvent<TData> {
  return {
    specversion: SPEC_VERSION,
    id: input.id,
    source: input.source,
    type: input.type,
    time: (input.time ?? new Date()).toISOString(),
    subject: input.subject,
    dataschema: dataSchemaUri(input.type, input.version),
    datacontenttype: 'application/json',
    correlationid: input.correlationId,
    ...(input.traceparent !== undefined && { traceparent: input.traceparent }),
    data: input.data,
  };
}

/** The message attributes (SNS `MessageAttributes` shape) that mirror an envelope. */
export function envelopeAttributes(event: CloudEvent): Record<string, { DataType: 'String'; StringValue: string }> {
  const { version } = parseDataSchemaUri(event.dataschema);
  return {
    [MessageAttribute.Type]: { DataType: 'String', StringValue: event.type },
    [MessageAttribute.CorrelationId]: { DataType: 'String', StringValue: event.correlationid },
    [MessageAttribute.SchemaVersion]: { DataType: 'String', StringValue: String(version) },
  };
}

/**
 * The fields Fanout requires. `id`, `source`, `type` are the CloudEvents spec's own;
 * `time`, `subject` and `dataschema` are optional there and required here: `time` is
 * what end-to-end latency and the ordering guard measure from, `subject` is the entity
 * (the FIFO message group, the ordering key), and `dataschema` names the contract
 * version `data` is validated against.
 */
export const REQUIRED_ENVELOPE_FIELDS = ['id', 'source', 'type', 'time', 'subject', 'dataschema'] as const;

/** RFC 3339 date-time (what CloudEvents' `time` is): a date, `T`, a time and an offset. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** JSON as `data`'s content type: application/json, or a +json type, with any parameters. */
const JSON_CONTENT_TYPE = /^application\/([\w.-]+\+)?json\s*(;.*)?$/i;

/** W3C Trace Context version 00: `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`, ids not all zeros. */
export const TRACEPARENT = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

/** Whether `value` is a W3C `traceparent` (version 00) a trace can be linked to. */
export function isTraceparent(value: unknown): value is string {
  return typeof value === 'string' && TRACEPARENT.test(value);
}

/**
 * Parses a raw-delivered message body into an envelope. A missing `correlationid` is
 * the event's `id` (a plain CloudEvent from any SDK is accepted); a `traceparent` that
 * is not W3C Trace Context is dropped, as the spec tells a receiver to do, rather than
 * failing an event over its tracing.
 * @throws InvalidEnvelopeError when the body is not JSON or misses a required field.
 */
export function parseEnvelope(body: string): CloudEvent {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (cause) {
    throw new InvalidEnvelopeError('message body is not JSON', { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidEnvelopeError('message body is not a JSON object');
  }
  const record = value as Record<string, unknown>;
  if (record.specversion !== SPEC_VERSION) {
    throw new InvalidEnvelopeError(`specversion must be "${SPEC_VERSION}", got ${JSON.stringify(record.specversion)}`);
  }
  for (const field of REQUIRED_ENVELOPE_FIELDS) {
    if (typeof record[field] !== 'string' || record[field] === '') {
      throw new InvalidEnvelopeError(`envelope field "${field}" is missing or not a non-empty string`);
    }
  }
  if (!RFC3339.test(record.time as string) || Number.isNaN(Date.parse(record.time as string))) {
    throw new InvalidEnvelopeError(`envelope field "time" is not an RFC 3339 timestamp: ${JSON.stringify(record.time)}`);
  }
  if (!('data' in record)) {
    throw new InvalidEnvelopeError(
      'data_base64' in record
        ? 'envelope carries data_base64 (binary data): Fanout contracts describe JSON, so put the event in "data" as JSON'
        : 'envelope field "data" is missing',
    );
  }
  if (record.datacontenttype !== undefined && !(typeof record.datacontenttype === 'string' && JSON_CONTENT_TYPE.test(record.datacontenttype))) {
    throw new InvalidEnvelopeError(`datacontenttype must be application/json (or absent), got ${JSON.stringify(record.datacontenttype)}`);
  }
  parseDataSchemaUri(record.dataschema as string);
  if (record.correlationid !== undefined && (typeof record.correlationid !== 'string' || record.correlationid === '')) {
    throw new InvalidEnvelopeError('envelope field "correlationid" is not a non-empty string (leave it out to use the event id)');
  }
  const { traceparent, ...rest } = record;
  return {
    ...rest,
    correlationid: (record.correlationid as string | undefined) ?? (record.id as string),
    ...(isTraceparent(traceparent) && { traceparent }),
  } as unknown as CloudEvent;
}

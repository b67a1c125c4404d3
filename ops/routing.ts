/**
 * Where an event goes: which consumers' subscriptions would deliver it, and why not the
 * others. The definition's topics and filter policies, evaluated by the same evaluator
 * the local runner counts its expectations with (model/filter-policy.ts): no AWS call,
 * so a producer can ask before publishing. Pure.
 */
import { MessageAttribute, parseEnvelope } from '../contracts/envelope';
import type { ResolvedConsumer, ResolvedPipeline } from '../model/pipeline-definition';
import { matchesFilterPolicy, type PublishedAttribute, type PublishedMessage } from '../model/filter-policy';

/** One consumer's answer. */
export interface ConsumerRoute {
  readonly consumer: string;
  readonly topic: string;
  readonly receives: boolean;
  /** Why (not): the subscription's topic, or each part of its filter policy the event fails. */
  readonly reasons: readonly string[];
}

/** Where one event goes. */
export interface EventRoute {
  /** The envelope's `type`, when the body has one. */
  readonly eventType?: string;
  /** The topic the event is published to; undefined when no topic carries its type. */
  readonly topic?: string;
  readonly consumers: readonly ConsumerRoute[];
  /** What goes wrong beyond routing: no receiver at all, an invalid envelope, a receiver without a handler. */
  readonly warnings: readonly string[];
}

/** The metric SNS counts an attribute-filtered event without attributes under; its alarm pages. */
export const NO_ATTRIBUTES_METRIC = 'NumberOfNotificationsFilteredOut-NoMessageAttributes';

/**
 * Routes one published message through the pipeline's subscriptions.
 * @param topic the topic it is published to @default the topic the definition gives its type
 */
export function routeEvent(pipeline: ResolvedPipeline, message: PublishedMessage, topic?: string): EventRoute {
  const body = parseJsonObject(message.body);
  const eventType = typeof body?.type === 'string' ? body.type : undefined;
  const warnings: string[] = [];
  try {
    parseEnvelope(message.body);
  } catch (error) {
    warnings.push(`not a valid envelope: ${(error as Error).message}; every consumer that receives it dead-letters it`);
  }
  const typeAttribute = message.attributes[MessageAttribute.Type]?.StringValue;
  if (typeAttribute !== undefined && eventType !== undefined && typeAttribute !== eventType) {
    warnings.push(`its \`type\` attribute "${typeAttribute}" is not its envelope's type "${eventType}": subscriptions route by the attribute, consumers handle by the envelope`);
  }
  const target = topic ?? pipeline.eventTypes.find((t) => t.name === eventType)?.topic;
  if (target === undefined) {
    warnings.push(eventType === undefined ? 'no `type` in the body: no topic to publish it to' : `no topic of ${pipeline.name} carries event type "${eventType}"`);
  }
  const consumers = pipeline.consumers.map((consumer) => routeToConsumer(consumer, message, body, target));
  for (const c of consumers) {
    const handles = eventType !== undefined && pipeline.consumers.find((p) => p.name === c.consumer)!.eventTypes.includes(eventType);
    if (c.receives && !handles) warnings.push(`${c.consumer} receives it but has no handler for "${eventType ?? '(no type)'}": it dead-letters it as UnhandledEventTypeError`);
  }
  if (target !== undefined && !consumers.some((c) => c.receives)) {
    warnings.push(`matches no subscription of topic ${target}: published like this, no consumer receives it, and nothing but SNS's filter metrics records that it was dropped`);
  }
  return { ...(eventType !== undefined && { eventType }), ...(target !== undefined && { topic: target }), consumers, warnings };
}

function routeToConsumer(consumer: ResolvedConsumer, message: PublishedMessage, body: Record<string, unknown> | undefined, topic: string | undefined): ConsumerRoute {
  const at = { consumer: consumer.name, topic: consumer.topic };
  if (topic !== consumer.topic) return { ...at, receives: false, reasons: [`subscribed to topic ${consumer.topic}${topic ? `, not ${topic}` : ''}`] };
  const { scope, policy } = consumer.filter;
  if (matchesFilterPolicy(policy, scope, message)) return { ...at, receives: true, reasons: [`its ${scope} filter matches`] };
  if (scope === 'MessageAttributes' && Object.keys(message.attributes).length === 0) {
    return { ...at, receives: false, reasons: [`the message has no attributes and this subscription filters on them: SNS drops it (${NO_ATTRIBUTES_METRIC})`] };
  }
  const failing = failingLeaves(policy, [], (partial) => matchesFilterPolicy(partial, scope, message)).map(
    ({ path, spec }) => `${path.join('.')}: wants ${JSON.stringify(spec)}, found ${describeFound(scope === 'MessageAttributes' ? attributeValue(message.attributes, path[0]!) : valueAt(body, path))}`,
  );
  return { ...at, receives: false, reasons: failing.length > 0 ? failing : [`its ${scope} filter policy does not match`] };
}

/**
 * The leaves of a filter policy (key path and its match list) the message fails, each
 * checked on its own as a policy of that one leaf. `$or` is checked as a whole.
 */
function failingLeaves(policy: Record<string, unknown>, path: readonly string[], matches: (partial: Record<string, unknown>) => boolean): { path: string[]; spec: unknown }[] {
  const failing: { path: string[]; spec: unknown }[] = [];
  for (const [key, spec] of Object.entries(policy)) {
    const here = [...path, key];
    if (key !== '$or' && isPlainObject(spec)) {
      failing.push(...failingLeaves(spec, here, matches));
      continue;
    }
    if (!matches(nest(here, spec))) failing.push({ path: here, spec });
  }
  return failing;
}

/** `{a: {b: spec}}` for the path `a.b`. */
function nest(path: readonly string[], spec: unknown): Record<string, unknown> {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), spec) as Record<string, unknown>;
}

function attributeValue(attributes: Readonly<Record<string, PublishedAttribute>>, name: string): unknown {
  const attribute = attributes[name];
  return attribute === undefined ? undefined : `${attribute.StringValue ?? ''} (${attribute.DataType})`;
}

function valueAt(body: Record<string, unknown> | undefined, path: readonly string[]): unknown {
  let value: unknown = body;
  for (const key of path) value = isPlainObject(value) ? value[key] : undefined;
  return value;
}

function describeFound(value: unknown): string {
  if (value === undefined) return 'none';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isPlainObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The message attributes a producer following the wire contract sets for an envelope
 * body: `type` (what subscriptions filter on), `correlationid` and `schemaversion` when
 * the body carries them. What Fanout's publisher sets.
 */
export function wireContractAttributes(body: string): Record<string, PublishedAttribute> {
  const envelope = parseJsonObject(body) ?? {};
  const attributes: Record<string, PublishedAttribute> = {};
  if (typeof envelope.type === 'string') attributes[MessageAttribute.Type] = { DataType: 'String', StringValue: envelope.type };
  const correlationId = typeof envelope.correlationid === 'string' ? envelope.correlationid : typeof envelope.id === 'string' ? envelope.id : undefined;
  if (correlationId !== undefined) attributes[MessageAttribute.CorrelationId] = { DataType: 'String', StringValue: correlationId };
  const version = typeof envelope.dataschema === 'string' ? /:v([1-9][0-9]*)$/.exec(envelope.dataschema)?.[1] : undefined;
  if (version !== undefined) attributes[MessageAttribute.SchemaVersion] = { DataType: 'String', StringValue: version };
  return attributes;
}

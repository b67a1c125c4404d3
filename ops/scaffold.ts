/**
 * What `fanout new event` and `fanout new consumer` write, as pure functions of the names
 * they are given: the contract, the consumer's handler, domain function, downstream port
 * and test, and the entries added to the pipeline file. cli/new.ts checks the names
 * against the pipeline, writes the files and regenerates what derives from them.
 *
 * The pipeline file is the team's own TypeScript, comments and all, so an entry is added
 * by inserting text at the end of the right array literal (found with the TypeScript
 * parser), never by rewriting the file.
 */
import ts from 'typescript';
import { FanoutError } from '../contracts/errors';
import { pascal } from '../model/stack-outputs';

/** A scaffold cannot be written as asked; the message says why. */
export class ScaffoldError extends FanoutError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ScaffoldError';
  }
}

/** A file to create, relative to the project root. */
export interface ScaffoldFile {
  readonly path: string;
  readonly text: string;
}

/** A TypeScript single-quoted string literal of `text`. */
function tsString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

/** `order-sync` → `orderSync`. */
export function camel(name: string): string {
  const p = pascal(name);
  return p[0]!.toLowerCase() + p.slice(1);
}

/** The entity an event type is about: `order.placed` → `order`, `line-item.added` → `line-item`. */
export function entityOf(eventType: string): string {
  return eventType.split('.')[0]!;
}

/** The property holding the entity's id, which producers also set as the subject: `order.placed` → `orderId`. */
export function subjectFieldOf(eventType: string): string {
  return `${camel(entityOf(eventType))}Id`;
}

/** Options of {@link eventScaffold}. */
export interface EventScaffoldOptions {
  readonly type: string;
  readonly topic: string;
  /** What the event means, in a sentence (the contract's description). */
  readonly description: string;
  readonly peakEventsPerSecond: number;
  readonly latencySlaP95Seconds: number;
}

/**
 * A new event type: its first contract version (draft-07, which the Glue registry
 * documents, with one example the demo publishes from) and its entry in the definition.
 */
export function eventScaffold(options: EventScaffoldOptions): { contract: ScaffoldFile; entry: string } {
  const { type } = options;
  const idField = subjectFieldOf(type);
  const schema = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: `urn:fanout:contract:${type}:v1`,
    title: pascal(type),
    description: options.description,
    type: 'object',
    properties: {
      [idField]: { type: 'string', minLength: 1, maxLength: 128, description: `The ${entityOf(type)}'s id; producers set it as the event's subject too.` },
      occurredAt: { type: 'string', format: 'date-time', description: 'When it happened at the source (ISO 8601).' },
    },
    required: [idField, 'occurredAt'],
    additionalProperties: false,
    examples: [{ [idField]: `${entityOf(type).replace(/-/g, '_')}_7c1d2e3f`, occurredAt: '2026-11-28T09:30:00Z' }],
  };
  return {
    contract: { path: `schemas/${type}/v1.json`, text: `${JSON.stringify(schema, null, 2)}\n` },
    entry: `{ name: '${type}', topic: '${options.topic}', peakEventsPerSecond: ${options.peakEventsPerSecond}, latencySlaP95Seconds: ${options.latencySlaP95Seconds} }`,
  };
}

/** Options of {@link consumerScaffold}. */
export interface ConsumerScaffoldOptions {
  readonly name: string;
  readonly topic: string;
  readonly eventTypes: readonly string[];
  readonly description: string;
  readonly owner?: { readonly team: string; readonly contact: string };
}

/** A new consumer: handler, domain function, port, test, and its entry in the definition. */
export function consumerScaffold(options: ConsumerScaffoldOptions): { files: ScaffoldFile[]; entry: string } {
  const { name, eventTypes } = options;
  const Name = pascal(name);
  const handlersName = `${camel(name)}Handlers`;
  const portType = `${Name}Port`;
  const folder = `lambdas/consumers/${name}`;
  const domainModule = 'apply-events';
  const q = (s: string) => `'${s}'`;

  const port = `/**
 * ${name}'s downstream, as ${name} sees it: one port, two adapters (DynamoDB, the default;
 * HTTP for a real API), the environment picking one through the shared port factory.
 * Written by \`fanout new consumer\`: rename the record and its fields after what your
 * downstream calls things. Both adapters are repeatable per event: the DynamoDB store
 * keys its effect log on the event id, the HTTP API gets it as the Idempotency-Key.
 */
import type { Outcome } from '../kit/consumer';
import type { AppliedEvent } from './applied-event';
import type { DynamoDbEffectStore, StateValue } from './dynamodb-effects';
import type { HttpApi } from './http-api';
import { portFactory } from './settings';

/** One entity's latest state, as ${name} keeps it downstream. */
export interface ${Name}Record {
  /** What kind of entity, e.g. \`order\`. */
  readonly entity: string;
  /** The entity's id (the event's subject). */
  readonly id: string;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/** Where ${name} writes. */
export interface ${portType} {
  /** Writes the entity's state (once per event, however often the event is delivered). */
  put(record: ${Name}Record, event: AppliedEvent): Promise<Outcome>;
}

/** Nested values are kept as JSON text: the state item holds scalars. */
function scalars(attributes: Readonly<Record<string, unknown>>): Record<string, StateValue> {
  return Object.fromEntries(
    Object.entries(attributes).map(([key, value]) => [key, value !== null && typeof value === 'object' ? JSON.stringify(value) : (value as StateValue)]),
  );
}

/** Records as state items \`<entity>#<id>\` in the consumer's table. */
export function dynamoDb${Name}(store: DynamoDbEffectStore): ${portType} {
  return {
    put: (record, event) => store.apply({ key: \`\${record.entity}#\${record.id}\`, attributes: scalars(record.attributes), guarded: false }, event),
  };
}

/** Records in an HTTP API: \`PUT /<entity>s/{id}\`. */
export function http${Name}(api: HttpApi): ${portType} {
  return {
    put: (record, event) => api.send({ method: 'PUT', path: [\`\${record.entity}s\`, record.id], body: record.attributes, guarded: false }, event),
  };
}

/** The ${name} port the environment configures. */
export const create${portType} = portFactory<${portType}>({ dynamodb: dynamoDb${Name}, http: http${Name} });
`;

  const dataTypes = eventTypes.map((type) => pascal(type));
  const domain = `/**
 * ${name}'s domain: what each event it handles means downstream. No AWS SDK here; the
 * port decides where the record goes. The handler map must list exactly the event
 * types pipeline.ts gives ${name} (synth checks it).
 */
import type { ${[...dataTypes].sort().join(', ')} } from '../../../contracts/event-types.generated';
import type { ${portType} } from '../../downstream/${name}';
import { defineHandlers, type ConsumerHandlers } from '../../kit/consumer';

/** The event types ${name} handles and their data. */
export interface ${Name}Events {
${eventTypes.map((type, i) => `  readonly ${q(type)}: ${dataTypes[i]};`).join('\n')}
}

/** ${name}'s handlers, writing through \`port\`. */
export function ${handlersName}(port: ${portType}): ConsumerHandlers<${Name}Events> {
  return defineHandlers<${Name}Events>({
${eventTypes
  .map((type) => `    ${q(type)}: {\n      apply: ({ data, ...event }) => port.put({ entity: ${q(entityOf(type))}, id: event.subject, attributes: { ...data, lastEvent: event.type } }, event),\n    },`)
  .join('\n')}
  });
}
`;

  const handler = `/**
 * ${name}'s Lambda handler: a thin adapter wiring the kit, the port and the domain
 * handlers, once per container.
 */
import { create${portType} } from '../../downstream/${name}';
import { createConsumerRuntime } from '../../kit/runtime';
import { ${handlersName} } from './${domainModule}';

const runtime = createConsumerRuntime();

/** The SQS batch handler (ReportBatchItemFailures). */
export const handler = runtime.handler(${handlersName}(create${portType}(process.env, runtime.clients)));
`;

  const test = `/**
 * ${name}: every event type it handles, from its contract's examples, goes through the
 * kit (envelope, contract validation, idempotency gate) into the port once, and a
 * redelivery of the same event is not applied again.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadContractVersions } from '../../contracts/schema-files';
import type { AppliedEvent } from '../../lambdas/downstream/applied-event';
import type { ${Name}Record, ${portType} } from '../../lambdas/downstream/${name}';
import { ${handlersName} } from '../../lambdas/consumers/${name}/${domainModule}';
import { Outcome } from '../../lambdas/kit/consumer';
import { RecordProcessor, RecordResult } from '../../lambdas/kit/record-processor';
import { envelope, fileResolver, MemoryGate, RecordingLogger, RecordingMetrics, RecordingTracer, sqsRecord } from './kit-fakes';

const SCHEMAS = join(import.meta.dirname, '../../schemas');

describe('${name}', () => {
  for (const type of [${eventTypes.map(q).join(', ')}]) {
    it(\`applies \${type} from its contract's examples, once\`, async () => {
      const latest = loadContractVersions(SCHEMAS, type).at(-1)!;
      const examples = latest.schema.examples as Record<string, unknown>[];
      expect(examples.length).toBeGreaterThan(0);
      const calls: { record: ${Name}Record; event: AppliedEvent }[] = [];
      const port: ${portType} = { put: async (record, event) => (calls.push({ record, event }), Outcome.Applied) };
      const processor = new RecordProcessor({
        consumer: '${name}',
        handlers: ${handlersName}(port),
        resolver: fileResolver(),
        gate: new MemoryGate(),
        deadLetter: async (_record, failure) => {
          throw new Error(\`dead-lettered: \${failure.errorName}: \${failure.errorMessage}\`);
        },
        logger: new RecordingLogger(),
        metrics: new RecordingMetrics(),
        tracer: new RecordingTracer(),
      });
      for (const [i, data] of examples.entries()) {
        const event = envelope({ type, version: latest.version, data, subject: \`subject-\${i}\` });
        expect(await processor.process(sqsRecord(event))).toBe(RecordResult.Applied);
        expect(await processor.process(sqsRecord(event))).not.toBe(RecordResult.Applied);
        expect(calls.at(-1)!.record).toMatchObject({ id: \`subject-\${i}\`, attributes: { ...data, lastEvent: type } });
        expect(calls.at(-1)!.event.id).toBe(event.id);
      }
      expect(calls).toHaveLength(examples.length);
    });
  }
});
`;

  const owner = options.owner ? `\n      owner: { team: ${q(options.owner.team)}, contact: ${q(options.owner.contact)} },` : '';
  const entry = `{
      name: ${q(name)},
      description: ${tsString(options.description)},
      topic: ${q(options.topic)},
      eventTypes: [${eventTypes.map(q).join(', ')}],
      entry: ${q(`${folder}/handler.ts`)},${owner}
    }`;

  return {
    files: [
      { path: `lambdas/downstream/${name}.ts`, text: port },
      { path: `${folder}/${domainModule}.ts`, text: domain },
      { path: `${folder}/handler.ts`, text: handler },
      { path: `test/unit/consumer-${name}.test.ts`, text: test },
    ],
    entry,
  };
}

/**
 * The pipeline file's text with `entry` appended to the definition's `eventTypes` or
 * `consumers` array, indented like the entries before it.
 * @throws ScaffoldError when the file has no such array literal
 */
export function addToDefinitionArray(source: string, fileName: string, arrayName: 'eventTypes' | 'consumers', entry: string): string {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  let array: ts.ArrayLiteralExpression | undefined;
  const visit = (node: ts.Node): void => {
    if (array) return;
    if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name) && node.name.text === arrayName && ts.isArrayLiteralExpression(node.initializer)) {
      array = node.initializer;
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  if (!array) throw new ScaffoldError(`${fileName} has no \`${arrayName}: [...]\` array literal to add to; add the entry by hand:\n${entry}`);
  const last = array.elements.at(-1);
  if (!last) {
    const at = array.getEnd() - 1;
    return `${source.slice(0, at)}\n    ${entry},\n  ${source.slice(at)}`;
  }
  const lineStart = source.lastIndexOf('\n', last.getStart(file)) + 1;
  const indent = /^\s*/.exec(source.slice(lineStart))![0];
  // After the last element and its comma, if it has one (the comma is not part of the element).
  let at = last.getEnd();
  const comma = /^\s*,/.exec(source.slice(at));
  if (comma) at += comma[0].length;
  return `${source.slice(0, at)}${comma ? '' : ','}\n${indent}${entry.replace(/\n {4}/g, `\n${indent}`)},${source.slice(at)}`;
}

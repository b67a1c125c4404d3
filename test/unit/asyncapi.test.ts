/**
 * asyncapi.json: the wire contract as an AsyncAPI 3.0 document, generated from the
 * pipeline definition and schemas/; the official parser accepts it (and rejects a broken
 * one), every contract version is a message carrying its schema, its examples are what
 * the runtime accepts, and the committed file is current.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiagnosticSeverity, Parser, type Diagnostic } from '@asyncapi/parser';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASYNCAPI_PATH, asyncApiCommand, asyncApiInput, generateAsyncApi } from '../../cli/asyncapi';
import { SCHEMAS_DIR } from '../../cli/context';
import { envelopeAttributes, parseEnvelope } from '../../contracts/envelope';
import { listContractFolders, loadContractVersions, type ContractVersion } from '../../contracts/schema-files';
import type { ResolvedPipeline } from '../../model/pipeline-definition';
import { PROJECT_ROOT } from '../../model/project-root';
import { pipeline as samplePipeline } from '../../pipeline';
import { AsyncApiError, buildAsyncApi, messageKey, operationKey, renderAsyncApi, type AsyncApiInput } from '../../ops/asyncapi';
import type { CommandIo } from '../../ops/command-output';

// ajv-formats is CommonJS: take whichever export is callable (as contracts/validation.ts does).
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

/** The parts of the document the tests read. */
interface Doc {
  asyncapi: string;
  info: { title: string; version: string };
  channels: Record<string, { address: string; messages: Record<string, { $ref: string }>; bindings: { sns: { name: string; ordering: { type: string } } } }>;
  operations: Record<string, { action: string; channel: { $ref: string }; messages: { $ref: string }[]; bindings?: { sns: { consumers: Record<string, unknown>[] } }; 'x-fanout-sns-publish': Record<string, string> }>;
  components: { messages: Record<string, Message> };
}
interface Message {
  name: string;
  headers: { required: string[]; properties: Record<string, { const?: string }> };
  payload: { schemaFormat: string; schema: { $schema: string; required: string[]; properties: Record<string, Record<string, unknown>> } };
  examples?: { headers: Record<string, string>; payload: Record<string, unknown> }[];
}

const parser = new Parser();
let input: AsyncApiInput;
let text: string;
let doc: Doc;
let diagnostics: Diagnostic[];
let parsedOk: boolean;

const copy = (): Doc => JSON.parse(text) as Doc;
const errorsOf = (list: Diagnostic[]) => list.filter((d) => d.severity === DiagnosticSeverity.Error);
const describeDiagnostics = (list: Diagnostic[]) => list.map((d) => `${d.code} ${d.message} at ${d.path.join('.')}`).join('\n');

beforeAll(async () => {
  input = await asyncApiInput(samplePipeline);
  text = await generateAsyncApi(samplePipeline);
  doc = JSON.parse(text) as Doc;
  const parsed = await parser.parse(text);
  diagnostics = parsed.diagnostics;
  parsedOk = parsed.document !== undefined;
}, 60_000);

describe('asyncapi.json', () => {
  it('the committed asyncapi.json is what `npx fanout asyncapi` generates', () => {
    const how = 'asyncapi.json is stale or missing: run `npx fanout asyncapi` and commit it';
    expect(existsSync(ASYNCAPI_PATH), how).toBe(true);
    expect(readFileSync(ASYNCAPI_PATH, 'utf8'), how).toBe(text);
  });

  it('validates with the official AsyncAPI parser: no errors, no warnings', () => {
    expect(parsedOk).toBe(true);
    expect(errorsOf(diagnostics), describeDiagnostics(diagnostics)).toEqual([]);
    expect(diagnostics.filter((d) => d.severity === DiagnosticSeverity.Warning), describeDiagnostics(diagnostics)).toEqual([]);
    // The one remark left: AsyncAPI 3.1.0 exists. 3.0.0 is what was asked for and what most tools read.
    expect(diagnostics.map((d) => d.code)).toEqual(['asyncapi-latest-version']);
    expect(doc.asyncapi).toBe('3.0.0');
  });

  it('the parser rejects a broken document, so the check above can fail', async () => {
    const badBinding = copy();
    badBinding.channels['billing-events']!.bindings.sns.ordering.type = 'fifo';
    const badSchema = copy();
    badSchema.components.messages['user.signed-up.v2']!.payload.schema.properties.data!.type = 'text';
    const foreignMessage = copy();
    foreignMessage.operations[operationKey('user-events')]!.messages.push({ $ref: '#/channels/billing-events/messages/subscription.changed.v1' });
    for (const [what, broken] of [
      ['an SNS ordering type the binding does not know', badBinding],
      ['a contract that is not a JSON Schema', badSchema],
      ['an operation sending a message of another channel', foreignMessage],
    ] as const) {
      const { document, diagnostics: found } = await parser.parse(JSON.stringify(broken));
      expect(document, what).toBeUndefined();
      expect(errorsOf(found).length, what).toBeGreaterThan(0);
    }
  }, 30_000);

  it('has one message per event type and contract version in schemas/, with the contract embedded as data', () => {
    const keys: string[] = [];
    for (const folder of listContractFolders(SCHEMAS_DIR)) {
      const eventTypes = input.pipeline.eventTypes.filter((e) => e.contract === folder);
      expect(eventTypes.length, `schemas/${folder} is the contract of no event type`).toBeGreaterThan(0);
      for (const eventType of eventTypes) {
        for (const contract of loadContractVersions(SCHEMAS_DIR, folder)) {
          const key = messageKey(eventType.name, contract.version);
          keys.push(key);
          const message = doc.components.messages[key];
          expect(message, key).toBeDefined();
          const { schema, schemaFormat } = message!.payload;
          expect(schemaFormat).toBe('application/schema+json;version=draft-07');
          expect(schema.properties.data).toEqual(contract.schema);
          expect(schema.properties.type!.const).toBe(eventType.name);
          expect(schema.properties.dataschema!.const).toBe(`urn:fanout:contract:${eventType.name}:v${contract.version}`);
          expect(schema.properties.specversion!.const).toBe('1.0');
          // What parseEnvelope requires, no more: a plain CloudEvent without datacontenttype or correlationid is accepted.
          expect(schema.required).toEqual(['specversion', 'id', 'source', 'type', 'time', 'subject', 'dataschema', 'data']);
          expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['correlationid', 'traceparent']));
          // Headers: the SNS message attributes; only `type` is required.
          expect(message!.headers.required).toEqual(['type']);
          expect(message!.headers.properties.type!.const).toBe(eventType.name);
          expect(message!.headers.properties.schemaversion!.const).toBe(String(contract.version));
          expect(Object.keys(message!.headers.properties)).toEqual(['type', 'correlationid', 'schemaversion']);
          // On its topic's channel, and sent by the topic's operation.
          const channel = doc.channels[eventType.topic]!;
          expect(channel.messages[key]).toEqual({ $ref: `#/components/messages/${key}` });
          expect(doc.operations[operationKey(eventType.topic)]!.messages).toContainEqual({ $ref: `#/channels/${eventType.topic}/messages/${key}` });
        }
      }
    }
    expect(Object.keys(doc.components.messages).sort()).toEqual(keys.sort());
  });

  it('the parsed document has the same messages, with their payloads', async () => {
    const { document } = await parser.parse(text);
    const names = document!.messages().all().map((m) => m.name());
    expect(names.sort()).toEqual(Object.keys(doc.components.messages).sort());
    for (const message of document!.messages().all()) {
      expect(message.payload()?.properties()?.data?.type(), message.name()).toBe('object');
    }
  }, 30_000);

  it('has a channel per topic and a send operation per topic, FIFO topics with their group and deduplication ids', () => {
    expect(Object.keys(doc.channels)).toEqual(input.pipeline.topics.map((t) => t.name));
    expect(Object.keys(doc.operations)).toEqual(input.pipeline.topics.map((t) => operationKey(t.name)));
    for (const topic of input.pipeline.topics) {
      const channel = doc.channels[topic.name]!;
      const physical = `${input.pipeline.name}-${topic.name}${topic.fifo ? '.fifo' : ''}`;
      expect(channel.address).toBe(`arn:aws:sns:{region}:{accountId}:${physical}`);
      expect(channel.bindings.sns.name).toBe(physical);
      expect(channel.bindings.sns.ordering.type).toBe(topic.fifo ? 'FIFO' : 'standard');
      const operation = doc.operations[operationKey(topic.name)]!;
      expect(operation.action).toBe('send');
      expect(operation.channel).toEqual({ $ref: `#/channels/${topic.name}` });
      const publish = operation['x-fanout-sns-publish'];
      if (topic.fifo) {
        expect(publish.MessageGroupId).toBe('$message.payload#/subject');
        expect(publish.MessageDeduplicationId).toBe('$message.payload#/id');
      } else {
        expect(publish.MessageGroupId).toBeUndefined();
      }
      // Every subscription, with its filter policy as deployed.
      const consumers = input.pipeline.consumers.filter((c) => c.topic === topic.name);
      expect(operation.bindings!.sns.consumers.map((c) => c['x-fanout-consumer'])).toEqual(consumers.map((c) => c.name));
      for (const [i, consumer] of consumers.entries()) {
        const subscription = operation.bindings!.sns.consumers[i]!;
        expect(subscription.filterPolicy).toEqual(consumer.filter.policy);
        expect(subscription.filterPolicyScope).toBe(consumer.filter.scope);
        expect(subscription.rawMessageDelivery).toBe(true);
        expect(subscription.endpoint).toEqual({ name: input.queueNames(consumer).queue });
      }
    }
    // FIFO ids: SNS allows 128 characters of letters, digits and punctuation.
    const fifo = doc.components.messages['subscription.changed.v1']!.payload.schema.properties;
    expect(fifo.subject).toMatchObject({ maxLength: 128, pattern: '^[!-~]+$' });
    expect(fifo.id).toMatchObject({ maxLength: 128, pattern: '^[!-~]+$' });
    expect(doc.components.messages['user.signed-up.v1']!.payload.schema.properties.subject!.maxLength).toBeUndefined();
  });

  it('every example is a valid message: the payload schema, the headers schema, and the runtime envelope parser accept it', () => {
    let count = 0;
    for (const [key, message] of Object.entries(doc.components.messages)) {
      expect(message.examples?.length, key).toBeGreaterThan(0);
      const ajv = new Ajv({ allErrors: true, strict: false });
      addFormats(ajv);
      const payload = ajv.compile(message.payload.schema);
      const headers = ajv.compile(message.headers);
      for (const example of message.examples!) {
        expect(payload(example.payload), `${key}: ${JSON.stringify(payload.errors)}`).toBe(true);
        expect(headers(example.headers), `${key}: ${JSON.stringify(headers.errors)}`).toBe(true);
        const envelope = parseEnvelope(JSON.stringify(example.payload));
        expect(Object.fromEntries(Object.entries(envelopeAttributes(envelope)).map(([name, value]) => [name, value.StringValue]))).toEqual(example.headers);
        count += 1;
      }
      // And the payload schema refuses a message without the attributes Fanout requires.
      const { time: _time, ...withoutTime } = message.examples![0]!.payload;
      expect(payload(withoutTime), key).toBe(false);
      expect(payload({ ...message.examples![0]!.payload, dataschema: 'urn:fanout:contract:other:v9' }), key).toBe(false);
      expect(headers({ correlationid: 'x' }), key).toBe(false);
    }
    expect(count).toBeGreaterThanOrEqual(4);
  });

  it('is deterministic: the same text twice, info from the pipeline name and package.json', async () => {
    expect(await generateAsyncApi(samplePipeline)).toBe(text);
    expect(doc.info.title).toBe(samplePipeline.name);
    expect(doc.info.version).toBe((JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  });
});

describe('asyncapi contracts in other JSON Schema dialects', () => {
  /** The sample pipeline with one more version of user.signed-up. */
  function withVersion3(schema: Record<string, unknown>): AsyncApiInput {
    const pipeline = input.pipeline;
    const v3: ContractVersion = { version: 3, file: 'schemas/user.signed-up/v3.json', definition: JSON.stringify(schema), schema };
    const eventTypes = pipeline.eventTypes.map((e) => (e.name === 'user.signed-up' ? { ...e, versions: [...e.versions, v3] } : e));
    return { ...input, pipeline: { ...pipeline, eventTypes } as ResolvedPipeline };
  }

  it('a draft 2020-12 contract keeps its dialect: the payload names it, the parser accepts the document, Ajv 2020 validates the example', async () => {
    const v2 = input.pipeline.eventTypes.find((e) => e.name === 'user.signed-up')!.versions[1]!.schema as { properties: Record<string, unknown> };
    const schema = {
      ...v2,
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: 'urn:fanout:contract:user.signed-up:v3',
      properties: { ...v2.properties, referrers: { type: 'array', prefixItems: [{ type: 'string' }], items: false } },
      examples: [{ userId: 'usr_9f2c1a7b', email: 'ada@example.com', name: 'Ada Lovelace', plan: 'pro', signedUpAt: '2026-11-28T09:30:00Z', referrers: ['usr_friend01'] }],
    };
    const modern = withVersion3(schema);
    const built = buildAsyncApi(modern) as unknown as Doc;
    const message = built.components.messages['user.signed-up.v3']!;
    expect(message.payload.schemaFormat).toBe('application/schema+json;version=2020-12');
    expect(message.payload.schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    const { document, diagnostics: found } = await parser.parse(renderAsyncApi(modern));
    expect(document).toBeDefined();
    expect(errorsOf(found), describeDiagnostics(found)).toEqual([]);
    // AsyncAPI 3.0 requires tools to know draft-07 only: the parser takes a 2020-12 schema as it is, without checking it.
    expect(found.filter((d) => d.severity === DiagnosticSeverity.Warning), describeDiagnostics(found)).toEqual([]);
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats(ajv as unknown as Ajv);
    const validate = ajv.compile(message.payload.schema);
    expect(validate(message.examples![0]!.payload), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...message.examples![0]!.payload, data: { ...schema.examples[0], referrers: [1] } })).toBe(false);
  }, 30_000);

  it('refuses a contract in a dialect the envelope cannot be written in', () => {
    const draft04 = withVersion3({ $schema: 'http://json-schema.org/draft-04/schema#', type: 'object' });
    expect(() => buildAsyncApi(draft04)).toThrow(AsyncApiError);
    expect(() => buildAsyncApi(draft04)).toThrow(/schemas\/user\.signed-up\/v3\.json/);
  });

  it('puts a filter policy the SNS binding cannot express into x-fanout-filter-policy', () => {
    const pipeline = input.pipeline;
    const numeric = { type: ['user.signed-up'], seats: [{ numeric: ['>', 10] }] };
    const consumers = pipeline.consumers.map((c) => (c.name === 'crm-sync' ? { ...c, filter: { scope: 'MessageAttributes' as const, policy: numeric } } : c));
    const built = buildAsyncApi({ ...input, pipeline: { ...pipeline, consumers } }) as unknown as Doc;
    const subscription = built.operations[operationKey('user-events')]!.bindings!.sns.consumers[0]!;
    expect(subscription.filterPolicy).toBeUndefined();
    expect(subscription['x-fanout-filter-policy']).toEqual(numeric);
  });
});

describe('fanout asyncapi', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fanout-asyncapi-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const capture = () => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CommandIo = { out: (t) => out.push(t), err: (t) => err.push(t), interactive: false };
    return { io, out, err };
  };

  it('writes the document, then --check passes; a stale or missing file fails --check with how to regenerate', async () => {
    const file = join(dir, 'asyncapi.json');
    const write = capture();
    expect(await asyncApiCommand({ out: file }, { io: write.io })).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(text);
    // One channel and one operation per topic, one message per contract version of each event type (2, 2, 4 in the sample).
    const expected = {
      channels: input.pipeline.topics.length,
      operations: input.pipeline.topics.length,
      messages: input.pipeline.eventTypes.reduce((sum, e) => sum + e.versions.length, 0),
    };
    expect(write.out.join('\n')).toContain(`${expected.channels} channels, ${expected.operations} operations, ${expected.messages} messages`);

    const fresh = capture();
    expect(await asyncApiCommand({ out: file, check: true }, { io: fresh.io })).toBe(0);
    expect(fresh.out.join('\n')).toContain('is up to date');

    writeFileSync(file, text.replace('"3.0.0"', '"3.0.1"'));
    const stale = capture();
    expect(await asyncApiCommand({ out: file, check: true }, { io: stale.io })).toBe(1);
    expect(stale.out.join('\n')).toMatch(/is stale .*run `npx fanout asyncapi` and commit it/);

    const missing = capture();
    expect(await asyncApiCommand({ out: join(dir, 'none.json'), check: true, json: true }, { io: missing.io })).toBe(1);
    expect(JSON.parse(missing.out.join('\n'))).toMatchObject({ upToDate: false, ...expected });
  }, 30_000);

  it('--out - prints the document', async () => {
    const printed = capture();
    expect(await asyncApiCommand({ out: '-' }, { io: printed.io })).toBe(0);
    expect(`${printed.out.join('\n')}\n`).toBe(text);
    const both = capture();
    expect(await asyncApiCommand({ out: '-', check: true }, { io: both.io })).toBe(2);
    expect(both.err.join('\n')).toContain('--check compares a file');
  });
});

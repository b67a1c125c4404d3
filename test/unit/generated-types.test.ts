import { describe, expect, expectTypeOf, it } from 'vitest';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateEventTypes, GENERATED_TYPES_FILE } from '../../scripts/generate-types';
import { LATEST_VERSIONS, type EventDataMap, type EventVersionMap, type UserSignedUp, type UserSignedUpV1, type UserSignedUpV2 } from '../../contracts/event-types.generated';
import { listContractFolders, loadContractVersions } from '../../contracts/schema-files';

const SCHEMAS = join(import.meta.dirname, '../../schemas');

describe('generated event types', () => {
  it('are up to date with schemas/ (run `npm run generate:types` when this fails)', async () => {
    const expected = await generateEventTypes(SCHEMAS);
    expect(readFileSync(GENERATED_TYPES_FILE, 'utf8')).toBe(expected);
  }, 30_000);

  it("map each event type to its latest version's data", () => {
    expectTypeOf<EventDataMap['user.signed-up']>().toEqualTypeOf<UserSignedUpV2>();
    expectTypeOf<EventVersionMap['user.signed-up'][1]>().toEqualTypeOf<UserSignedUpV1>();
    expectTypeOf<UserSignedUp>().toEqualTypeOf<UserSignedUpV1 | UserSignedUpV2>();
    expectTypeOf<UserSignedUpV2['marketingOptIn']>().toEqualTypeOf<boolean | undefined>();
    expectTypeOf<UserSignedUpV2['plan']>().toEqualTypeOf<'free' | 'pro' | 'enterprise'>();
    // The contract's own example, written as a typed literal: tsc checks it against the generated type.
    const example: EventDataMap['user.signed-up'] = {
      userId: 'usr_9f2c1a7b',
      email: 'ada@example.com',
      name: 'Ada Lovelace',
      plan: 'pro',
      signedUpAt: '2026-11-28T09:30:00Z',
      marketingOptIn: true,
    };
    expect([example]).toEqual(loadContractVersions(SCHEMAS, 'user.signed-up')[1]!.schema.examples);
  });

  it('name the version number of each EventDataMap type, the one the publisher pins', () => {
    const newest = Object.fromEntries(listContractFolders(SCHEMAS).map((t) => [t, loadContractVersions(SCHEMAS, t).at(-1)!.version]));
    expect(LATEST_VERSIONS).toEqual(newest);
    expectTypeOf(LATEST_VERSIONS['user.signed-up']).toEqualTypeOf<2>();
  });

  it('name every version and every nested type apart, so versions never clash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fanout-types-'));
    try {
      mkdirSync(join(dir, 'order.placed'));
      const schema = {
        title: 'OrderPlaced',
        type: 'object',
        additionalProperties: false,
        required: ['address'],
        properties: {
          address: { $ref: '#/definitions/address' },
          lines: { type: 'array', items: { title: 'Line', type: 'object', properties: { sku: { type: 'string' } } } },
        },
        definitions: { address: { type: 'object', properties: { city: { type: 'string' } } } },
      };
      writeFileSync(join(dir, 'order.placed', 'v1.json'), JSON.stringify(schema));
      writeFileSync(join(dir, 'order.placed', 'v2.json'), JSON.stringify({ ...schema, properties: { ...schema.properties, note: { type: 'string' } } }));
      const text = await generateEventTypes(dir);
      const declared = [...text.matchAll(/^export (?:interface|type) (\w+)/gm)].map((m) => m[1]);
      expect(declared).toEqual([
        'OrderPlacedV1',
        'OrderPlacedV1Address',
        'OrderPlacedV1Line',
        'OrderPlacedV2',
        'OrderPlacedV2Address',
        'OrderPlacedV2Line',
        'OrderPlaced',
        'EventDataMap',
        'EventVersionMap',
        'EventType',
      ]);
      expect(text).toContain('"order.placed": OrderPlacedV2;');
      expect(text).toContain('export const LATEST_VERSIONS = {\n  "order.placed": 2,\n}');
      expect(text).toMatch(/export interface OrderPlacedV2 \{[^}]*note\?: string;/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

/**
 * `fanout contracts compat` and `fanout contracts check` as functions: exit codes
 * 0 / 1 / 2, what they print, and --json, over contract files written to a temp folder.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { contractsCommand } from '../../cli/contracts-group';
import { register as registerCheck, runContractsCheck } from '../../cli/contracts-check';
import { register as registerCompat, runContractsCompat } from '../../cli/contracts-compat';
import type { CompatibilityMode } from '../../contracts/compatibility-mode';
import { resolvePipeline, type PipelineDefinition } from '../../model/pipeline-definition';

const root = mkdtempSync(join(tmpdir(), 'fanout-contracts-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
function freshDir(): string {
  const dir = join(root, `case-${counter++}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function writeJson(file: string, value: unknown): string {
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  return file;
}

function contract(version: number, properties: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: `urn:test:contract:thing.happened:v${version}`,
    title: 'ThingHappened',
    description: 'A thing happened.',
    type: 'object',
    properties,
    required: ['id'],
    additionalProperties: false,
    examples: [{ id: 'abc' }],
    ...extra,
  };
}

const v1 = contract(1, { id: { type: 'string' }, note: { type: 'string', maxLength: 50 } });
const v2Compatible = contract(2, { id: { type: 'string' }, note: { type: 'string', maxLength: 80 }, flag: { type: 'boolean' } });
const v2Breaking = contract(2, { id: { type: 'string' }, note: { type: 'string', maxLength: 20 } });

describe('contracts compat', () => {
  const dir = freshDir();
  const previous = writeJson(join(dir, 'v1.json'), v1);
  const compatible = writeJson(join(dir, 'v2-ok.json'), v2Compatible);
  const breaking = writeJson(join(dir, 'v2-bad.json'), v2Breaking);

  it('exits 0 when the new version is compatible', () => {
    const result = runContractsCompat(previous, compatible);
    expect(result.exitCode).toBe(0);
    expect(result.lines[0]).toBe('BACKWARD: v2-ok.json is compatible with v1.json');
    expect(result.errors).toEqual([]);
  });

  it('exits 1 and prints each breaking change with its pointer', () => {
    const result = runContractsCompat(previous, breaking);
    expect(result.exitCode).toBe(1);
    expect(result.lines[0]).toBe('BACKWARD: v2-bad.json is NOT compatible with v1.json');
    expect(result.lines.join('\n')).toContain('INCOMPATIBLE MAX_LENGTH_DECREASED #/properties/note/maxLength: maxLength decreased from 50 to 20');
  });

  it('honours --mode: adding an optional property to a closed object breaks FORWARD', () => {
    expect(runContractsCompat(previous, compatible, { mode: 'BACKWARD' }).exitCode).toBe(0);
    const forward = runContractsCompat(previous, compatible, { mode: 'forward' });
    expect(forward.exitCode).toBe(1);
    expect(forward.lines.join('\n')).toContain('PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL #/properties/flag');
    expect(runContractsCompat(previous, breaking, { mode: 'NONE' }).exitCode).toBe(0);
    expect(runContractsCompat(previous, compatible, { mode: 'DISABLED' }).exitCode).toBe(1);
  });

  it('prints JSON for scripts', () => {
    const result = runContractsCompat(previous, breaking, { json: true, mode: 'FULL' });
    expect(result.exitCode).toBe(1);
    const parsed = JSON.parse(result.lines.join('\n'));
    expect(parsed).toMatchObject({ mode: 'FULL', compatible: false });
    expect(parsed.comparisons.map((c: { direction: string }) => c.direction)).toEqual(['backward', 'forward']);
    expect(parsed.comparisons[0].changes).toContainEqual(expect.objectContaining({ kind: 'MAX_LENGTH_DECREASED', pointer: '#/properties/note/maxLength', compatible: false }));
  });

  it('exits 2 on a missing file, bad JSON, something that is not a schema, or an unknown mode', () => {
    const missing = runContractsCompat(join(dir, 'nope.json'), compatible);
    expect(missing.exitCode).toBe(2);
    expect(missing.errors[0]).toMatch(/cannot read .*nope\.json/);
    const badJson = runContractsCompat(writeJson(join(dir, 'bad.json'), '{"type": '), compatible);
    expect(badJson.exitCode).toBe(2);
    expect(badJson.errors[0]).toMatch(/bad\.json is not valid JSON/);
    const notSchema = runContractsCompat(writeJson(join(dir, 'list.json'), [1, 2]), compatible);
    expect(notSchema.exitCode).toBe(2);
    expect(notSchema.errors[0]).toMatch(/list\.json is not a JSON Schema/);
    const mode = runContractsCompat(previous, compatible, { mode: 'SIDEWAYS' });
    expect(mode.exitCode).toBe(2);
    expect(mode.errors[0]).toMatch(/unknown compatibility mode "SIDEWAYS"; use one of NONE, DISABLED, BACKWARD/);
    const jsonError = runContractsCompat(join(dir, 'nope.json'), compatible, { json: true });
    expect(jsonError.exitCode).toBe(2);
    expect(JSON.parse(jsonError.lines.join('\n')).error).toMatch(/cannot read/);
  });
});

describe('contracts check', () => {
  function pipelineOver(schemasDir: string, eventTypes: { name: string; contract?: string; compatibility?: CompatibilityMode }[]) {
    const definition: PipelineDefinition = {
      name: 'test-pipeline',
      topics: [{ name: 'events' }],
      eventTypes: eventTypes.map((e) => ({ topic: 'events', peakEventsPerSecond: 1, latencySlaP95Seconds: 60, ...e })),
      consumers: [],
    };
    return resolvePipeline(definition, schemasDir);
  }

  function contractsDir(folders: Record<string, unknown[]>): string {
    const dir = freshDir();
    for (const [folder, versions] of Object.entries(folders)) {
      mkdirSync(join(dir, folder));
      versions.forEach((schema, index) => writeJson(join(dir, folder, `v${index + 1}.json`), schema));
    }
    return dir;
  }

  it('exits 0 and prints one line per event type when every contract is fine', () => {
    const dir = contractsDir({ 'thing.happened': [v1, v2Compatible], 'other.happened': [v1] });
    const pipeline = pipelineOver(dir, [{ name: 'thing.happened' }, { name: 'other.happened' }]);
    const result = runContractsCheck({ pipeline, schemasDir: dir });
    expect(result.exitCode).toBe(0);
    expect(result.lines).toEqual([
      'ok    thing.happened: v1..v2 BACKWARD compatible, 2 examples valid',
      'ok    other.happened: v1 BACKWARD compatible, 1 example valid',
      'all 2 contracts are fine',
    ]);
  });

  it('exits 1 on a chain that breaks its mode, naming the change', () => {
    const dir = contractsDir({ 'thing.happened': [v1, v2Breaking] });
    const result = runContractsCheck({ pipeline: pipelineOver(dir, [{ name: 'thing.happened' }]), schemasDir: dir });
    expect(result.exitCode).toBe(1);
    expect(result.lines[0]).toBe('FAIL  thing.happened: v1..v2 BACKWARD: 1 problem');
    const text = result.lines.join('\n');
    expect(text).toContain('compatibility v2: v2 is not BACKWARD compatible: 1 breaking change');
    expect(text).toContain('MAX_LENGTH_DECREASED #/properties/note/maxLength');
  });

  it("checks under the event type's own mode", () => {
    const dir = contractsDir({ 'thing.happened': [v1, v2Compatible] });
    const result = runContractsCheck({ pipeline: pipelineOver(dir, [{ name: 'thing.happened', compatibility: 'FULL' }]), schemasDir: dir });
    expect(result.exitCode).toBe(1);
    expect(result.lines[0]).toBe('FAIL  thing.happened: v1..v2 FULL: 1 problem');
  });

  it('exits 1 when an example does not validate, or metadata or examples are missing', () => {
    const badExample = contract(1, { id: { type: 'string' } }, { examples: [{ id: 42 }] });
    const { title: _title, ...untitled } = contract(1, { id: { type: 'string' } });
    const noExamples = contract(1, { id: { type: 'string' } }, { examples: [] });
    const dir = contractsDir({ 'a.bad-example': [badExample], 'b.untitled': [untitled], 'c.no-examples': [noExamples] });
    const pipeline = pipelineOver(dir, [{ name: 'a.bad-example' }, { name: 'b.untitled' }, { name: 'c.no-examples' }]);
    const result = runContractsCheck({ pipeline, schemasDir: dir });
    expect(result.exitCode).toBe(1);
    const text = result.lines.join('\n');
    expect(text).toContain('example v1: examples[0] of v1 does not validate: /id must be string (type)');
    expect(text).toMatch(/metadata v1: .*b\.untitled\/v1\.json has no title/);
    expect(text).toMatch(/example v1: .*c\.no-examples\/v1\.json has no examples/);
    expect(result.lines.at(-1)).toBe('3 of 3 contracts have problems');
  });

  it('also checks a folder no event type uses, under the default mode', () => {
    const dir = contractsDir({ 'thing.happened': [v1], 'orphan.happened': [v1, v2Breaking] });
    const result = runContractsCheck({ pipeline: pipelineOver(dir, [{ name: 'thing.happened' }]), schemasDir: dir });
    expect(result.exitCode).toBe(1);
    expect(result.lines).toContain('FAIL  orphan.happened: v1..v2 BACKWARD: 1 problem (no event type uses this folder; checked under the default mode)');
  });

  it('exits 2 when a contract file cannot be read', () => {
    const dir = contractsDir({ 'thing.happened': [v1] });
    const pipeline = pipelineOver(dir, [{ name: 'thing.happened' }]);
    mkdirSync(join(dir, 'broken.happened'));
    writeJson(join(dir, 'broken.happened', 'v1.json'), '{ not json');
    const result = runContractsCheck({ pipeline, schemasDir: dir });
    expect(result.exitCode).toBe(2);
    expect(result.errors[0]).toMatch(/broken\.happened\/v1\.json is not valid JSON/);
  });

  it('prints JSON for scripts', () => {
    const dir = contractsDir({ 'thing.happened': [v1, v2Breaking] });
    const result = runContractsCheck({ pipeline: pipelineOver(dir, [{ name: 'thing.happened' }]), schemasDir: dir, json: true });
    const parsed = JSON.parse(result.lines.join('\n'));
    expect(parsed.ok).toBe(false);
    expect(parsed.contracts[0]).toMatchObject({ name: 'thing.happened', mode: 'BACKWARD', versions: 2, ok: false });
    expect(parsed.contracts[0].comparisons[0].changes).toContainEqual(expect.objectContaining({ kind: 'MAX_LENGTH_DECREASED' }));
  });

  it("checks the repository's own contracts by default", () => {
    const result = runContractsCheck();
    expect(result.exitCode, result.lines.join('\n')).toBe(0);
    expect(result.lines.some((line) => line.startsWith('ok    user.signed-up: v1..v2 BACKWARD compatible'))).toBe(true);
  });
});

describe('the contracts command group', () => {
  it('holds compat and check (and whatever else registers) under one `contracts` command', () => {
    const program = new Command();
    registerCompat(program);
    registerCheck(program);
    const group = contractsCommand(program);
    expect(program.commands.filter((c) => c.name() === 'contracts')).toHaveLength(1);
    expect(group.commands.map((c) => c.name())).toEqual(['compat', 'check']);
  });

  it('sets the exit code through the registered action', async () => {
    const program = new Command().exitOverride();
    registerCompat(program);
    const dir = freshDir();
    const previous = writeJson(join(dir, 'v1.json'), v1);
    const next = writeJson(join(dir, 'v2.json'), v2Breaking);
    const writes: string[] = [];
    const exitCodeBefore = process.exitCode;
    const original = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => writes.push(chunk) > 0) as typeof process.stdout.write;
    try {
      await program.parseAsync(['node', 'fanout', 'contracts', 'compat', previous, next, '--mode', 'BACKWARD']);
    } finally {
      process.stdout.write = original;
    }
    const exitCode = process.exitCode;
    process.exitCode = exitCodeBefore;
    expect(exitCode).toBe(1);
    expect(writes.join('')).toContain('MAX_LENGTH_DECREASED #/properties/note/maxLength');
  });
});

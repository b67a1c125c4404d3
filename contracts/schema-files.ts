/**
 * Reads the contract data in schemas/: one folder per event type, one `vN.json` per version.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { FanoutError } from './errors';

/** A contract file could not be found, read or parsed. */
export class SchemaFileError extends FanoutError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SchemaFileError';
  }
}

/** One version of one contract, as stored in schemas/. */
export interface ContractVersion {
  /** 1, 2, ... in registration order. */
  readonly version: number;
  /** Path of the file it was read from. */
  readonly file: string;
  /** The JSON Schema document. */
  readonly schema: Record<string, unknown>;
  /** The file's text, exactly as registered in Glue. */
  readonly definition: string;
}

const VERSION_FILE = /^v([1-9][0-9]*)\.json$/;

/**
 * Loads every version of the contract in `schemasDir/folder`, ordered by version.
 * @throws SchemaFileError when the folder is missing, empty, has a gap in its versions,
 *   or a file is not a JSON object.
 */
export function loadContractVersions(schemasDir: string, folder: string): ContractVersion[] {
  const dir = join(schemasDir, folder);
  if (!existsSync(dir)) {
    throw new SchemaFileError(`contract folder ${dir} does not exist`);
  }
  const versions = readdirSync(dir)
    .map((name) => ({ name, match: VERSION_FILE.exec(name) }))
    .filter((entry) => entry.match !== null)
    .map(({ name, match }) => ({ version: Number(match![1]), file: join(dir, name) }))
    .sort((a, b) => a.version - b.version);
  if (versions.length === 0) {
    throw new SchemaFileError(`contract folder ${dir} has no version files (expected v1.json, v2.json, ...)`);
  }
  return versions.map(({ version, file }, index) => {
    if (version !== index + 1) {
      throw new SchemaFileError(`contract folder ${dir} skips version ${index + 1} (found v${version}.json)`);
    }
    const definition = readFileSync(file, 'utf8');
    let schema: unknown;
    try {
      schema = JSON.parse(definition);
    } catch (cause) {
      throw new SchemaFileError(`${file} is not valid JSON: ${(cause as Error).message}`, { cause });
    }
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
      throw new SchemaFileError(`${file} is not a JSON Schema object`);
    }
    return { version, file, schema: schema as Record<string, unknown>, definition };
  });
}

/** Every contract folder under `schemasDir`. */
export function listContractFolders(schemasDir: string): string[] {
  return readdirSync(schemasDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

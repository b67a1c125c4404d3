/**
 * How producers and consumers find the contract an event was written against.
 * The Glue Schema Registry is the source of truth at run time (see glue-registry.ts);
 * {@link FileContractResolver} reads schemas/ directly for tools and unit tests.
 */
import { UnknownContractError } from './errors';
import { loadContractVersions } from './schema-files';
import { compileValidator, type DataValidator } from './validation';

/** One contract version, ready to validate data. */
export interface ResolvedContract {
  readonly eventType: string;
  readonly version: number;
  readonly schema: Record<string, unknown>;
  readonly validate: DataValidator;
}

/** Finds contract versions by event type and version number. */
export interface ContractResolver {
  /**
   * @throws UnknownContractError when the event type or version does not exist
   * @throws TransientError (or an SDK error) when the registry cannot be reached
   */
  resolve(eventType: string, version: number): Promise<ResolvedContract>;
  /** The newest registered version of an event type (producers write the version they were generated against, see LATEST_VERSIONS). */
  latestVersion(eventType: string): Promise<number>;
}

/** Resolves contracts from the schemas/ folder (one folder per event type). */
export class FileContractResolver implements ContractResolver {
  private readonly cache = new Map<string, ResolvedContract[]>();

  constructor(
    private readonly schemasDir: string,
    /** Event type to contract folder, when they differ. @default folder = event type */
    private readonly folders: Readonly<Record<string, string>> = {},
  ) {}

  private versionsOf(eventType: string): ResolvedContract[] {
    let versions = this.cache.get(eventType);
    if (!versions) {
      try {
        versions = loadContractVersions(this.schemasDir, this.folders[eventType] ?? eventType).map((v) => ({
          eventType,
          version: v.version,
          schema: v.schema,
          validate: compileValidator(v.schema),
        }));
      } catch (cause) {
        throw new UnknownContractError(`no contract for event type "${eventType}" in ${this.schemasDir}`, { cause });
      }
      this.cache.set(eventType, versions);
    }
    return versions;
  }

  async resolve(eventType: string, version: number): Promise<ResolvedContract> {
    const found = this.versionsOf(eventType).find((v) => v.version === version);
    if (!found) throw new UnknownContractError(`event type "${eventType}" has no contract version ${version}`);
    return found;
  }

  async latestVersion(eventType: string): Promise<number> {
    return this.versionsOf(eventType).at(-1)!.version;
  }
}

/**
 * Contract lookups by Glue SchemaVersionId, for tools. Kept out of the resolver the
 * consumers bundle: a lookup by id names no schema, so IAM could only allow it on `*`,
 * and the consumers' grant names their own schemas (lib/constructs/contract-registry.ts).
 */
import { GetSchemaVersionCommand, type GetSchemaVersionResponse } from '@aws-sdk/client-glue';
import type { ResolvedContract } from './contract-resolver';
import { GlueContractResolver, InvalidContractDefinitionError, NEVER, toResolvedContract } from './glue-registry';

/** A {@link GlueContractResolver} that can also look a version up by its id. */
export class GlueContractLookup extends GlueContractResolver {
  /**
   * One contract version by its Glue SchemaVersionId (a UUID), cached like the others.
   * @throws UnknownContractError when no such version exists
   * @throws TransientError when Glue throttles, fails (5xx) or cannot be reached
   */
  async resolveById(schemaVersionId: string): Promise<ResolvedContract> {
    return this.cached(`id\u0000${schemaVersionId}`, NEVER, async () => {
      const response = await this.call<GetSchemaVersionResponse>(new GetSchemaVersionCommand({ SchemaVersionId: schemaVersionId }), `schema version ${schemaVersionId}`);
      // The schema ARN ends in `schema/<registry>/<schema name>`; the schema name is the event type.
      const eventType = response.SchemaArn?.split('/').at(-1);
      if (!eventType || response.VersionNumber === undefined) {
        throw new InvalidContractDefinitionError(`schema version ${schemaVersionId}: Glue returned no schema ARN or version number`);
      }
      return toResolvedContract(eventType, Number(response.VersionNumber), response, this.precompiled);
    });
  }
}

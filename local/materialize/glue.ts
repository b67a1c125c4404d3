/** The Glue schema registry on the emulator: the registry, its schemas and their versions, in order. */
import {
  CreateRegistryCommand,
  CreateSchemaCommand,
  GetRegistryCommand,
  GetSchemaByDefinitionCommand,
  GetSchemaCommand,
  RegisterSchemaVersionCommand,
  type Compatibility,
  type DataFormat,
} from '@aws-sdk/client-glue';
import { errorName, str, type Materialized, type ResourceContext } from './handler';
import type { ResourceStatus } from './resources';

/** Creates the registry, or reuses one an earlier run made. */
export async function createRegistry({ logicalId, props, clients }: ResourceContext): Promise<Materialized> {
  const name = str(props.Name)!;
  let arn: string;
  let status: ResourceStatus = 'created';
  try {
    ({ RegistryArn: arn } = (await clients.glue.send(
      new CreateRegistryCommand({ RegistryName: name, ...(str(props.Description) && { Description: str(props.Description) }) }),
    )) as { RegistryArn: string });
  } catch (error) {
    if (errorName(error) !== 'AlreadyExistsException') throw error;
    ({ RegistryArn: arn } = (await clients.glue.send(new GetRegistryCommand({ RegistryId: { RegistryName: name } }))) as { RegistryArn: string });
    status = 'reused';
  }
  // Ref of a Glue registry is its ARN.
  return { resource: { logicalId, type: 'AWS::Glue::Registry', ref: arn, attributes: { Arn: arn }, status } };
}

function registryId(registry: unknown): { RegistryArn?: string; RegistryName?: string } {
  const value = registry as { Arn?: string; Name?: string } | undefined;
  if (value?.Arn) return { RegistryArn: value.Arn };
  if (value?.Name) return { RegistryName: value.Name };
  throw new Error('Registry needs Arn or Name');
}

/** Creates a schema with its first version, or finds the one an earlier run made and that version's id. */
export async function createSchema({ logicalId, props, clients }: ResourceContext): Promise<Materialized> {
  const name = str(props.Name)!;
  const registry = registryId(props.Registry);
  const definition = str(props.SchemaDefinition)!;
  let arn: string;
  let versionId: string;
  let status: ResourceStatus = 'created';
  try {
    ({ SchemaArn: arn, SchemaVersionId: versionId } = (await clients.glue.send(
      new CreateSchemaCommand({
        RegistryId: registry,
        SchemaName: name,
        DataFormat: str(props.DataFormat) as DataFormat,
        Compatibility: (str(props.Compatibility) ?? 'BACKWARD') as Compatibility,
        SchemaDefinition: definition,
        ...(str(props.Description) && { Description: str(props.Description) }),
      }),
    )) as { SchemaArn: string; SchemaVersionId: string });
  } catch (error) {
    if (errorName(error) !== 'AlreadyExistsException') throw error;
    // moto looks schemas up by registry name only.
    const registryName = registry.RegistryName ?? registry.RegistryArn!.slice(registry.RegistryArn!.indexOf(':registry/') + ':registry/'.length);
    const schema = await clients.glue.send(new GetSchemaCommand({ SchemaId: { RegistryName: registryName, SchemaName: name } }));
    arn = schema.SchemaArn!;
    const first = await clients.glue.send(new GetSchemaByDefinitionCommand({ SchemaId: { SchemaArn: arn }, SchemaDefinition: definition }));
    versionId = first.SchemaVersionId!;
    status = 'reused';
  }
  return { resource: { logicalId, type: 'AWS::Glue::Schema', ref: arn, attributes: { Arn: arn, InitialSchemaVersionId: versionId }, status } };
}

/** Registers a later schema version. */
export async function registerSchemaVersion({ logicalId, props, clients }: ResourceContext): Promise<Materialized> {
  const schema = props.Schema as { SchemaArn?: string; RegistryName?: string; SchemaName?: string };
  const schemaId = schema.SchemaArn ? { SchemaArn: schema.SchemaArn } : { RegistryName: schema.RegistryName, SchemaName: schema.SchemaName };
  const definition = str(props.SchemaDefinition)!;
  // Registering a definition Glue already holds returns its existing version, so this is
  // safe on a second run.
  const { SchemaVersionId } = await clients.glue.send(new RegisterSchemaVersionCommand({ SchemaId: schemaId, SchemaDefinition: definition }));
  return { resource: { logicalId, type: 'AWS::Glue::SchemaVersion', ref: SchemaVersionId!, attributes: { VersionId: SchemaVersionId! }, status: 'created' } };
}

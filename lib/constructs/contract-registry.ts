/**
 * The Glue Schema Registry holding a pipeline's event contracts.
 */
import type { CfnResource } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { CompatibilityMode } from '../../contracts/compatibility-mode';
import { InfrastructureError } from './infrastructure-error';

/** One event type's contract: its versions, oldest first. */
export interface ContractProps {
  /** The event type, e.g. `user.signed-up`; also the Glue schema's name. */
  readonly eventType: string;
  /** Glue compatibility mode checked when a version is added. */
  readonly compatibility: CompatibilityMode;
  /** The schema files' text, v1 first, exactly as they are registered. */
  readonly versionDefinitions: readonly string[];
}

/** Properties of a {@link ContractRegistry}. */
export interface ContractRegistryProps {
  /** The registry's name, e.g. `fanout-sample-contracts`. */
  readonly registryName: string;
  /** One entry per event type. */
  readonly contracts: readonly ContractProps[];
  /** @default `Event contracts of <registryName>` */
  readonly description?: string;
}

/**
 * The Glue actions a consumer needs to fetch a contract version at run time: the kit
 * only resolves the version an envelope's `dataschema` names (GlueContractResolver's
 * `resolve`, one GetSchemaVersion by schema name and version number). It never asks for
 * the latest version (GetSchema), and nothing here can change the registry;
 * test/infra/iam-actions.test.ts keeps this list equal to what the kit calls.
 */
export const SCHEMA_READ_ACTIONS = ['glue:GetSchemaVersion'] as const;

/**
 * An AWS::Glue::Registry with one AWS::Glue::Schema per event type (JSON, its
 * compatibility mode, first version from schemas/) and every later version as an
 * AWS::Glue::SchemaVersion, each depending on the one before so that CloudFormation
 * registers them in order (Glue numbers versions by arrival and checks each against
 * the previous one).
 */
export class ContractRegistry extends Construct {
  /** The registry. */
  readonly registry: glue.CfnRegistry;
  /** The registry's name. */
  readonly registryName: string;
  /** The schema of each event type, by event type name. */
  readonly schemas: ReadonlyMap<string, glue.CfnSchema>;
  /** Versions 2, 3, ... of each event type, by event type name, in order. */
  readonly laterVersions: ReadonlyMap<string, readonly glue.CfnSchemaVersion[]>;

  constructor(scope: Construct, id: string, props: ContractRegistryProps) {
    super(scope, id);
    const description = props.description ?? `Event contracts of ${props.registryName}`;
    this.registryName = props.registryName;

    this.registry = new glue.CfnRegistry(this, 'Registry', { name: props.registryName, description });

    const schemas = new Map<string, glue.CfnSchema>();
    const laterVersions = new Map<string, glue.CfnSchemaVersion[]>();
    for (const contract of props.contracts) {
      const [first, ...rest] = contract.versionDefinitions;
      if (first === undefined) throw new InfrastructureError(`contract ${contract.eventType} has no versions`);
      const schema = new glue.CfnSchema(this, `Schema-${contract.eventType}`, {
        name: contract.eventType,
        registry: { arn: this.registry.attrArn },
        dataFormat: 'JSON',
        compatibility: contract.compatibility,
        schemaDefinition: first,
        description: `Contract of ${contract.eventType} events`,
      });
      schemas.set(contract.eventType, schema);
      let previous: CfnResource = schema;
      const versions = rest.map((definition, restIndex) => {
        const version = new glue.CfnSchemaVersion(this, `Schema-${contract.eventType}-v${restIndex + 2}`, {
          schema: { schemaArn: schema.attrArn },
          schemaDefinition: definition,
        });
        version.node.addDependency(previous);
        previous = version;
        return version;
      });
      laterVersions.set(contract.eventType, versions);
    }
    this.schemas = schemas;
    this.laterVersions = laterVersions;
  }

  /** The registry's ARN. */
  get registryArn(): string {
    return this.registry.attrArn;
  }

  /** The ARN of an event type's schema. @throws InfrastructureError for an event type not in the registry */
  schemaArn(eventType: string): string {
    const schema = this.schemas.get(eventType);
    if (!schema) throw new InfrastructureError(`no contract for event type "${eventType}" in registry ${this.registryName}`);
    return schema.attrArn;
  }

  /**
   * Lets `grantee` read the versions of the given event types' schemas, and no others
   * ({@link SCHEMA_READ_ACTIONS} on the registry and those schemas only).
   *
   * Enough because the kit looks a version up only by registry, schema name and version
   * number, so Glue can authorize the call against the schema's ARN. A lookup by
   * SchemaVersionId names no schema, and AWS's examples grant `*` for it; consumers never
   * make one (that lookup lives in contracts/glue-lookup-by-id.ts, for tools, outside the
   * resolver the kit bundles), so they get no `*`.
   */
  grantReadSchemas(grantee: iam.IGrantable, eventTypes: readonly string[]): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: [...SCHEMA_READ_ACTIONS],
      resourceArns: [this.registryArn, ...eventTypes.map((eventType) => this.schemaArn(eventType))],
    });
  }
}

/**
 * Shared by the infra tests: synthesizes a pipeline's app into a temporary cloud
 * assembly and hands back what the assertions need. Not a test file itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CfnElement, Environment } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { createFanoutApp, type FanoutApp } from '../../lib/fanout-stack';
import type { PipelineDefinition } from '../../model/pipeline-definition';
import { pipeline as samplePipeline } from '../../pipeline';

/** A synthesized pipeline. */
export interface Synthesized extends FanoutApp {
  readonly template: Template;
  /** The raw template, for reading whole property values. */
  readonly json: { Resources: Record<string, { Type: string; Properties?: any; DependsOn?: string[]; Metadata?: any }>; Outputs: Record<string, any> };
  /** The cloud assembly directory (assets are under it). */
  readonly outdir: string;
  /** The logical id of a construct's CloudFormation resource (its default child when it is an L2). */
  logicalId(construct: IConstruct): string;
  /** Removes the cloud assembly. */
  dispose(): void;
}

/** Options of {@link synthesize}. */
export interface SynthesizeOptions {
  /** @default the sample pipeline */
  readonly definition?: PipelineDefinition;
  /**
   * Bundle the functions with esbuild (slow: a second or more each). Tests that do not
   * look at the bundles skip it, as `cdk synth --exclusively` would.
   * @default false
   */
  readonly bundle?: boolean;
  /** Run the CDK's built-in CloudFormation validation (seconds). @default false */
  readonly cloudFormationValidation?: boolean;
  /** @default the project's schemas/ */
  readonly schemasDir?: string;
  /** @default the offline dummy account and region */
  readonly env?: Environment;
}

/** Builds and synthesizes the app (once per test file: call it in beforeAll). */
export function synthesize(options: SynthesizeOptions = {}): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'fanout-infra-'));
  const fanout = createFanoutApp({
    definition: options.definition ?? samplePipeline,
    outdir,
    ...(options.schemasDir !== undefined && { schemasDir: options.schemasDir }),
    ...(options.env !== undefined && { env: options.env }),
    cloudFormationValidation: options.cloudFormationValidation ?? false,
    context: {
      // What the CDK CLI sets: functions carry their asset's directory (the local runner reads it).
      'aws:cdk:enable-asset-metadata': true,
      ...(!options.bundle && { 'aws:cdk:bundling-stacks': [] }),
    },
  });
  const assembly = fanout.app.synth();
  const json = assembly.getStackArtifact(fanout.stack.artifactId).template;
  return {
    ...fanout,
    template: Template.fromJSON(json),
    json,
    outdir,
    logicalId(construct: IConstruct): string {
      const element = (construct.node.defaultChild ?? construct) as CfnElement;
      return fanout.stack.getLogicalId(element);
    },
    dispose: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

/** `{ "Fn::GetAtt": [id, "Arn"] }` */
export const arnOf = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });
/** `{ Ref: id }` */
export const refOf = (logicalId: string) => ({ Ref: logicalId });

/** One Allow statement of an IAM policy, normalised to arrays. */
export interface FlatStatement {
  readonly actions: string[];
  readonly resources: unknown[];
}

/** The Allow statements of every AWS::IAM::Policy attached to the role. */
export function roleStatements(synth: Synthesized, roleLogicalId: string): FlatStatement[] {
  const policies = Object.values(synth.json.Resources).filter(
    (r) => r.Type === 'AWS::IAM::Policy' && (r.Properties.Roles as unknown[]).some((role) => JSON.stringify(role) === JSON.stringify(refOf(roleLogicalId))),
  );
  return policies.flatMap((policy) =>
    (policy.Properties.PolicyDocument.Statement as any[])
      .filter((s) => s.Effect === 'Allow')
      .map((s) => ({ actions: [s.Action].flat(), resources: [s.Resource].flat() })),
  );
}

/** Every resource each action is allowed on, across the statements. */
export function resourcesByAction(statements: readonly FlatStatement[]): Map<string, string[]> {
  const byAction = new Map<string, string[]>();
  for (const statement of statements) {
    for (const action of statement.actions) {
      const list = byAction.get(action) ?? [];
      list.push(...statement.resources.map((r) => JSON.stringify(r)));
      byAction.set(action, list);
    }
  }
  for (const [action, list] of byAction) byAction.set(action, [...new Set(list)].sort());
  return byAction;
}

/** Sorted JSON of resource references, to compare with {@link resourcesByAction}. */
export const jsonSet = (...resources: unknown[]) => [...new Set(resources.map((r) => JSON.stringify(r)))].sort();

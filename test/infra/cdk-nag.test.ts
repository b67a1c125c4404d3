/**
 * cdk-nag AwsSolutions on the sample pipeline's stack: no unacknowledged finding, and
 * each acknowledgment justified, next to its resource, and still needed.
 */
import { App, Stack, Validations, type PolicyViolation } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipeline as samplePipeline } from '../../pipeline';
import { synthesize, type Synthesized } from './synth';

let synth: Synthesized;

// Bundling does not change what cdk-nag sees (the Code property points at an asset either way).
beforeAll(() => {
  synth = synthesize();
});
afterAll(() => synth?.dispose());

// Every consumer of the pipeline synthesized (the project's own, which `fanout new` adds to).
const CONSUMERS = samplePipeline.consumers.map((c) => c.name);

interface Acknowledgment {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

function acknowledgments(root: IConstruct): Acknowledgment[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

// cdk-nag reports each resource by its construct path (beyond CDK's PolicyViolatingResource type).
const summary = (violations: readonly PolicyViolation[]) =>
  violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${(r as { constructPath?: string }).constructPath}`)).sort();

describe('cdk-nag AwsSolutions', () => {
  it('finds no unacknowledged error or warning', () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(synth.app);
    expect(summary(report.violations)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('acknowledges only on resources, never on the stack or the app, each with a specific reason', () => {
    const all = acknowledgments(synth.app);
    expect(all.length).toBeGreaterThan(0);
    for (const ack of all) {
      expect(ack.path).not.toBe(synth.stack.node.path);
      expect(ack.path.split('/').length, ack.path).toBeGreaterThan(2);
      expect(ack.reason.length, `${ack.id} at ${ack.path}`).toBeGreaterThan(60);
    }
    expect(all.filter((a) => a.path === '' || a.path === synth.stack.node.path)).toEqual([]);
    // Exactly these, per consumer: X-Ray's unavoidable `*`, and the subscription DLQ (which
    // is a DLQ cdk-nag cannot recognise). The runtime needs none: Node.js 24 is the newest
    // the CDK knows, so AwsSolutions-L1 passes (see the pin in lib/constructs/consumer.ts).
    expect(all.map((a) => `${a.id} ${a.path}`).sort()).toEqual(
      CONSUMERS
        .flatMap((c) => [
          `AwsSolutions-IAM5[Resource::*] fanout-sample/Consumer-${c}/Role`,
          `AwsSolutions-SQS3 fanout-sample/Consumer-${c}/SubscriptionDeadLetterQueue`,
        ])
        .sort(),
    );
  });

  it('needs every acknowledgment: without them, exactly those findings appear', () => {
    const pack = new AwsSolutionsChecks(undefined, { verbose: false });
    // Only on this instance: shows what the acknowledgments hide, nothing more.
    (pack as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
    const report = pack.validateScope(synth.app);
    expect(summary(report.violations)).toEqual(
      CONSUMERS
        .flatMap((c) => [
          `AwsSolutions-IAM5[Resource::*] fanout-sample/Consumer-${c}/Role/DefaultPolicy/Resource`,
          `AwsSolutions-SQS3 fanout-sample/Consumer-${c}/SubscriptionDeadLetterQueue/Resource`,
        ])
        .sort(),
    );
  });

  it('is live: a queue without DLQ or TLS policy fails it', () => {
    // Proves the check is live on this tree, so a green result above means something.
    const app = new App();
    const stack = new Stack(app, 'Probe');
    new sqs.Queue(stack, 'Naked');
    const report = new AwsSolutionsChecks(undefined).validateScope(app);
    expect(summary(report.violations)).toEqual(['AwsSolutions-SQS3 Probe/Naked/Resource', 'AwsSolutions-SQS4 Probe/Naked/Resource']);
  });
});

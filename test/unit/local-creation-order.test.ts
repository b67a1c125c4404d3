import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { creationOrder } from '../../local/materialize';
import { TemplateResolutionError, type CfnTemplate } from '../../local/intrinsics';
import { readAssemblyStack, SynthError } from '../../local/synth';

describe('creationOrder', () => {
  it('creates what is referred to first, through Ref, GetAtt, Sub and DependsOn', () => {
    const template: CfnTemplate = {
      Resources: {
        Subscription: { Type: 'AWS::SNS::Subscription', Properties: { TopicArn: { Ref: 'Topic' }, Endpoint: { 'Fn::GetAtt': ['Queue', 'Arn'] } } },
        Queue: { Type: 'AWS::SQS::Queue', Properties: { RedrivePolicy: { deadLetterTargetArn: { 'Fn::Sub': '${Dlq.Arn}' } } } },
        Topic: { Type: 'AWS::SNS::Topic' },
        Dlq: { Type: 'AWS::SQS::Queue' },
        Version2: { Type: 'AWS::Glue::SchemaVersion', Properties: { Schema: { SchemaArn: { 'Fn::GetAtt': ['Schema', 'Arn'] } } }, DependsOn: 'Schema' },
        Version3: { Type: 'AWS::Glue::SchemaVersion', Properties: { Schema: { SchemaArn: { 'Fn::GetAtt': ['Schema', 'Arn'] } } }, DependsOn: ['Version2'] },
        Schema: { Type: 'AWS::Glue::Schema' },
      },
    };
    const order = creationOrder(template);
    const before = (a: string, b: string) => expect(order.indexOf(a), `${a} before ${b}`).toBeLessThan(order.indexOf(b));
    before('Dlq', 'Queue');
    before('Queue', 'Subscription');
    before('Topic', 'Subscription');
    before('Schema', 'Version2');
    before('Version2', 'Version3');
    expect(order).toHaveLength(7);
  });

  it('reports a dependency cycle with the resources in it', () => {
    const template: CfnTemplate = {
      Resources: {
        A: { Type: 'AWS::SQS::Queue', Properties: { X: { Ref: 'B' } } },
        B: { Type: 'AWS::SQS::Queue', Properties: { X: { Ref: 'A' } } },
      },
    };
    expect(() => creationOrder(template)).toThrow(TemplateResolutionError);
    expect(() => creationOrder(template)).toThrow(/cycle among A, B|cycle among B, A/);
  });
});

describe('readAssemblyStack', () => {
  it('finds a stack template through the assembly manifest', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fanout-assembly-'));
    writeFileSync(
      join(dir, 'manifest.json'),
      JSON.stringify({ artifacts: { app: { type: 'aws:cloudformation:stack', environment: 'aws://123456789012/eu-west-1', properties: { templateFile: 'app.template.json' } } } }),
    );
    writeFileSync(join(dir, 'app.template.json'), JSON.stringify({ Resources: { Q: { Type: 'AWS::SQS::Queue' } } }));
    const stack = readAssemblyStack(dir, 'app');
    expect(stack.template.Resources!.Q!.Type).toBe('AWS::SQS::Queue');
    expect(stack.environment).toBe('aws://123456789012/eu-west-1');
    expect(() => readAssemblyStack(dir, 'other')).toThrow(/has no stack "other" \(it has: app\)/);
  });

  it('says when a directory is not a cloud assembly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fanout-assembly-'));
    mkdirSync(join(dir, 'x'));
    expect(() => readAssemblyStack(dir, 'app')).toThrow(SynthError);
  });
});

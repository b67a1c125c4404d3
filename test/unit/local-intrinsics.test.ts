import { describe, expect, it } from 'vitest';
import { IntrinsicResolver, pseudoParameters, referencedLogicalIds, TemplateResolutionError, type CfnTemplate } from '../../local/intrinsics';

const template: CfnTemplate = {
  Parameters: { BootstrapVersion: { Type: 'String', Default: '/cdk-bootstrap/hnb659fds/version' } },
  Mappings: { RuntimeMap: { 'us-east-1': { value: 'nodejs24.x' } } },
  Conditions: {
    IsUsEast1: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] },
    NotUsEast1: { 'Fn::Not': [{ Condition: 'IsUsEast1' }] },
    Either: { 'Fn::Or': [{ Condition: 'NotUsEast1' }, { 'Fn::Equals': ['a', 'a'] }] },
  },
  Resources: {
    Dlq: { Type: 'AWS::SQS::Queue' },
    Queue: { Type: 'AWS::SQS::Queue' },
    Topic: { Type: 'AWS::SNS::Topic' },
  },
};

// Stands in for the emulator: what each resource's Ref and attributes are.
const physical: Record<string, Record<string, string>> = {
  Dlq: { Ref: 'http://127.0.0.1:5000/123456789012/dlq', Arn: 'arn:aws:sqs:us-east-1:123456789012:dlq', QueueName: 'dlq' },
  Queue: { Ref: 'http://127.0.0.1:5000/123456789012/q', Arn: 'arn:aws:sqs:us-east-1:123456789012:q', QueueName: 'q' },
  Topic: { Ref: 'arn:aws:sns:us-east-1:123456789012:t', TopicName: 't' },
};

function resolver(): IntrinsicResolver {
  return new IntrinsicResolver(template, {
    parameters: pseudoParameters('fanout-sample', 'us-east-1', '123456789012'),
    ref: (id) => physical[id]!.Ref,
    getAtt: (id, attribute, path) => {
      const value = physical[id]![attribute];
      if (value === undefined) throw new TemplateResolutionError(path, `no attribute ${attribute}`);
      return value;
    },
  });
}

describe('IntrinsicResolver', () => {
  it('resolves Ref and Fn::GetAtt (list and dotted forms) to the physical values', () => {
    const r = resolver();
    expect(r.resolve({ Ref: 'Queue' }, 'x')).toBe(physical.Queue!.Ref);
    expect(r.resolve({ 'Fn::GetAtt': ['Dlq', 'Arn'] }, 'x')).toBe(physical.Dlq!.Arn);
    expect(r.resolve({ 'Fn::GetAtt': 'Topic.TopicName' }, 'x')).toBe('t');
  });

  it('resolves a RedrivePolicy nested in an object, as CDK emits it', () => {
    const value = { RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Dlq', 'Arn'] }, maxReceiveCount: 5 }, VisibilityTimeout: 180 };
    expect(resolver().resolve(value, 'Resources.Queue.Properties')).toEqual({
      RedrivePolicy: { deadLetterTargetArn: 'arn:aws:sqs:us-east-1:123456789012:dlq', maxReceiveCount: 5 },
      VisibilityTimeout: 180,
    });
  });

  it('resolves pseudo parameters, parameter defaults and Fn::Join', () => {
    const r = resolver();
    expect(r.resolve({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sqs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }]] }, 'x')).toBe(
      'arn:aws:sqs:us-east-1:123456789012',
    );
    expect(r.resolve({ Ref: 'BootstrapVersion' }, 'x')).toBe('/cdk-bootstrap/hnb659fds/version');
    expect(r.resolve({ Ref: 'AWS::StackName' }, 'x')).toBe('fanout-sample');
  });

  it('resolves Fn::Select over Fn::Split, as CDK does to take a name out of an ARN', () => {
    expect(resolver().resolve({ 'Fn::Select': [5, { 'Fn::Split': [':', { 'Fn::GetAtt': ['Queue', 'Arn'] }] }] }, 'x')).toBe('q');
  });

  it('resolves Fn::Sub with resource names, attributes, explicit variables and the ${!literal} escape', () => {
    const r = resolver();
    expect(r.resolve({ 'Fn::Sub': 'arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:x' }, 'x')).toBe('arn:aws:sns:us-east-1:123456789012:x');
    expect(r.resolve({ 'Fn::Sub': '${Queue.QueueName}/${Topic}' }, 'x')).toBe('q/arn:aws:sns:us-east-1:123456789012:t');
    expect(r.resolve({ 'Fn::Sub': ['${Name}-${!Literal}', { Name: { 'Fn::GetAtt': ['Dlq', 'QueueName'] } }] }, 'x')).toBe('dlq-${Literal}');
  });

  it('evaluates conditions, Fn::If and drops AWS::NoValue', () => {
    const r = resolver();
    expect(r.condition('IsUsEast1')).toBe(true);
    expect(r.condition('NotUsEast1')).toBe(false);
    expect(r.condition('Either')).toBe(true);
    expect(r.resolve({ A: { 'Fn::If': ['IsUsEast1', 'yes', 'no'] }, B: { 'Fn::If': ['NotUsEast1', 'x', { Ref: 'AWS::NoValue' }] } }, 'x')).toEqual({ A: 'yes' });
    expect(r.resolve(['a', { Ref: 'AWS::NoValue' }, 'b'], 'x')).toEqual(['a', 'b']);
  });

  it('resolves Fn::FindInMap, Fn::Base64 and Fn::ToJsonString', () => {
    const r = resolver();
    expect(r.resolve({ 'Fn::FindInMap': ['RuntimeMap', { Ref: 'AWS::Region' }, 'value'] }, 'x')).toBe('nodejs24.x');
    expect(r.resolve({ 'Fn::Base64': 'hi' }, 'x')).toBe('aGk=');
    expect(r.resolve({ 'Fn::ToJsonString': { a: { Ref: 'Topic' } } }, 'x')).toBe('{"a":"arn:aws:sns:us-east-1:123456789012:t"}');
  });

  it('names the template path of what it cannot resolve', () => {
    const r = resolver();
    expect(() => r.resolve({ Ref: 'Nope' }, 'Resources.Sub.Properties.Endpoint')).toThrow(
      /Resources\.Sub\.Properties\.Endpoint\.Ref: Ref to unknown resource or parameter "Nope"/,
    );
    expect(() => r.resolve({ 'Fn::GetAtt': ['Queue', 'Nope'] }, 'p')).toThrow(TemplateResolutionError);
    expect(() => r.resolve({ 'Fn::ImportValue': 'shared' }, 'p')).toThrow(/Fn::ImportValue is not supported/);
    expect(() => r.resolve({ 'Fn::Select': [3, ['a']] }, 'p')).toThrow(/outside a list of 1/);
  });
});

describe('referencedLogicalIds', () => {
  it('collects the resources a value depends on, pseudo parameters and Sub variables excluded', () => {
    const value = {
      a: { Ref: 'Topic' },
      b: { 'Fn::GetAtt': ['Dlq', 'Arn'] },
      c: { 'Fn::Sub': ['${Queue.Arn}-${AWS::Region}-${Var}-${!Lit}', { Var: { Ref: 'Other' } }] },
      d: { Ref: 'AWS::Region' },
    };
    expect([...referencedLogicalIds(value)].sort()).toEqual(['Dlq', 'Other', 'Queue', 'Topic']);
  });
});

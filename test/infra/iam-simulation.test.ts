/**
 * The synthesized policies, evaluated as IAM would: an IAM policy simulator
 * (@cloud-copilot/iam-simulate) decides requests against the template's own topic,
 * key and role policies, with their intrinsics resolved to the ARNs a deploy in the
 * offline account would give. Checking that a condition is present says little; these
 * tests ask whether the request that must fail does fail, and the one that must pass
 * does pass.
 */
import { createValidatedPolicy, validateResourcePolicy } from '@cloud-copilot/iam-policy';
import { runSimulation, runUnsafeSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntrinsicResolver, pseudoParameters, type CfnTemplate } from '../../local/intrinsics';
import { OFFLINE_ENV } from '../../lib/fanout-stack';
import type { PipelineDefinition } from '../../model/pipeline-definition';
import { pipeline as samplePipeline } from '../../pipeline';
import { refOf, synthesize, type Synthesized } from './synth';

const { account, region } = OFFLINE_ENV;
const OTHER_ACCOUNT = '999999999999';
type Policy = { Version?: string; Statement: unknown[] };
type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

let synth: Synthesized;
let resolver: IntrinsicResolver;
let resources: Record<string, { Type: string; Properties?: any }>;

/** What a resource's Ref and Arn would be once deployed (physical names from the template where it fixes them). */
function physical(logicalId: string): { ref: string; arn: string } {
  const resource = resources[logicalId];
  if (!resource) throw new Error(`no resource ${logicalId}`);
  const p = resource.Properties ?? {};
  switch (resource.Type) {
    case 'AWS::SNS::Topic': {
      const arn = `arn:aws:sns:${region}:${account}:${p.TopicName ?? logicalId}${p.FifoTopic && !String(p.TopicName).endsWith('.fifo') ? '.fifo' : ''}`;
      return { ref: arn, arn };
    }
    case 'AWS::SQS::Queue':
      return { ref: `https://sqs.${region}.amazonaws.com/${account}/${p.QueueName}`, arn: `arn:aws:sqs:${region}:${account}:${p.QueueName}` };
    case 'AWS::DynamoDB::Table':
      return { ref: logicalId, arn: `arn:aws:dynamodb:${region}:${account}:table/${logicalId}` };
    case 'AWS::KMS::Key':
      return { ref: logicalId, arn: `arn:aws:kms:${region}:${account}:key/${logicalId}` };
    case 'AWS::IAM::Role':
      return { ref: logicalId, arn: `arn:aws:iam::${account}:role/${logicalId}` };
    default:
      return { ref: logicalId, arn: `arn:aws:${resource.Type.split('::')[1]!.toLowerCase()}:${region}:${account}:${logicalId}` };
  }
}

function resolved<T>(value: unknown, path: string): T {
  return resolver.resolve(value, path) as T;
}

/** The policy document of the AWS::SNS::TopicPolicy that covers a topic. */
function topicPolicy(topicLogicalId: string): Policy {
  const [id, policy] = Object.entries(resources).find(
    ([, r]) => r.Type === 'AWS::SNS::TopicPolicy' && (r.Properties.Topics as unknown[]).some((t) => JSON.stringify(t) === JSON.stringify(refOf(topicLogicalId))),
  )!;
  return resolved<Policy>(policy.Properties!.PolicyDocument, `Resources.${id}`);
}

/** Every identity policy attached to a role. */
function rolePolicies(roleLogicalId: string): { name: string; policy: Policy }[] {
  return Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::IAM::Policy' && (r.Properties.Roles as unknown[]).some((role) => JSON.stringify(role) === JSON.stringify(refOf(roleLogicalId))))
    .map(([id, r]) => ({ name: id, policy: resolved<Policy>(r.Properties!.PolicyDocument, `Resources.${id}`) }));
}

async function decide(simulation: {
  principal: string;
  action: string;
  resource: string;
  identityPolicies: { name: string; policy: Policy }[];
  resourcePolicy?: Policy;
  context?: Record<string, string | string[]>;
  /**
   * Evaluate without the simulator's input checks. Its check knows the key
   * `kms:EncryptionContext:${key}` but recognises a filled-in variable only after a `/`
   * (as in `aws:PrincipalTag/team`), so it would drop `kms:EncryptionContext:aws:sqs:arn`
   * from the request and every grant conditioned on it would look denied.
   */
  unchecked?: boolean;
}): Promise<Decision> {
  const principalAccount = simulation.principal.split(':')[4]!;
  const request: Simulation = {
    identityPolicies: simulation.identityPolicies as Simulation['identityPolicies'],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(simulation.resourcePolicy && { resourcePolicy: simulation.resourcePolicy as Simulation['resourcePolicy'] }),
    request: {
      principal: simulation.principal,
      action: simulation.action,
      resource: { resource: simulation.resource, accountId: account },
      contextVariables: {
        'aws:SecureTransport': 'true',
        'aws:PrincipalArn': simulation.principal,
        'aws:PrincipalAccount': principalAccount,
        ...simulation.context,
      },
    },
  } as Simulation;
  if (simulation.unchecked) {
    // The unchecked run reads the resource policy's name, which only a validated policy carries.
    const named = simulation.resourcePolicy && createValidatedPolicy(simulation.resourcePolicy, validateResourcePolicy, { name: 'resource' });
    return runUnsafeSimulation({ ...request, ...(named && { resourcePolicy: named }) } as Simulation, {}) as Decision;
  }
  const result = await runSimulation(request, {});
  if (result.resultType === 'error') throw new Error(`simulation refused: ${JSON.stringify(result.errors)}`);
  return result.overallResult as Decision;
}

/** An identity policy that allows everything: what is left to stop a request is the resource's own policy. */
const ALLOW_ALL = [{ name: 'admin', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }];

beforeAll(() => {
  synth = synthesize();
  resources = synth.json.Resources;
  resolver = new IntrinsicResolver(synth.json as CfnTemplate, {
    ref: (id) => physical(id).ref,
    getAtt: (id, attribute) => (attribute === 'Arn' ? physical(id).arn : `${id}.${attribute}`),
    parameters: pseudoParameters(synth.stack.stackName, region, account),
  });
});
afterAll(() => synth?.dispose());

describe('who may publish and subscribe (topic policy)', () => {
  const topicId = () => synth.logicalId(synth.stack.topics.get('user-events')!.topic);
  const publish = (principal: string) =>
    decide({ principal, action: 'sns:Publish', resource: physical(topicId()).arn, identityPolicies: ALLOW_ALL, resourcePolicy: topicPolicy(topicId()) });

  it("lets the listed producer's role publish", async () => {
    expect(await publish(`arn:aws:iam::${account}:role/fanout-sample-web-app`)).toBe('Allowed');
  });

  it('denies publishing to any other role of the account, even one IAM allows everything', async () => {
    expect(await publish(`arn:aws:iam::${account}:role/intruder`)).toBe('ExplicitlyDenied');
    expect(await publish(`arn:aws:iam::${account}:role/fanout-sample-billing`)).toBe('ExplicitlyDenied');
  });

  it('denies a role of the same name in another account', async () => {
    expect(await publish(`arn:aws:iam::${OTHER_ACCOUNT}:role/fanout-sample-web-app`)).toBe('ExplicitlyDenied');
  });

  const subscribe = (protocol: string, endpoint: string) =>
    decide({
      principal: `arn:aws:iam::${account}:role/operator`,
      action: 'sns:Subscribe',
      resource: physical(topicId()).arn,
      identityPolicies: ALLOW_ALL,
      resourcePolicy: topicPolicy(topicId()),
      context: { 'sns:Protocol': protocol, 'sns:Endpoint': endpoint },
    });

  it("lets only the stack's own consumer queues subscribe", async () => {
    const crmQueue = physical(synth.logicalId(synth.stack.consumers.get('crm-sync')!.queue)).arn;
    expect(await subscribe('sqs', crmQueue)).toBe('Allowed');
    expect(await subscribe('sqs', `arn:aws:sqs:${region}:${account}:copy-of-every-sign-up`)).toBe('ExplicitlyDenied');
    expect(await subscribe('https', 'https://collector.example.com/events')).toBe('ExplicitlyDenied');
    // billing-sync consumes another topic: its queue may not subscribe to this one.
    const billingQueue = physical(synth.logicalId(synth.stack.consumers.get('billing-sync')!.queue)).arn;
    expect(await subscribe('sqs', billingQueue)).toBe('ExplicitlyDenied');
  });
});

describe('each consumer touches only its own (identity policies)', () => {
  const roleOf = (consumer: string) => synth.logicalId(synth.stack.consumers.get(consumer)!.role);
  const asConsumer = (consumer: string, action: string, resource: string, context: Record<string, string | string[]>, resourcePolicy?: Policy) =>
    decide({
      principal: physical(roleOf(consumer)).arn,
      action,
      resource,
      identityPolicies: rolePolicies(roleOf(consumer)),
      context,
      ...(resourcePolicy && { resourcePolicy, unchecked: true }),
    });

  it("writes idempotency records under its own key prefix, never another consumer's", async () => {
    const table = physical(synth.logicalId(synth.stack.idempotencyTable.table)).arn;
    for (const action of ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem']) {
      expect(await asConsumer('crm-sync', action, table, { 'dynamodb:LeadingKeys': ['crm-sync#5f2b'] }), action).toBe('Allowed');
      expect(await asConsumer('crm-sync', action, table, { 'dynamodb:LeadingKeys': ['billing-sync#5f2b'] }), action).toBe('ImplicitlyDenied');
    }
    // A name that merely starts like another's does not share its prefix.
    expect(await asConsumer('crm-sync', 'dynamodb:PutItem', table, { 'dynamodb:LeadingKeys': ['crm-sync-shadow#5f2b'] })).toBe('ImplicitlyDenied');
    // No key in the request (a scan-like call): ForAllValues alone would let it through.
    expect(await asConsumer('crm-sync', 'dynamodb:PutItem', table, {})).toBe('ImplicitlyDenied');
  });

  it("uses its topic's key through SQS for its own queue and DLQ only", async () => {
    const consumer = synth.stack.consumers.get('crm-sync')!;
    const keyId = synth.logicalId(consumer.topic.key);
    const key = physical(keyId).arn;
    // KMS consults the key policy first: IAM policies count only where it lets the account's IAM decide.
    const keyPolicy = resolved<Policy>(resources[keyId]!.Properties!.KeyPolicy, `Resources.${keyId}`);
    const asCrm = (action: string, context: Record<string, string | string[]>) => asConsumer('crm-sync', action, key, context, keyPolicy);
    const viaSqs = `sqs.${region}.amazonaws.com`;
    const queueOf = (name: string) => physical(synth.logicalId(synth.stack.consumers.get(name)!.queue)).arn;
    const dlq = physical(synth.logicalId(consumer.deadLetterQueue)).arn;
    for (const action of ['kms:Decrypt', 'kms:GenerateDataKey']) {
      expect(await asCrm(action, { 'kms:ViaService': viaSqs, 'kms:EncryptionContext:aws:sqs:arn': queueOf('crm-sync') }), action).toBe('Allowed');
      expect(await asCrm(action, { 'kms:ViaService': viaSqs, 'kms:EncryptionContext:aws:sqs:arn': dlq }), action).toBe('Allowed');
      // email-marketing's queue is encrypted with the same key.
      expect(await asCrm(action, { 'kms:ViaService': viaSqs, 'kms:EncryptionContext:aws:sqs:arn': queueOf('email-marketing') }), action).toBe('ImplicitlyDenied');
      // The key used directly, not through SQS.
      expect(await asCrm(action, { 'kms:EncryptionContext:aws:sqs:arn': queueOf('crm-sync') }), action).toBe('ImplicitlyDenied');
    }
  });
});

describe('producers in other accounts (topic and key policies)', () => {
  const PARTNER = '999999999999';
  const WHOLE = '888888888888';
  let partnerSynth: Synthesized;
  let partnerResolver: IntrinsicResolver;
  beforeAll(() => {
    const definition: PipelineDefinition = {
      ...samplePipeline,
      topics: samplePipeline.topics.map((t) => (t.name === 'user-events' ? { ...t, publishers: [`arn:aws:iam::${PARTNER}:role/partner-producer`, WHOLE] } : t)),
    };
    partnerSynth = synthesize({ definition });
    partnerResolver = new IntrinsicResolver(partnerSynth.json as CfnTemplate, {
      ref: (id) => physicalIn(partnerSynth, id).ref,
      getAtt: (id, attribute) => (attribute === 'Arn' ? physicalIn(partnerSynth, id).arn : `${id}.${attribute}`),
      parameters: pseudoParameters(partnerSynth.stack.stackName, region, account),
    });
  });
  afterAll(() => partnerSynth?.dispose());

  function physicalIn(target: Synthesized, id: string) {
    const saved = resources;
    resources = target.json.Resources;
    try {
      return physical(id);
    } finally {
      resources = saved;
    }
  }

  const decideOn = async (principal: string, action: string, what: 'topic' | 'key') => {
    const topic = partnerSynth.stack.topics.get('user-events')!;
    const id = partnerSynth.logicalId(what === 'topic' ? topic.topic : topic.key);
    const r = partnerSynth.json.Resources[id]!;
    const policy =
      what === 'topic'
        ? Object.entries(partnerSynth.json.Resources).find(
            ([, p]) => p.Type === 'AWS::SNS::TopicPolicy' && (p.Properties.Topics as unknown[]).some((t) => JSON.stringify(t) === JSON.stringify(refOf(id))),
          )![1].Properties.PolicyDocument
        : r.Properties.KeyPolicy;
    return decide({
      principal,
      action,
      resource: physicalIn(partnerSynth, id).arn,
      identityPolicies: ALLOW_ALL,
      resourcePolicy: partnerResolver.resolve(policy, id) as Policy,
      context: what === 'key' ? { 'kms:ViaService': `sns.${region}.amazonaws.com` } : {},
    });
  };

  it('lets the listed role of another account publish and use the key through SNS, and no other role of it', async () => {
    expect(await decideOn(`arn:aws:iam::${PARTNER}:role/partner-producer`, 'sns:Publish', 'topic')).toBe('Allowed');
    expect(await decideOn(`arn:aws:iam::${PARTNER}:role/partner-producer`, 'kms:GenerateDataKey', 'key')).toBe('Allowed');
    expect(await decideOn(`arn:aws:iam::${PARTNER}:role/someone-else`, 'sns:Publish', 'topic')).toBe('ExplicitlyDenied');
    expect(await decideOn(`arn:aws:iam::${PARTNER}:role/someone-else`, 'kms:GenerateDataKey', 'key')).toBe('ImplicitlyDenied');
  });

  it('lets any role of a listed account publish, and none of an unlisted one', async () => {
    expect(await decideOn(`arn:aws:iam::${WHOLE}:role/anything`, 'sns:Publish', 'topic')).toBe('Allowed');
    expect(await decideOn(`arn:aws:iam::${WHOLE}:role/anything`, 'kms:Decrypt', 'key')).toBe('Allowed');
    expect(await decideOn(`arn:aws:iam::777777777777:role/anything`, 'sns:Publish', 'topic')).toBe('ExplicitlyDenied');
    expect(await decideOn(`arn:aws:iam::777777777777:role/anything`, 'kms:Decrypt', 'key')).toBe('ImplicitlyDenied');
  });
});

/**
 * RUNBOOK.md: generated from the definition, the alarm catalog and the synthesized
 * template; every alarm in the template has its section; the committed file is current.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateRunbook, RUNBOOK_PATH, synthesizeTemplate } from '../../cli/runbook';
import { SCHEMAS_DIR } from '../../cli/context';
import { alarmCatalog } from '../../model/alarm-catalog';
import { resolvePipeline } from '../../model/pipeline-definition';
import { pipeline as samplePipeline } from '../../pipeline';
import { renderRunbook, REPLAY_EXAMPLE, runbookAnchors, RunbookError, templateAlarms } from '../../ops/runbook';

const pipeline = resolvePipeline(samplePipeline, SCHEMAS_DIR);
let template: unknown;
let runbook: string;

beforeAll(async () => {
  // One synthesis (without bundling) for the whole file.
  template = await synthesizeTemplate(samplePipeline);
  runbook = await generateRunbook(samplePipeline, template);
}, 120_000);

describe('runbook', () => {
  it('the committed RUNBOOK.md is what `npx fanout runbook` generates (regenerate and commit when this fails)', () => {
    expect(readFileSync(RUNBOOK_PATH, 'utf8')).toBe(runbook);
  });

  it('lists every alarm of the template by name, and has the section each description points at', () => {
    const alarms = templateAlarms(template);
    expect(alarms).toHaveLength(alarmCatalog(pipeline).length);
    const anchors = runbookAnchors(runbook);
    for (const alarm of alarms) {
      expect(alarm.alarmName, alarm.logicalId).toBeDefined();
      expect(runbook).toContain(`\`${alarm.alarmName}\``);
      expect(alarm.anchor, alarm.logicalId).toBeDefined();
      expect(anchors.has(alarm.anchor!), `#${alarm.anchor}`).toBe(true);
    }
  });

  it('has DLQ, redrive, replay and pause sections for every consumer, with its commands', () => {
    const anchors = runbookAnchors(runbook);
    for (const consumer of pipeline.consumers) {
      for (const suffix of ['dlq', 'redrive', 'replay', 'pause']) expect(anchors.has(`${consumer.name}-${suffix}`), `${consumer.name}-${suffix}`).toBe(true);
      expect(runbook).toContain(`npx fanout dlq ${consumer.name}`);
      expect(runbook).toContain(`npx fanout redrive ${consumer.name} --rate 10`);
      expect(runbook).toContain(`OutputKey=='EventSourceMappingId${consumer.name.split('-').map((p) => p[0]!.toUpperCase() + p.slice(1)).join('')}'`);
    }
    expect(runbook).toContain('--no-enabled');
    // Only the FIFO topic with an archive can replay.
    expect(runbook).toContain('npx fanout replay billing-events --from 6h --consumer billing-sync');
    expect(runbook).not.toContain('npx fanout replay user-events');
  });

  it('is deterministic: no dates, same text twice', async () => {
    expect(await generateRunbook(samplePipeline, template)).toBe(runbook);
    // The only timestamps are the fixed ones of the replay example: nothing from the clock.
    const withoutExample = runbook.replaceAll(REPLAY_EXAMPLE.from, '').replaceAll(REPLAY_EXAMPLE.to, '');
    expect(withoutExample).not.toMatch(/\d{4}-\d\d-\d\d/);
  });

  it('says who each severity reaches, and loudly when nobody is paged', () => {
    expect(runbook).toContain('**Nobody is paged.**');
    for (const spec of alarmCatalog(pipeline)) expect(runbook).toContain(`| \`${spec.alarmName}\` | ${spec.severity} |`);
    const staffed = { ...pipeline, onCall: { page: [{ email: 'oncall@example.com' }], warn: [{ topicArn: 'arn:aws:sns:us-east-1:123456789012:chatbot' }] } };
    const text = renderRunbook({ pipeline: staffed, catalog: alarmCatalog(staffed), alarms: templateAlarms(template), queueNames: () => ({ queue: 'q', deadLetterQueue: 'd', subscriptionDeadLetterQueue: 's' }) });
    expect(text).toContain('**page** alarms (events dead-lettered or not delivered: they wait for a person): email oncall@example.com; and every **warn** target.');
    expect(text).toContain('**warn** alarms (early signs: age, backlog, errors, throttles, duration): topic arn:aws:sns:us-east-1:123456789012:chatbot.');
    expect(text).not.toContain('Nobody is paged');
  });

  it('says who to contact for each consumer and each producer', () => {
    for (const consumer of pipeline.consumers) expect(runbook).toContain(`- Who to contact: ${consumer.owner!.team}, ${consumer.owner!.contact}.`);
    expect(runbook).toContain('- `role/fanout-sample-web-app`: web-app, web-app-oncall@example.com');
    expect(runbook).toContain('- `role/fanout-sample-billing`: billing, billing-oncall@example.com');
  });

  it('refuses a template whose alarm points at no section', () => {
    const bad = {
      Resources: {
        Stray: { Type: 'AWS::CloudWatch::Alarm', Properties: { AlarmName: 'stray', AlarmDescription: 'Something. Runbook: RUNBOOK.md#nowhere' } },
      },
    };
    expect(() =>
      renderRunbook({
        pipeline,
        catalog: alarmCatalog(pipeline),
        alarms: templateAlarms(bad),
        queueNames: () => ({ queue: 'q', deadLetterQueue: 'd', subscriptionDeadLetterQueue: 's' }),
      }),
    ).toThrow(RunbookError);
  });
});

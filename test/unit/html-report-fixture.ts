/**
 * A run's report data for the HTML report's tests: 100 events over 10 s, two consumers,
 * first-try effects in tens of milliseconds, ten crm-sync effects applied after a retry
 * (seconds later), two invalid events dead-lettered by each, and a queue sample every second.
 */
import { createEnvelope, envelopeAttributes } from '../../contracts/envelope';
import type { PlannedEvent, PublicationRecord } from '../../local/demo-workload';
import type { DepthSample } from '../../local/html-report';
import { buildReport, type ConsumerObservations, type ConsumerTarget, type EffectRecord, type RunReport } from '../../local/report';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:user-events';
/** When the fixture's run started, epoch ms. */
export const T0 = Date.parse('2026-12-03T12:00:00Z');

function publication(id: string, atMs: number, valid: boolean): PublicationRecord {
  const data = { marketingOptIn: true };
  const event: PlannedEvent = { kind: valid ? 'valid' : 'invalid', id, type: 'user.signed-up', version: 2, subject: `usr_${id}`, data, via: 'publisher', valid };
  const envelope = createEnvelope({ type: 'user.signed-up', version: 2, data, subject: `usr_${id}`, source: 'urn:test', id, correlationId: id, time: new Date(atMs) });
  return { event, message: { body: JSON.stringify(envelope), attributes: envelopeAttributes(envelope) }, topicArn: TOPIC, publishedAtMs: atMs, eventTimeMs: atMs };
}

/** What the fixture's report was built from, and the report (with the run facts start.ts adds). */
export interface HtmlFixture {
  readonly report: RunReport & { run: Record<string, unknown> };
  readonly publications: PublicationRecord[];
  readonly observations: Map<string, ConsumerObservations>;
  readonly samples: DepthSample[];
}

/** Builds the fixture; `consumers` names its two consumers. */
export function htmlFixture(consumers: readonly [string, string] = ['crm-sync', 'email-marketing']): HtmlFixture {
  const [crm, email] = consumers;
  const publications = Array.from({ length: 100 }, (_, i) => publication(`e${i}`, T0 + i * 100, i !== 7 && i !== 8));
  const crmEffects = new Map<string, EffectRecord>();
  const emailEffects = new Map<string, EffectRecord>();
  const failedAttempts = new Map<string, number[]>();
  for (const [i, p] of publications.entries()) {
    if (!p.event.valid) continue;
    const retried = i % 10 === 3;
    // First tries: 20 to 200 ms; retried ones: 2 to 20 s, after a failure 50 ms in.
    crmEffects.set(p.event.id, { applications: 1, appliedAtMs: p.eventTimeMs + (retried ? 2000 * (1 + (i % 10)) + i * 100 : 20 + ((i * 37) % 181)) });
    if (retried) failedAttempts.set(p.event.id, [p.eventTimeMs + 50]);
    emailEffects.set(p.event.id, { applications: 1, appliedAtMs: p.eventTimeMs + 30 + ((i * 13) % 50) });
  }
  // One crm-sync failure after its write had committed: still a first-try effect.
  failedAttempts.set('e5', [crmEffects.get('e5')!.appliedAtMs + 10]);
  const deadLetters = new Map([
    ['e7', { errorName: 'ContractViolationError', reason: 'ContractViolationError: bad' }],
    ['e8', { errorName: 'ContractViolationError', reason: 'ContractViolationError: bad' }],
  ]);
  const observations = new Map<string, ConsumerObservations>([
    [crm, { effects: crmEffects, deadLetters, unreadDeadLetters: 0, staleIds: new Set(), duplicatesSuppressed: 0, retried: 10, failedAttempts }],
    [email, { effects: emailEffects, deadLetters, unreadDeadLetters: 0, staleIds: new Set(), duplicatesSuppressed: 0, retried: 0 }],
  ]);
  const targets: ConsumerTarget[] = [crm, email].map((name) => ({ name, topicArn: TOPIC, filterPolicyScope: 'MessageAttributes' }));
  const samples: DepthSample[] = Array.from({ length: 31 }, (_, s) => ({
    atMs: T0 + s * 1000,
    depths: { [crm]: s <= 10 ? 5 : Math.max(0, 12 - s), [email]: s <= 10 ? 2 : 0 },
    retried: { [crm]: Math.min(10, Math.max(0, s - 2)), [email]: 0 },
    deadLettered: { [crm]: s >= 2 ? 2 : 0, [email]: s >= 3 ? 2 : 0 },
  }));
  const report = buildReport(publications, targets, observations);
  return {
    report: {
      ...report,
      run: {
        offeredRatePerSecond: 10,
        endToEndSeconds: 29.9,
        throughputEventsPerSecond: 3.3,
        throughputCause: 'the last effects waited out the retry backoff of 10 retried deliveries: that is the backoff, not the emulator',
        drained: true,
      },
    },
    publications,
    observations,
    samples,
  };
}

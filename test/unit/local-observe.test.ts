import { describe, expect, it } from 'vitest';
import { ConsumerTelemetry } from '../../local/observe';
import { ProgressLine } from '../../local/progress';

// Lines as Powertools writes them: an EMF document per flush, JSON log lines with the
// keys the kit appends per record.
const EMF = JSON.stringify({
  _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: 'Fanout/x', Dimensions: [['service']], Metrics: [{ Name: 'Processed', Unit: 'Count' }, { Name: 'Duplicate', Unit: 'Count' }] }] },
  service: 'crm-sync',
  Processed: [1, 1, 1],
  Duplicate: 1,
});

describe('ConsumerTelemetry', () => {
  it('sums EMF metric values, single or grouped in an array', () => {
    const telemetry = new ConsumerTelemetry();
    telemetry.read(EMF);
    telemetry.read(EMF);
    expect(telemetry.metric('Processed')).toBe(6);
    expect(telemetry.metric('Duplicate')).toBe(2);
    expect(telemetry.metric('Stale')).toBe(0);
  });

  it('collects the ids of events logged as skipped stale, and only those', () => {
    const telemetry = new ConsumerTelemetry();
    telemetry.read(JSON.stringify({ level: 'INFO', message: 'stale event: the downstream holds a newer state for its subject, skipped', event_id: 'e1' }));
    telemetry.read(JSON.stringify({ level: 'INFO', message: 'event applied', event_id: 'e2' }));
    telemetry.read(JSON.stringify({ level: 'INFO', message: 'stale event: no id' }));
    expect([...telemetry.staleIds]).toEqual(['e1']);
  });

  it('counts as stale a redelivery acknowledged as a duplicate of a stale skip (the skipping invocation was killed before it logged)', () => {
    const telemetry = new ConsumerTelemetry();
    telemetry.read(JSON.stringify({ level: 'INFO', message: 'duplicate event: already applied, acknowledged', outcome: 'stale', event_id: 'e4' }));
    telemetry.read(JSON.stringify({ level: 'INFO', message: 'duplicate event: already applied, acknowledged', outcome: 'applied', event_id: 'e5' }));
    expect([...telemetry.staleIds]).toEqual(['e4']);
  });

  it('passes over plain lines (a crash’s stack trace) and broken JSON, and goes on reading', () => {
    const telemetry = new ConsumerTelemetry();
    telemetry.read('Error: boom');
    telemetry.read('{not json');
    telemetry.read('stale event e0');
    expect(telemetry.metrics).toEqual({});
    expect(telemetry.staleIds.size).toBe(0);
    telemetry.read(JSON.stringify({ level: 'INFO', message: 'stale event: skipped', event_id: 'e3' }));
    expect([...telemetry.staleIds]).toEqual(['e3']);
  });
});

describe('ProgressLine', () => {
  function stream(isTTY: boolean) {
    const writes: string[] = [];
    return { writes, stream: { isTTY, write: (text: string) => writes.push(text) } as unknown as NodeJS.WriteStream };
  }
  const state = { phase: 'publishing', published: 40, planned: 100, applied: 35, retried: 2, deadLettered: 1, backlog: 5 };

  it('formats the counts with the elapsed time', () => {
    expect(ProgressLine.format(state, 75_000)).toBe('[01:15] publishing published 40/100  applied 35  retried 2  dead-lettered 1  backlog 5');
  });

  it('redraws one line on a terminal and ends it before other output', () => {
    const { writes, stream: out } = stream(true);
    const progress = new ProgressLine(out);
    progress.update(state);
    progress.update(state);
    progress.message('note');
    progress.done();
    expect(writes.filter((w) => w.startsWith('\r\x1b[2K[')).length).toBe(2);
    expect(writes.at(-1)).toBe('note\n');
  });

  it('prints whole lines at most every interval when not on a terminal', () => {
    const { writes, stream: out } = stream(false);
    const progress = new ProgressLine(out, 60_000);
    progress.update(state);
    progress.update(state);
    progress.update(state, true);
    expect(writes).toHaveLength(2);
    expect(writes.every((w) => w.endsWith('\n') && !w.includes('\r'))).toBe(true);
  });
});

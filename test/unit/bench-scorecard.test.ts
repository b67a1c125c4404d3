import { describe, expect, it } from 'vitest';
import { score, scoreLine } from '../../bench/scorecard';

describe('bench scorecard', () => {
  it('meets a target only when the figure is on its side of it, inclusive', () => {
    expect(score({ id: 'a', label: 'bundle', value: 450, unit: 'KB', target: { op: '<=', value: 450 } }).met).toBe(true);
    expect(score({ id: 'a', label: 'bundle', value: 450.1, unit: 'KB', target: { op: '<=', value: 450 } }).met).toBe(false);
    expect(score({ id: 'b', label: 'rate', value: 39.9, unit: 'events/s', target: { op: '>=', value: 40 } }).met).toBe(false);
    expect(score({ id: 'b', label: 'rate', value: 40, unit: 'events/s', target: { op: '>=', value: 40 } }).met).toBe(true);
  });

  it('never counts a figure it could not measure as met, and leaves a figure without target unscored', () => {
    expect(score({ id: 'c', label: 'peer', value: null, unit: 'x', target: { op: '<=', value: 0.85 } }).met).toBe(false);
    expect(score({ id: 'd', label: 'info', value: 3, unit: 'x' }).met).toBeUndefined();
  });

  it('prints the verdict, the figure, the target and the baseline on one line', () => {
    const line = scoreLine(score({ id: 'a', label: 'consumer bundle', value: 598.04, unit: 'KB', baseline: { label: 'without levers', value: 652.2 }, target: { op: '<=', value: 450 } }));
    expect(line).toBe('not met  consumer bundle: 598 KB (target <= 450; without levers: 652)');
    expect(scoreLine(score({ id: 'c', label: 'peer', value: null, unit: 'x', target: { op: '<=', value: 0.85 }, note: 'not built' }))).toBe('not met  peer: not measured (target <= 0.85) (not built)');
    expect(scoreLine(score({ id: 'g', label: 'Glue calls', value: 0, unit: 'calls', target: { op: '<=', value: 0 } }))).toMatch(/^met +Glue calls: 0 calls/);
  });
});

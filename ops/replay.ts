/**
 * Replaying a FIFO topic's archived messages to its subscriptions: parsing the time
 * range an operator gives and building the subscription's ReplayPolicy. Pure.
 */
import { FanoutError } from '../contracts/errors';
import type { ResolvedTopic } from '../model/pipeline-definition';

/** The replay cannot be done as asked (bad time, no archive): exit code 2. */
export class ReplayInputError extends FanoutError {
  readonly exitCode = 2;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReplayInputError';
  }
}

const RELATIVE = /^(\d+)\s*(m|min|h|d)$/i;
const UNIT_MS = { m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * Parses `2026-11-28T09:30:00Z` (any ISO 8601 timestamp with a zone) or a duration
 * before `now`: `90m`, `6h`, `2d`.
 * @throws ReplayInputError on anything else
 */
export function parseTime(text: string, now: Date): Date {
  const relative = RELATIVE.exec(text.trim());
  if (relative) {
    const unit = relative[2]!.toLowerCase() as keyof typeof UNIT_MS;
    return new Date(now.getTime() - Number(relative[1]) * UNIT_MS[unit]);
  }
  // A timestamp without a zone would be read in the machine's zone: refuse the ambiguity.
  if (!/([zZ]|[+-]\d{2}:?\d{2})$/.test(text.trim())) {
    throw new ReplayInputError(`"${text}" is not a time: use an ISO 8601 timestamp with a zone (2026-11-28T09:30:00Z) or a duration ago (90m, 6h, 2d)`);
  }
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new ReplayInputError(`"${text}" is not a valid timestamp`);
  return new Date(ms);
}

/** A checked replay window. */
export interface ReplayWindow {
  readonly from: Date;
  readonly to?: Date;
}

/**
 * Checks that the topic can replay and the window lies inside its archive.
 * @throws ReplayInputError when the topic is not FIFO, has no archive, or the window is outside it
 */
export function checkReplayWindow(topic: ResolvedTopic, from: Date, to: Date | undefined, now: Date): ReplayWindow {
  if (!topic.fifo) throw new ReplayInputError(`topic ${topic.name} is a standard topic: SNS archives and replays FIFO topics only`);
  if (topic.archiveRetentionDays === undefined) {
    throw new ReplayInputError(`topic ${topic.name} has no message archive: set archiveRetentionDays on it in the pipeline definition and deploy (only messages published after that can be replayed)`);
  }
  if (from.getTime() > now.getTime()) throw new ReplayInputError(`--from ${from.toISOString()} is in the future`);
  if (to !== undefined && to.getTime() <= from.getTime()) throw new ReplayInputError(`--to ${to.toISOString()} must be after --from ${from.toISOString()}`);
  const oldest = now.getTime() - topic.archiveRetentionDays * 86_400_000;
  if (from.getTime() < oldest) {
    throw new ReplayInputError(`--from ${from.toISOString()} is older than the archive keeps (${topic.archiveRetentionDays} days: from ${new Date(oldest).toISOString()})`);
  }
  return { from, ...(to !== undefined && { to }) };
}

/** The subscription attribute value SNS takes to start a replay. */
export function replayPolicy(window: ReplayWindow): string {
  return JSON.stringify({
    PointType: 'Timestamp',
    StartingPoint: window.from.toISOString(),
    ...(window.to !== undefined && { EndingPoint: window.to.toISOString() }),
  });
}

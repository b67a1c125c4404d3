/**
 * Fixtures of the ops unit tests.
 */
import { createEnvelope, type CloudEvent } from '../../contracts/envelope';

/** A valid `user.signed-up` v2 envelope with fixed ids. */
export function signedUpEvent(): CloudEvent {
  return createEnvelope({
    type: 'user.signed-up',
    version: 2,
    id: 'evt-0001',
    correlationId: 'corr-0001',
    subject: 'usr_abc123',
    source: 'urn:fanout:test',
    time: new Date('2026-01-15T09:00:00Z'),
    data: { userId: 'usr_abc123', email: 'ada@example.com', name: 'Ada', plan: 'pro', signedUpAt: '2026-01-15T09:00:00Z' },
  });
}

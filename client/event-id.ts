/**
 * Event ids that survive a retry.
 *
 * The event id is the consumers' idempotency key: two publishes with the same id are one
 * event to every consumer, two publishes with different ids are two events. A producer
 * that publishes again after a failure it cannot read (a timeout, a lost connection, a
 * crash before it recorded the answer) must therefore send the *same* id. Either keep
 * the id the first try used (every publish error carries it as `eventId`), or derive it
 * from what the event is about, so that any process, after any crash, computes it again:
 * {@link deterministicEventId}.
 *
 * Why a name-based UUID (RFC 9562 version 5, SHA-1) and not a plain `<type>:<key>`:
 * it has the shape of the default ids (a UUID, 36 characters, within every limit the id
 * meets on its way: SNS FIFO's 128-character deduplication id and its character set, the
 * `<consumer>#<id>` idempotency key), a business key of any length or alphabet fits in
 * it, a key that is personal data (an e-mail address) does not end up in logs, traces and
 * dead-letter attributes, and other languages derive the same one with common libraries
 * (Python's `uuid.uuid5`, Go's `uuid.NewSHA1`, the npm `uuid` package's `v5`), so a
 * producer that uses the plain SDK can follow the same rule.
 */
import { createHash } from 'node:crypto';

/**
 * The namespace of Fanout's event ids: `uuid5(NAMESPACE_URL, "urn:fanout:event-id")`
 * (RFC 9562's URL namespace, 6ba7b811-9dad-11d1-80b4-00c04fd430c8).
 */
export const FANOUT_EVENT_ID_NAMESPACE = '0918309c-9ff4-568c-b7cc-9da8746c3414';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The RFC 9562 version-5 (SHA-1, name-based) UUID of `name` in `namespace`, lower case.
 * @throws RangeError when `namespace` is not a UUID
 */
export function uuidV5(namespace: string, name: string): string {
  if (!UUID_PATTERN.test(namespace)) throw new RangeError(`namespace must be a UUID, got "${namespace}"`);
  const hash = createHash('sha1').update(Buffer.from(namespace.replaceAll('-', ''), 'hex')).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50; // version 5
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // the RFC's variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The id of the event of type `eventType` that `businessKey` names: the same inputs give
 * the same id in every process and language, so publishing again after any failure is a
 * retry of the same event, never a new one.
 *
 * The rule, for producers that do not use this client:
 * `uuid5(FANOUT_EVENT_ID_NAMESPACE, eventType + ":" + businessKey)`, UTF-8, lower-case hex.
 *
 * `businessKey` must name one *occurrence*, not only the entity: `order-42` names the
 * order, and every later event about it would collapse into the first; `order-42/placed`
 * or `usr_1/profile/rev-7` (an entity and its revision or version) names one change.
 * @param namespace a producer's own namespace UUID, to keep its ids apart from others' with the same keys
 * @throws RangeError when `eventType` or `businessKey` is empty, or `namespace` is not a UUID
 * @example
 * await publisher.publish('user.profile-updated', data, { subject: data.userId, id: deterministicEventId('user.profile-updated', `${data.userId}/rev-${data.revision}`) });
 */
export function deterministicEventId(eventType: string, businessKey: string, namespace: string = FANOUT_EVENT_ID_NAMESPACE): string {
  if (eventType === '') throw new RangeError('eventType must not be empty');
  if (businessKey === '') throw new RangeError('businessKey must not be empty: it is what makes the id the same on every retry');
  return uuidV5(namespace, `${eventType}:${businessKey}`);
}

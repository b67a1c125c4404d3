/**
 * What consumer bundles get for `@smithy/core/event-streams` (the bundling aliases that
 * entry point to this module; see CONSUMER_BUNDLE_ALIASES in lib/consumer-bundling.ts).
 *
 * Why that is safe: the SDK's protocols load event-stream support (~19 KB with what it
 * pulls) through one dynamic `import()` in HttpProtocol.loadEventStreamCapability, which
 * runs only for an operation whose input or output has an event-stream member. The
 * clients a consumer holds (SQS, DynamoDB, Glue) have no such operation:
 * test/infra/consumer-bundling.test.ts checks every operation of each, and that the
 * dynamic import is still this entry point's only importer. esbuild cannot leave a
 * dynamic import out of a single-file bundle, so without the alias it ships the code.
 * Should a client with event streams ever be bundled, its call fails loudly here.
 */
import { FanoutError } from '../../contracts/errors';

/** An SDK capability left out of the consumer bundle was reached. */
export class UnbundledCapabilityError extends FanoutError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnbundledCapabilityError';
  }
}

const MESSAGE =
  'AWS SDK event streams are not in the consumer bundle (lib/consumer-bundling.ts aliases @smithy/core/event-streams away): no SQS, DynamoDB or Glue operation uses them';

/** Stands in for the SDK's event-stream serde; never constructed by SQS, DynamoDB or Glue calls. */
export class EventStreamSerde {
  constructor() {
    throw new UnbundledCapabilityError(MESSAGE);
  }
}

/** Stands in for the SDK's event-stream marshaller provider. */
export function eventStreamSerdeProvider(): never {
  throw new UnbundledCapabilityError(MESSAGE);
}

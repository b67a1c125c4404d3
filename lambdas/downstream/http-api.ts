/**
 * The HTTP downstream: a real API reached with fetch and a per-request timeout.
 * 2xx applied; 409 Conflict on a guarded call means "I hold a newer version" (stale);
 * 408, 425 and 429 and every 5xx are transient, like timeouts and network errors;
 * any other 4xx is permanent. Each call carries the event id as `Idempotency-Key`, so an
 * API that honours it absorbs the rare repeat the kit cannot prevent.
 *
 * A guarded call with `whenStale: 'fill-missing'` that is refused with 409 is followed by
 * `PATCH` on the same path with the same body and `x-write-mode: fill-missing`: the API
 * sets only the fields the resource lacks and overwrites none (the HTTP form of
 * DynamoDB's `if_not_exists`). Its 2xx makes the outcome `applied`. It carries its own
 * idempotency key (`<event id>:fill-missing`): reusing the PUT's key for a different
 * request would be answered with the PUT's stored 409, or refused.
 */
import { Outcome } from '../kit/consumer';
import type { AppliedEvent } from './applied-event';
import { DownstreamRejectedError, DownstreamTimeoutError, DownstreamUnavailableError } from './errors';
import { WhenStale } from './when-stale';

/** Options of {@link HttpApi}. */
export interface HttpApiOptions {
  /** Base URL, e.g. `https://crm.example.com/api/`. */
  readonly baseUrl: string;
  /** Per-request timeout, milliseconds. */
  readonly timeoutMs: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/** One call. */
export interface HttpCall {
  readonly method: 'PUT' | 'POST' | 'PATCH';
  /** Path segments, each URL-encoded and joined to the base URL. */
  readonly path: readonly string[];
  readonly body: unknown;
  /** Send the event's order and treat 409 as stale. */
  readonly guarded: boolean;
  /** With the guard: what to do on a 409 (see the module comment). @default WhenStale.Skip */
  readonly whenStale?: WhenStale;
}

/** The header telling the API to set only the fields the resource lacks. */
export const WRITE_MODE_HEADER = 'x-write-mode';

// Statuses that say "try again later" although they are 4xx.
const RETRYABLE_4XX = new Set([408, 425, 429]);
const MAX_DETAIL = 300;

/** Calls one HTTP API with the kit's error classification. */
export class HttpApi {
  private readonly baseUrl: string;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: HttpApiOptions) {
    this.baseUrl = options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`;
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  /**
   * Sends one change.
   * @returns `stale` on 409 for a guarded call (unless its fill of missing fields then
   *   succeeds: `applied`), `applied` on 2xx
   * @throws DownstreamRejectedError (permanent) on other 4xx
   * @throws DownstreamUnavailableError / DownstreamTimeoutError (transient) on 5xx, 408/425/429, network errors, timeouts
   */
  async send(call: HttpCall, event: AppliedEvent): Promise<Outcome> {
    const outcome = await this.request(call.method, call, event, {
      'idempotency-key': event.id,
      ...(call.guarded && { 'x-event-sequence': String(event.order.sequence), 'x-event-time': event.time }),
    });
    if (outcome === Outcome.Stale && call.whenStale === WhenStale.FillMissing) {
      // Unguarded: the fill overwrites nothing, so the order does not matter to it, and a
      // 409 now would be the API breaking that promise (a permanent rejection).
      return this.request('PATCH', { ...call, guarded: false }, event, {
        'idempotency-key': `${event.id}:${WhenStale.FillMissing}`,
        [WRITE_MODE_HEADER]: WhenStale.FillMissing,
      });
    }
    return outcome;
  }

  private async request(method: HttpCall['method'], call: HttpCall, event: AppliedEvent, headers: Record<string, string>): Promise<Outcome> {
    const url = new URL(call.path.map(encodeURIComponent).join('/'), this.baseUrl);
    const what = `${method} ${url.pathname}`;
    let response: Response;
    try {
      response = await this.fetch(url, {
        method,
        headers: { 'content-type': 'application/json', 'x-correlation-id': event.correlationid, ...headers },
        body: JSON.stringify(call.body),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new DownstreamTimeoutError(`${what}: no answer within ${this.options.timeoutMs} ms`, { cause: error });
      }
      throw new DownstreamUnavailableError(`${what}: ${(error as Error).message}`, { cause: error });
    }
    const detail = await readDetail(response);
    const { status } = response;
    if (status >= 200 && status < 300) return Outcome.Applied;
    if (status === 409 && call.guarded) return Outcome.Stale;
    if (status >= 500 || RETRYABLE_4XX.has(status)) {
      throw new DownstreamUnavailableError(`${what}: HTTP ${status}${detail}`, { status });
    }
    throw new DownstreamRejectedError(`${what}: HTTP ${status}${detail}`, { status });
  }
}

// Reads the body (so the connection is released) and keeps its start for the error message.
async function readDetail(response: Response): Promise<string> {
  try {
    const text = (await response.text()).trim();
    return text ? `: ${text.slice(0, MAX_DETAIL)}` : '';
  } catch {
    return '';
  }
}

import { describe, expect, it } from 'vitest';
import { isPermanent } from '../../contracts/errors';
import type { AppliedEvent } from '../../lambdas/downstream/applied-event';
import { DownstreamRejectedError, DownstreamTimeoutError, DownstreamUnavailableError } from '../../lambdas/downstream/errors';
import { HttpApi } from '../../lambdas/downstream/http-api';
import { WhenStale } from '../../lambdas/downstream/when-stale';

const EVENT: AppliedEvent = {
  id: 'evt-1',
  type: 'user.profile-updated',
  subject: 'usr_1',
  time: '2026-11-28T10:00:00.000Z',
  correlationid: 'corr-1',
  order: { sequence: 3, timeMs: 0 },
};

/** A fetch double answering `status`, recording requests. */
function fakeFetch(answer: (url: URL, init: RequestInit) => Promise<Response>) {
  const requests: { url: URL; init: RequestInit }[] = [];
  const fetch = (async (url: URL, init: RequestInit) => {
    requests.push({ url, init });
    return answer(url, init);
  }) as unknown as typeof globalThis.fetch;
  return { fetch, requests };
}

const status = (code: number, body = '') => async () => new Response(body || null, { status: code });

describe('HTTP downstream', () => {
  it('sends the change with its idempotency key, correlation id and order, and reports 2xx as applied', async () => {
    const { fetch, requests } = fakeFetch(status(204));
    const api = new HttpApi({ baseUrl: 'https://crm.example.com/api', timeoutMs: 1000, fetch });
    expect(await api.send({ method: 'PUT', path: ['contacts', 'usr 1'], body: { name: 'Ada' }, guarded: true }, EVENT)).toBe('applied');
    const { url, init } = requests[0]!;
    expect(url.href).toBe('https://crm.example.com/api/contacts/usr%201');
    expect(init.method).toBe('PUT');
    expect(init.body).toBe('{"name":"Ada"}');
    expect(init.headers).toMatchObject({ 'idempotency-key': 'evt-1', 'x-correlation-id': 'corr-1', 'x-event-sequence': '3', 'x-event-time': EVENT.time });
    expect(init.signal).toBeInstanceOf(AbortSignal);
  });

  it('reports 409 on a guarded call as stale, and as a permanent rejection otherwise', async () => {
    const api = new HttpApi({ baseUrl: 'https://x/', timeoutMs: 1000, fetch: fakeFetch(status(409, 'newer revision held')).fetch });
    expect(await api.send({ method: 'PUT', path: ['c'], body: {}, guarded: true }, EVENT)).toBe('stale');
    await expect(api.send({ method: 'PUT', path: ['c'], body: {}, guarded: false }, EVENT)).rejects.toBeInstanceOf(DownstreamRejectedError);
  });

  it('on 409, fills what the resource lacks when the call asks for it: PATCH, same body, its own idempotency key', async () => {
    const { fetch, requests } = fakeFetch(async (_url, init) => new Response(null, { status: init.method === 'PUT' ? 409 : 200 }));
    const api = new HttpApi({ baseUrl: 'https://crm.example.com/api/', timeoutMs: 1000, fetch });
    const call = { method: 'PUT' as const, path: ['contacts', 'usr_1'], body: { plan: 'pro' }, guarded: true, whenStale: WhenStale.FillMissing };
    expect(await api.send(call, EVENT)).toBe('applied');
    expect(requests.map((r) => `${r.init.method} ${r.url.href}`)).toEqual(['PUT https://crm.example.com/api/contacts/usr_1', 'PATCH https://crm.example.com/api/contacts/usr_1']);
    const patch = requests[1]!.init;
    expect(patch.body).toBe('{"plan":"pro"}');
    expect(patch.headers).toMatchObject({ 'x-write-mode': 'fill-missing', 'idempotency-key': 'evt-1:fill-missing', 'x-correlation-id': 'corr-1' });
    // The fill overwrites nothing, so it carries no order.
    expect(patch.headers).not.toHaveProperty('x-event-sequence');
  });

  it('maps the fill’s failures like any call: 5xx transient, 409 (the API broke its promise) permanent', async () => {
    const call = { method: 'PUT' as const, path: ['c'], body: {}, guarded: true, whenStale: WhenStale.FillMissing };
    const unavailable = new HttpApi({ baseUrl: 'https://x/', timeoutMs: 1000, fetch: fakeFetch(async (_u, init) => new Response(null, { status: init.method === 'PUT' ? 409 : 503 })).fetch });
    const transient = await unavailable.send(call, EVENT).catch((e: unknown) => e);
    expect(transient).toBeInstanceOf(DownstreamUnavailableError);
    expect((transient as Error).message).toMatch(/^PATCH \/c: HTTP 503/);
    const conflicting = new HttpApi({ baseUrl: 'https://x/', timeoutMs: 1000, fetch: fakeFetch(status(409)).fetch });
    await expect(conflicting.send(call, EVENT)).rejects.toBeInstanceOf(DownstreamRejectedError);
  });

  it.each([400, 401, 403, 404, 422])('treats HTTP %i as permanent', async (code) => {
    const api = new HttpApi({ baseUrl: 'https://x/', timeoutMs: 1000, fetch: fakeFetch(status(code, 'email is invalid')).fetch });
    const error = await api.send({ method: 'POST', path: ['c'], body: {}, guarded: false }, EVENT).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownstreamRejectedError);
    expect(isPermanent(error)).toBe(true);
    expect((error as DownstreamRejectedError).status).toBe(code);
    expect((error as Error).message).toContain(code === 422 ? 'email is invalid' : String(code));
  });

  it.each([408, 425, 429, 500, 502, 503, 504])('treats HTTP %i as transient', async (code) => {
    const api = new HttpApi({ baseUrl: 'https://x/', timeoutMs: 1000, fetch: fakeFetch(status(code)).fetch });
    const error = await api.send({ method: 'POST', path: ['c'], body: {}, guarded: false }, EVENT).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownstreamUnavailableError);
    expect(isPermanent(error)).toBe(false);
  });

  it('gives up after the timeout, transiently', async () => {
    const hanging = fakeFetch(
      (_url, init) =>
        new Promise((_resolve, reject) => {
          init.signal!.addEventListener('abort', () => reject(init.signal!.reason));
        }),
    );
    const api = new HttpApi({ baseUrl: 'https://x/', timeoutMs: 30, fetch: hanging.fetch });
    const started = Date.now();
    const error = await api.send({ method: 'PUT', path: ['c'], body: {}, guarded: false }, EVENT).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownstreamTimeoutError);
    expect(isPermanent(error)).toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('treats a network error as transient', async () => {
    const api = new HttpApi({ baseUrl: 'https://x/', timeoutMs: 1000, fetch: fakeFetch(async () => Promise.reject(new TypeError('fetch failed'))).fetch });
    await expect(api.send({ method: 'PUT', path: ['c'], body: {}, guarded: false }, EVENT)).rejects.toBeInstanceOf(DownstreamUnavailableError);
  });
});

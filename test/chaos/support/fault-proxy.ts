/**
 * A fault-injecting TCP proxy for chaos tests: clients connect to it instead of the
 * emulator (one service's SDK endpoint, e.g. `AWS_ENDPOINT_URL_DYNAMODB`), and a test
 * decides what the network does between them.
 *
 * Why our own and not Toxiproxy: the faults needed are two (a dependency that refuses
 * connections, and one that accepts them and then goes silent), Toxiproxy would add a Go
 * build or a binary download to CI's install steps, and its HTTP control API to every
 * test; forty lines of `node:net` do both faults in-process, and stop with the test.
 */
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** What the proxy does with traffic. */
export const ProxyMode = {
  /** Forwards every byte both ways. */
  Pass: 'pass',
  /** Resets every open connection and every new one: "connection refused / reset". */
  Refuse: 'refuse',
  /** Accepts connections and forwards nothing, either way: a dependency frozen mid-call. */
  Stall: 'stall',
} as const;

/** One of {@link ProxyMode}. */
export type ProxyMode = (typeof ProxyMode)[keyof typeof ProxyMode];

/** A running proxy in front of one `host:port`. */
export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: give it to clients as their endpoint. */
  readonly endpoint: string;
  /** Switches the fault; open connections are reset on Refuse, frozen on Stall, resumed on Pass. */
  setMode(mode: ProxyMode): void;
  /** Connections accepted so far. */
  readonly connections: () => number;
  /** Closes every connection and the listener. */
  close(): Promise<void>;
}

/** Starts a proxy on a free loopback port in front of `target` (an http://host:port URL). */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const { hostname, port } = new URL(target);
  let mode: ProxyMode = ProxyMode.Pass;
  let accepted = 0;
  const pairs = new Set<{ client: Socket; upstream: Socket }>();

  const apply = (pair: { client: Socket; upstream: Socket }) => {
    if (mode === ProxyMode.Refuse) {
      pair.client.resetAndDestroy();
      pair.upstream.destroy();
    } else if (mode === ProxyMode.Stall) {
      pair.client.pause();
      pair.upstream.pause();
    } else {
      pair.client.resume();
      pair.upstream.resume();
    }
  };

  const server: Server = createServer((client) => {
    accepted += 1;
    if (mode === ProxyMode.Refuse) {
      client.resetAndDestroy();
      return;
    }
    const upstream = createConnection({ host: hostname, port: Number(port) });
    const pair = { client, upstream };
    pairs.add(pair);
    // Plain writes, not pipe(): pipe() resumes a source on 'drain', which would end a stall.
    // A paused socket emits no 'data', so a stalled pair moves nothing either way.
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => client.write(chunk));
    const forget = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', forget).on('close', forget);
    upstream.on('error', forget).on('close', forget);
    apply(pair);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    setMode(next) {
      mode = next;
      for (const pair of pairs) apply(pair);
    },
    connections: () => accepted,
    async close() {
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

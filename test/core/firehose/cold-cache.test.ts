// Cold cache: a loopback relay streams commits from thousands of did:plc accounts whose keys only
// a PLC directory stub knows, and the stub answers each audit-log request after 100 ms. Account
// look-ups run concurrently (bounded), so the cold run keeps most of the throughput of a warm
// run over the same frames; each DID is looked up once; everything verifies; the curve of
// frames/s is printed.
//
// ATCLI_FIREHOSE_PERF=1 runs the acceptance version: 10,000 accounts × 3 commits from a relay
// that sends 2,500 frames/s, asserting ≥ 2,000 frames/s and a backlog that does not grow.
import { createServer, type Server } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { FirehosePipeline, type AccountLookup } from '../../../src/core/firehose/pipeline.js';
import { networkAccountResolver } from '../../../src/core/firehose/keys.js';
import { subscribeFrames } from '../../../src/core/firehose/subscriber.js';
import { coldFixture } from './cold-cache-fixture.js';
import { TestRelay } from './test-relay.js';
import { firehoseWorkerUrl } from './worker-bundle.js';

const PERF = process.env.ATCLI_FIREHOSE_PERF === '1';
const ACCOUNTS = PERF ? 10_000 : 1_000;
const COMMITS_EACH = PERF ? 3 : 5;
const RATE = PERF ? 2_500 : undefined;

/** A PLC directory that serves audit logs only, each after `delayMs`. */
class PlcStub {
  requests = 0;
  inFlight = 0;
  maxInFlight = 0;
  readonly perDid = new Map<string, number>();
  private constructor(private readonly server: Server) {}
  static async start(logs: Map<string, string>, delayMs: number): Promise<PlcStub> {
    let stub!: PlcStub;
    const server = createServer((req, res) => {
      const m = /^\/(did:plc:[a-z2-7]{24})\/log\/audit$/.exec(req.url ?? '');
      const body = m ? logs.get(m[1]!) : undefined;
      stub.requests++;
      stub.inFlight++;
      stub.maxInFlight = Math.max(stub.maxInFlight, stub.inFlight);
      if (m) stub.perDid.set(m[1]!, (stub.perDid.get(m[1]!) ?? 0) + 1);
      setTimeout(() => {
        stub.inFlight--;
        res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
        res.end(body ?? JSON.stringify({ message: 'DID not registered' }));
      }, delayMs);
    });
    stub = new PlcStub(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return stub;
  }
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of closers) await c();
});

describe('cold cache', () => {
  it(`${ACCOUNTS} accounts whose keys come from a directory answering in 100 ms: looked up concurrently, throughput close to a warm cache`, async () => {
    const fixture = coldFixture(ACCOUNTS, COMMITS_EACH);
    const total = fixture.frames.length;
    const stub = await PlcStub.start(fixture.auditLogs, 100);
    closers.push(() => stub.close());
    const workerUrl = await firehoseWorkerUrl();
    const http = { timeoutMs: 30_000, userAgent: 'atcli-test', allowPrivateNetwork: false, connectTo: [] };
    const looked = new Map<string, AccountLookup>();

    const run = async (warm: boolean) => {
      const relay = await TestRelay.start({ entries: fixture.frames.map((data, i) => ({ seq: i + 1, data })), ...(RATE ? { rate: RATE } : {}) });
      closers.push(() => relay.close());
      const p = new FirehosePipeline({
        verify: true,
        workers: 2,
        workerUrl,
        resolveAccount: networkAccountResolver({ http, plcUrl: stub.url }),
        onAccount: (did, result) => void looked.set(did, result),
      });
      if (warm) for (const [did, result] of looked) p.primeAccount(did, result);
      const curve: Array<{ s: number; frames: number; sent: number }> = [];
      const t0 = performance.now();
      const timer = setInterval(() => curve.push({ s: Math.round((performance.now() - t0) / 100) / 10, frames: p.stats.frames, sent: relay.connections[0]?.sent.length ?? 0 }), 1000);
      let failures = 0;
      for await (const batch of p.run(subscribeFrames({ url: relay.url, cursor: 0 }))) {
        failures += batch.filter((o) => o.kind === 'failure').length;
        if (p.stats.frames >= total) break;
      }
      clearInterval(timer);
      const ms = performance.now() - t0;
      return { fps: total / (ms / 1000), ms, curve, failures, frames: p.stats.frames };
    };

    const cold = await run(false);
    const requestsAfterCold = stub.requests;
    const warm = await run(true);
    const show = (name: string, r: typeof cold) =>
      `${name}: ${r.frames} frames in ${(r.ms / 1000).toFixed(1)} s = ${Math.round(r.fps)} frames/s; per second: ${r.curve.map((c, i) => `${c.frames - (r.curve[i - 1]?.frames ?? 0)}`).join(' ')}${RATE ? `; backlog (sent − processed): ${r.curve.map((c) => c.sent - c.frames).join(' ')}` : ''}`;
    process.stdout.write(`\n[cold cache] ${show('cold', cold)}\n[cold cache] ${show('warm', warm)}\n[cold cache] directory: ${requestsAfterCold} requests, at most ${stub.maxInFlight} at once\n`);

    expect(cold.failures).toBe(0);
    expect(warm.failures).toBe(0);
    // Each DID looked up once, many at once, within the bound; a warm cache asks nothing.
    expect(requestsAfterCold).toBe(ACCOUNTS);
    expect([...stub.perDid.values()].every((n) => n === 1)).toBe(true);
    expect(stub.requests).toBe(requestsAfterCold);
    expect(stub.maxInFlight).toBeGreaterThan(16);
    expect(stub.maxInFlight).toBeLessThanOrEqual(64);
    // Sequential look-ups alone would take ACCOUNTS × 100 ms. The cold run keeps a good share of
    // the warm throughput (on an idle machine about the same; the bound allows for a loaded one).
    expect(cold.ms).toBeLessThan((ACCOUNTS * 100) / 4);
    expect(cold.fps / warm.fps).toBeGreaterThan(0.4);
    if (PERF) {
      expect(cold.fps).toBeGreaterThanOrEqual(2000);
      const backlog = cold.curve.map((c) => c.sent - c.frames);
      const half = backlog.slice(Math.floor(backlog.length / 2));
      expect(Math.max(...half)).toBeLessThanOrEqual(Math.max(...backlog.slice(0, Math.ceil(backlog.length / 2))) + RATE!);
    }
  }, PERF ? 600_000 : 300_000);
});

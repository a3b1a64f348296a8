// Findings of the PLC watch from audit logs built offline.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PlcDirectoryClient } from '../../../src/core/plc/directory.js';
import { checkPlcIdentities, nextBaseline, readWatchState, writeWatchState } from '../../../src/core/plc/watch.js';
import { atprotoOp, HOUR_MS, LogBuilder, makeKeys, T0 } from './helpers.js';

function directory(logs: Record<string, unknown[]>): PlcDirectoryClient {
  return {
    getAuditLog: async (did: string) => {
      const entries = logs[did];
      if (entries === undefined) throw Object.assign(new Error(`no ${did}`), { kind: 'notFound' });
      return entries;
    },
  } as unknown as PlcDirectoryClient;
}

describe('checkPlcIdentities', () => {
  const keys = makeKeys();
  const log = new LogBuilder();
  const g = log.add(atprotoOp(keys, null), keys.r0, T0);
  const byR1 = log.add(atprotoOp(keys, g, 'alice1.example.com'), keys.r1, T0 + HOUR_MS);
  const byR2 = log.add(atprotoOp(keys, byR1, 'evil.example.com'), keys.r2, T0 + 2 * HOUR_MS);
  const plc = directory({ [log.did]: log.entries });
  const at = (h: number) => () => new Date(T0 + h * HOUR_MS);

  it('reports operations not signed by the user, with the window left and who can undo them', async () => {
    const r1 = keys.r1.publicKey.did();
    const report = await checkPlcIdentities({ plc, dids: [log.did], myKeys: [r1], now: at(10) });
    expect(report.status).toBe('alert');
    expect(report.findings.map((f) => f.cid)).toEqual([byR2]);
    const f = report.findings[0]!;
    expect(f.signedBy).toEqual({ keyIndex: 2, key: keys.r2.publicKey.did() });
    expect(f.window.remainingMs).toBe(64 * HOUR_MS);
    expect(f.remedy).toMatchObject({ prev: byR1, nullifies: [byR2], key: r1, keyIndex: 1, possible: true });
    expect(f.remedy.operation?.alsoKnownAs).toEqual(['at://alice1.example.com']);
    expect(f.changes.join('\n')).toMatch(/evil\.example\.com/);
  });

  it('says when none of the user keys outranks the signer, and skips closed windows unless asked', async () => {
    const report = await checkPlcIdentities({ plc, dids: [log.did], myKeys: [keys.r2.publicKey.did()], now: at(10) });
    const f = report.findings.find((x) => x.cid === byR1)!;
    expect(f.remedy.possible).toBe(false);
    expect(f.remedy.reason).toMatch(/highest-priority key is #2.*signed by #1/);
    expect((await checkPlcIdentities({ plc, dids: [log.did], myKeys: [], now: at(100) })).findings).toEqual([]);
    const late = await checkPlcIdentities({ plc, dids: [log.did], myKeys: [], now: at(100), includeExpired: true });
    expect(late.findings.map((x) => x.window.open)).toEqual([false, false]);
    expect(late.findings[0]!.remedy.reason).toMatch(/72h/);
  });

  it('reports each operation once across checks (baseline), and a DID it cannot fetch as unchecked', async () => {
    const first = await checkPlcIdentities({ plc, dids: [log.did, 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa'], myKeys: [], now: at(10) });
    expect(first.findings).toHaveLength(2);
    expect(first.dids[1]).toMatchObject({ status: 'unchecked' });
    const baseline = nextBaseline({}, first);
    expect(baseline).toEqual({ [log.did]: 2 });
    const again = await checkPlcIdentities({ plc, dids: [log.did], myKeys: [], now: at(11), baseline });
    expect(again).toMatchObject({ status: 'clean', findings: [] });
  });

  it('keeps the baseline in a 0600 state file and refuses a foreign one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atcli-watch-'));
    const path = join(dir, 'state', 'watch.json');
    expect(await readWatchState(path)).toEqual({});
    await writeWatchState(path, { [log.did]: 2 });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(await readWatchState(path)).toEqual({ [log.did]: 2 });
    writeFileSync(path, '{"kind":"other"}');
    await expect(readWatchState(path)).rejects.toMatchObject({ code: 'InvalidWatchState' });
  });
});

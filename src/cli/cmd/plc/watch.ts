import { AtcliError, EXIT_CODES, runtime, usage } from '../../../core/errors.js';
import type { WatchReport } from '../../../core/plc/watch.js';
import { defineCommand } from '../../spec.js';
import { arg, did, duration, opt, type Parser } from '../../flags.js';
import { describeFinding, roundSummary, runHook } from './watch-report.js';

const didKey: Parser<string> = (text, flag) => {
  if (!/^did:key:z[1-9A-HJ-NP-Za-km-z]+$/.test(text)) throw usage('InvalidKey', `${flag}: "${text.slice(0, 100)}" is not a did:key`, { hint: 'give your rotation keys as public keys: did:key:z…' });
  return text;
};

function exitFor(status: Exclude<WatchReport['status'], 'unchecked'>): number {
  return status === 'clean' ? 0 : EXIT_CODES.invalid;
}

export default defineCommand({
  description:
    "Watches did:plc identities for operations not signed by one of your own rotation keys (a PDS or anyone else holding a rotation key changing your handle, keys or host). Each finding names what changed, the time left in its 72-hour recovery window, and the operation that undoes it with the key of yours that has the priority to sign it.",
  args: { dids: arg.variadicParsed('did', 'the did:plc identities to watch', did, { required: true }) },
  options: {
    myKeys: opt.listParsed('--my-keys <did:key>', 'your own rotation keys (public, did:key; repeatable or comma-separated): operations they signed are fine', didKey, { commas: true, valueKind: 'none' }),
    once: opt.flag('--once', 'check once and exit (for cron; use with --state)'),
    interval: opt.withDefault('--interval <duration>', 'time between checks (default 60s)', 60_000, duration({ minMs: 1000 }), { valueKind: 'none' }),
    state: opt.value('--state <file>', 'remember the last operation seen per DID, so each finding is reported once across runs', { valueKind: 'file' }),
    exec: opt.value('--exec <command>', 'run this shell command for each finding (the finding as JSON on stdin; ATCLI_WATCH_DID, ATCLI_WATCH_CID, ATCLI_WATCH_WINDOW_ENDS, ATCLI_WATCH_REMEDY_POSSIBLE … in its environment)', { valueKind: 'none' }),
    since: opt.value('--since <time>', 'ignore operations created at or before this ISO 8601 time', { valueKind: 'none' }),
    includeExpired: opt.flag('--include-expired', 'also report operations whose recovery window has closed'),
  },
  uses: ['network'],
  examples: [
    'atcli plc watch did:plc:ewvi7nxzyoun6zhxrhs64oiz --my-keys did:key:zQ3sh…',
    'atcli plc watch did:plc:… --my-keys did:key:zQ3sh… --once --state ~/.atcli-watch.json --exec \'mail -s "PLC alert" me@example.com\'',
  ],
  notes:
    'Without --once it checks every --interval until interrupted, printing each finding once (--json: one JSON object a line). Operations up to the last one seen (--state) are known history; without a state every operation still in its recovery window is reported.\n' +
    'JSON with --once: checkedAt, status (clean|alert|invalid|unchecked), dids (did, status, operations, head, findings, problem), findings (did, cid, createdAt, signedBy, changes, window, remedy with the unsigned operation that undoes it).\n' +
    'Exit status: 0 clean, 3 an alert (an operation not signed by your keys) or a log that does not verify, 1 a DID could not be checked, 2 usage, 130 interrupted (watching).',
  async run({ args, opts, io, out, err, f, signal }) {
    if (opts.myKeys.length === 0) throw usage('MissingOption', '--my-keys is required: the rotation keys that are yours', { hint: 'give your public rotation keys: --my-keys did:key:z… (atcli plc data <did> lists the rotation keys)' });
    if (opts.since !== undefined && Number.isNaN(Date.parse(opts.since))) throw usage('InvalidTime', `--since must be an ISO 8601 time, got "${opts.since.slice(0, 100)}"`);
    const { checkPlcIdentities, nextBaseline, readWatchState, watchPlcIdentities, writeWatchState } = await import('../../../core/plc/watch.js');
    const baseline = opts.state !== undefined ? await readWatchState(opts.state) : {};
    const common = {
      plc: await f.plc(),
      dids: args.dids,
      myKeys: opts.myKeys,
      baseline,
      ...(opts.since !== undefined ? { since: opts.since } : {}),
      includeExpired: opts.includeExpired,
    };
    if (opts.once) {
      const report = await checkPlcIdentities(common);
      if (opts.state !== undefined) await writeWatchState(opts.state, nextBaseline(baseline, report));
      for (const finding of report.findings) if (opts.exec !== undefined) await runHook(opts.exec, finding, io.env, err);
      await out.result(report, (r) => [...r.findings.map(describeFinding), `${out.mark(r.status === 'clean' ? 'ok' : r.status === 'unchecked' ? 'unchecked' : 'fail')} ${roundSummary(r)}`].join('\n'));
      if (report.status === 'unchecked') {
        const unchecked = report.dids.filter((d) => d.status === 'unchecked');
        throw runtime('WatchUnchecked', `could not check ${unchecked.map((d) => `${d.did} (${d.problem ?? 'no answer'})`).join('; ')}`, {
          hint: 'check the network and the directory (--plc), then run it again; the state keeps no baseline for a DID that was not checked',
        });
      }
      return exitFor(report.status);
    }
    let state = baseline;
    err.info(`watching ${args.dids.length} DID${args.dids.length === 1 ? '' : 's'} every ${Math.round(opts.interval / 1000)} s (Ctrl-C to stop)`);
    for await (const event of watchPlcIdentities({ ...common, intervalMs: opts.interval, signal })) {
      if (event.kind === 'finding') {
        if (out.json) await out.ndjson(event.finding);
        else await out.text(`${describeFinding(event.finding)}\n`);
        if (opts.exec !== undefined) await runHook(opts.exec, event.finding, io.env, err);
      } else {
        state = nextBaseline(state, event.report);
        if (opts.state !== undefined) await writeWatchState(opts.state, state);
        err.info(roundSummary(event.report));
      }
    }
    throw new AtcliError('interrupted', 'Interrupted', 'stopped watching');
  },
});

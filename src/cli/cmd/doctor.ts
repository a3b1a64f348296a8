import type { DoctorCheck, DoctorReport, DoctorSubject } from '../../core/doctor/index.js';
import { defineCommand } from '../spec.js';
import { arg, opt, serviceUrl } from '../flags.js';
import { doctorFix } from '../hints/ops.js';
import type { Output } from '../render/output.js';
import { plural } from '../render/text.js';

const DEFAULT_APPVIEW = 'https://public.api.bsky.app';

function checkLine(out: Output, check: DoctorCheck, fix: string | undefined): string {
  const c = out.c;
  const line = `${out.mark(check.status)} ${check.status === 'skipped' ? c.dim(check.name) : c.bold(check.name)}  ${check.status === 'skipped' ? c.dim(check.detail) : check.detail}`;
  const hint = fix ?? check.hint;
  return hint !== undefined && (check.status === 'fail' || check.status === 'unchecked') ? `${line}\n    ${c.dim('hint:')} ${hint}` : line;
}

function verdictLine(out: Output, r: DoctorReport): string {
  const count = (s: DoctorCheck['status']): number => r.checks.filter((x) => x.status === s).length;
  const tally = `${count('ok')} ok, ${count('fail')} failed, ${count('unchecked')} could not run, ${count('skipped')} skipped`;
  const what = r.verdict === 'ok' ? 'every check passed' : r.verdict === 'fail' ? 'a check failed' : 'a check could not run';
  return `${out.mark(r.verdict)} ${out.c.bold(`${r.handle ?? r.did ?? r.target}: ${what}`)} (${tally})`;
}

export default defineCommand({
  description:
    'Answers "why can\'t anyone see this account?" by checking every link from the handle to a visible profile, each reported as it completes: the handle by DNS and by HTTPS (and whether they agree), the DID document (valid, names the handle, names a PDS), the PDS answers and reports the account active, the head commit verifies with the key in force, each relay (--relay, repeatable) follows the account at the PDS\'s rev, the AppView shows the profile with a valid handle, and the PLC log verifies.',
  args: { target: arg.required('handle|did', 'the account: handle, DID or at:// URI') },
  options: {
    appview: opt.withDefault('--appview <url>', 'the AppView asked for the profile', DEFAULT_APPVIEW, serviceUrl(['http:', 'https:'])),
    askAppview: opt.negatable('--no-appview', 'skip the AppView check (an account outside the Bluesky network)'),
  },
  uses: ['network', 'relay'],
  examples: ['atcli doctor alice.example.com', 'atcli doctor did:plc:ewvi7nxzyoun6zhxrhs64oiz --relay wss://bsky.network --relay https://relay.example.com', 'atcli doctor alice.example.com --json'],
  notes:
    'Each check is ✓ ok, ✗ failed (with a hint naming the fix), ? could not run, or - skipped (does not apply, or depends on a check that did not pass). JSON: target, did, handle, pds, verdict (ok, fail, unchecked), checks ([{name, status, detail, code, hint, fix}]: code names what went wrong, hint in protocol terms, fix in atcli terms). Exit status: 0 every check passed, 3 one failed, 1 one could not run.',
  async run({ args, opts, g, out, err, f }) {
    const { runDoctor } = await import('../../core/doctor/index.js');
    const identity = await f.identity();
    let done = 0;
    const label = (): string => `checking ${args.target} (${plural(done, 'check')} done)`;
    let spin = err.spinner(label());
    const fixOf = (check: DoctorCheck, known: DoctorSubject): string | undefined => doctorFix(check, { ...known, relays: g.relays });
    const report = await runDoctor({
      identity,
      target: args.target,
      relays: g.relays,
      appview: opts.askAppview ? opts.appview : null,
      onCheck: (check, known) => {
        done++;
        spin.text(label());
        if (out.json) return;
        // Each check is printed as it completes; on a terminal the spinner goes on below it.
        if (err.interactive) spin.stop();
        void out.text(`${checkLine(out, check, fixOf(check, known))}\n`);
        if (err.interactive) spin = err.spinner(label());
      },
    }).finally(() => spin.stop());
    const checks = report.checks.map((c) => {
      const fix = fixOf(c, report);
      return fix === undefined ? c : { ...c, fix };
    });
    await out.result({ ...report, checks }, (r) => verdictLine(out, r));
    return report.verdict === 'ok' ? 0 : report.verdict === 'fail' ? 3 : 1;
  },
});

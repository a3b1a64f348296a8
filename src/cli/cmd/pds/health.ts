import { defineCommand } from '../../spec.js';
import { arg } from '../../flags.js';

export default defineCommand({
  description: "Fetches the PDS's /xrpc/_health endpoint: healthy when it answers 2xx (the reference PDS then reports its version; 503 with an error when its database is unusable).",
  args: { url: arg.required('url', 'the PDS: https://host (a bare host means https)') },
  uses: ['network'],
  examples: ['atcli pds health https://pds.example.com', 'atcli pds health pds.example.com --json'],
  notes: 'JSON: url, healthy, status (HTTP), version, error, latencyMs. Exit status: 0 healthy, 1 unhealthy or unreachable.',
  async run({ args, out, err, f }) {
    const { pdsHealth } = await import('../../../core/pds/server.js');
    const spin = err.spinner(`asking ${args.url}`);
    const h = await pdsHealth(await f.http(), args.url).finally(() => spin.stop());
    await out.result(h, (r) =>
      out.fields([
        ['url', r.url],
        ['health', r.healthy ? `${out.mark('ok')} healthy` : `${out.mark('fail')} unhealthy`],
        ['HTTP status', r.status],
        ['version', r.version],
        ['error', r.error],
        ['latency', `${r.latencyMs} ms`],
      ]),
    );
    return h.healthy ? 0 : 1;
  },
});

import { EXIT_CODES, isAtcliError } from '../../../core/errors.js';
import type { ExportCursor } from '../../../core/plc/directory.js';
import { duration, integer, opt } from '../../flags.js';
import { plural } from '../../render/text.js';
import { defineCommand } from '../../spec.js';

export default defineCommand({
  options: {
    cursor: opt.value('--cursor <seq|datetime>', 'start after this sequence number or createdAt timestamp'),
    tail: opt.flag('--tail', 'keep polling for new operations once caught up (Ctrl-C stops and prints the cursor to resume from)'),
    limit: opt.parsed('--limit <n>', 'stop after n operations', integer({ min: 1 })),
    count: opt.withDefault('--count <n>', 'operations per request, 1–1000', 1000, integer({ min: 1, max: 1000 })),
    interval: opt.withDefault('--interval <seconds>', 'poll interval with --tail (units ms, s, m, h)', 5000, duration(), { defaultText: '5s' }),
  },
  uses: ['network'],
  examples: ['atcli plc dump --limit 100', 'atcli plc dump --cursor 2024-01-01T00:00:00.000Z > ops.ndjson', 'atcli plc dump --cursor 12345 --tail | jq -r .did'],
  notes: 'One JSON object per line, as the directory exports it (paged, with back-pressure). The last cursor is printed on stderr at the end, and on Ctrl-C: pass it to --cursor to resume.\nExit status: 0; 1 the directory failed; 130 interrupted.',
  async run({ opts, out, err, f, signal }) {
    const { exportCursor, parseExportCursor } = await import('../../../core/plc/directory.js');
    const cursor = opts.cursor === undefined ? undefined : parseExportCursor(opts.cursor);
    const client = await f.plc();
    let last: ExportCursor | undefined = cursor;
    let n = 0;
    const where = (): string => `last cursor: ${last ?? '(none)'}; resume with: atcli plc dump${last === undefined ? '' : ` --cursor ${last}`}`;
    try {
      const stream = client.exportStream({
        ...(cursor !== undefined ? { cursor } : {}),
        tail: opts.tail,
        intervalMs: opts.interval,
        count: opts.limit !== undefined ? Math.min(opts.count, opts.limit) : opts.count,
        signal,
        onRetry: (e, attempt) => err.warn(`${e.message}; retrying (${attempt})`),
      });
      for await (const entry of stream) {
        await out.ndjson(entry);
        last = exportCursor(entry);
        n++;
        if (opts.limit !== undefined && n >= opts.limit) break;
      }
    } catch (e) {
      if (signal.aborted || (isAtcliError(e) && e.kind === 'interrupted')) {
        err.line(`stopped after ${plural(n, 'operation')}; ${where()}`);
        return EXIT_CODES.interrupted;
      }
      if (n > 0) err.line(`failed after ${plural(n, 'operation')}; ${where()}`);
      throw e;
    }
    err.info(`${plural(n, 'operation')}; ${where().replace('resume with', 'continue with')}`);
    return 0;
  },
});

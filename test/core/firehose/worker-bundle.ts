// Builds the firehose worker entry (src/core/firehose/worker.ts) with esbuild, as the CLI build
// does, so tests can run the pipeline on worker threads (a worker cannot load TypeScript). Built
// once per test process into a temporary folder.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../../../', import.meta.url));
let built: Promise<URL> | undefined;

export function firehoseWorkerUrl(): Promise<URL> {
  built ??= (async () => {
    const outfile = join(mkdtempSync(join(tmpdir(), 'atcli-fh-worker-')), 'firehose-worker.mjs');
    await build({
      entryPoints: [join(root, 'src/core/firehose/worker.ts')],
      outfile,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20.19',
      logLevel: 'warning',
      banner: { js: "import { createRequire as __atcliCreateRequire } from 'node:module'; const require = __atcliCreateRequire(import.meta.url);" },
    });
    return pathToFileURL(outfile);
  })();
  return built;
}

// Builds the firehose worker entry (src/core/firehose/worker.ts) with esbuild, as the CLI build
// does, so tests can run the pipeline on worker threads (a worker cannot load TypeScript); and a
// bundle of the core firehose API for bench/firehose-run.mjs (a whole process, as the command
// runs). Built once per test process inside node_modules/.cache, so the bundles find the
// package's dependencies (tiny-secp256k1) the way dist/ does.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type BuildOptions } from 'esbuild';

const root = fileURLToPath(new URL('../../../', import.meta.url));
let built: Promise<{ lib: string; worker: string }> | undefined;

const common: BuildOptions = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  logLevel: 'warning',
  banner: { js: "import { createRequire as __atcliCreateRequire } from 'node:module'; const require = __atcliCreateRequire(import.meta.url);" },
};

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function firehoseBundle(): Promise<{ lib: string; worker: string }> {
  built ??= (async () => {
    const cache = join(root, 'node_modules', '.cache');
    mkdirSync(cache, { recursive: true });
    // One folder per test process; folders of processes that are gone are removed.
    for (const name of readdirSync(cache)) {
      const pid = /^atcli-test-firehose-(\d+)$/.exec(name)?.[1];
      if (pid !== undefined && !alive(Number(pid))) rmSync(join(cache, name), { recursive: true, force: true });
    }
    const dir = join(cache, `atcli-test-firehose-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    const worker = join(dir, 'firehose-worker.mjs');
    const lib = join(dir, 'atcli-firehose.mjs');
    await build({ ...common, entryPoints: [join(root, 'src/core/firehose/worker.ts')], outfile: worker });
    await build({ ...common, entryPoints: [join(root, 'bench/firehose-entry.ts')], outfile: lib });
    return { lib, worker };
  })();
  return built;
}

export async function firehoseWorkerUrl(): Promise<URL> {
  return pathToFileURL((await firehoseBundle()).worker);
}

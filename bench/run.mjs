// `npm run bench`: every benchmark, each reported as a ratio against a peer measured in the same run.
//   node bench/run.mjs [startup|repo-verify|blob-sync|firehose]   (repo-verify: BENCH_1M=1 adds the 1M-record repository)
// Benches with peers install bench/package.json's dependencies into bench/node_modules on first use.
import { benchStartup } from './startup.mjs';

const only = process.argv[2];
const benches = {
  startup: benchStartup,
  'repo-verify': async () => (await import('./repo-verify.mjs')).benchRepoVerify(),
  'blob-sync': async () => (await import('./blob-sync.mjs')).benchBlobSync(),
  firehose: async () => (await import('./firehose.mjs')).benchFirehose(),
};
if (only && !(only in benches)) {
  console.error(`unknown bench "${only}"; one of: ${Object.keys(benches).join(', ')}`);
  process.exit(2);
}
const results = [];
for (const [name, fn] of Object.entries(benches)) {
  if (only && only !== name) continue;
  process.stderr.write(`running ${name}…\n`);
  const result = await fn();
  results.push(result);
  console.log(`\n## ${result.bench}  (${result.target})`);
  console.table(result.rows);
  for (const t of result.tables ?? []) {
    console.log(`\n${t.title}`);
    console.table(t.rows);
  }
  for (const p of result.problems ?? []) console.log(`PROBLEM ${p.size} ${p.peer}: ${p.detail}`);
}
if (process.env.BENCH_JSON) console.log(JSON.stringify(results, null, 2));

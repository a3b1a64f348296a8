// Installs the shells the completion tests run in (zsh and fish, from Debian packages) when they
// are missing. Bash is always there. Called by `npm test`; a no-op once they are installed.
import { execFileSync, spawnSync } from 'node:child_process';

const missing = ['zsh', 'fish'].filter((shell) => spawnSync('sh', ['-c', `command -v ${shell}`]).status !== 0);
if (missing.length > 0) {
  console.error(`[shells] installing ${missing.join(' and ')} for the completion tests (apt-get)`);
  const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
  const run = (args) => execFileSync(sudo[0] ?? args[0], [...sudo.slice(1), ...(sudo.length ? args : args.slice(1))], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  try {
    run(['apt-get', 'install', '-y', '--no-install-recommends', ...missing]);
  } catch {
    run(['apt-get', 'update']);
    run(['apt-get', 'install', '-y', '--no-install-recommends', ...missing]);
  }
}

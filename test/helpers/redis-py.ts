import { spawnSync } from 'node:child_process';

/**
 * A python3 that can `import redis`: the one on PATH, else Debian's /usr/bin/python3 (where
 * the python3-redis package installs, scripts/install-system-deps.sh; a pyenv or venv python3
 * on PATH does not see it). Null if neither can.
 */
export function pythonWithRedis(): string | null {
  for (const python of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(python, ['-c', 'import redis'], { encoding: 'utf8', timeout: 10000 });
    if (r.status === 0) return python;
  }
  return null;
}

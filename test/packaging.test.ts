/**
 * Packaging as a new user meets it: the `kvndb` bin npm links at install, and
 * @kvndb/client packed with `npm pack`, installed into a project outside this repository
 * and used against a real router + memory replica started through the kvndb binary.
 */
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { client, startReplica, startRouter, stopAll, waitInSync } from './helpers/cluster';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..');
const VERSION = JSON.parse(fs.readFileSync(path.join(ROOT, 'packages', 'cli', 'package.json'), 'utf8')).version as string;
const NPM_CLI = findNpmCli();

jest.setTimeout(120000);

/** npm's own entry script, run with this node (no shell, no PATH lookup of `npm`). */
function findNpmCli(): string {
  const candidates = [
    process.env.npm_execpath,
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'),
  ];
  const found = candidates.find((file) => file && /npm-cli\.js$/.test(file) && fs.existsSync(file));
  if (!found) throw new Error(`cannot find npm-cli.js (tried ${candidates.filter(Boolean).join(', ')})`);
  return found;
}

function npm(args: string[], cwd: string, timeout = 90000) {
  return run(process.execPath, [NPM_CLI, ...args], { cwd, timeout, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: 'false' } });
}

describe('the kvndb bin', () => {
  const link = path.join(ROOT, 'node_modules', '.bin', 'kvndb');

  it('is linked by the install to the checked-in launcher, not to a build output', () => {
    expect(fs.existsSync(link)).toBe(true);
    expect(fs.realpathSync(link)).toBe(fs.realpathSync(path.join(ROOT, 'packages', 'cli', 'bin', 'kvndb.js')));
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'packages', 'cli', 'package.json'), 'utf8'));
    expect(pkg.bin).toEqual({ kvndb: 'bin/kvndb.js' });
    expect(pkg.files).toContain('bin');
  });

  it('prints the version through node_modules/.bin/kvndb', () => {
    const r = spawnSync(link, ['--version'], { encoding: 'utf8', timeout: 15000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(VERSION);
  });
});

describe('@kvndb/client from packed tarballs, outside the repository', () => {
  let work: string;
  let project: string;

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'kvndb-pack-'));
    const tarballs = path.join(work, 'tarballs');
    project = path.join(work, 'consumer');
    fs.mkdirSync(tarballs);
    fs.mkdirSync(project);
    const packed = await npm(['pack', '--json', '-w', 'packages/shared', '-w', 'packages/client', '--pack-destination', tarballs], ROOT);
    const files = (JSON.parse(packed.stdout) as Array<{ filename: string }>).map((entry) => path.join(tarballs, entry.filename));
    expect(files.map((f) => path.basename(f)).sort()).toEqual([`kvndb-client-${VERSION}.tgz`, `kvndb-shared-${VERSION}.tgz`]);
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'kvndb-consumer', version: '1.0.0', private: true }));
    // The client's runtime dependencies come from the registry. The cache usually has them
    // (the repository's own install fetched the same versions); ask the registry only if not.
    const install = ['install', '--no-audit', '--no-fund', '--no-package-lock', ...files];
    try {
      await npm([...install, '--offline'], project);
    } catch {
      await npm([...install, '--prefer-offline'], project);
    }
  });

  afterAll(async () => {
    await stopAll();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('ships dist with types and an exports map, and nothing of the repository', () => {
    for (const name of ['client', 'shared']) {
      const dir = path.join(project, 'node_modules', '@kvndb', name);
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
      expect(pkg.exports['.']).toEqual({ types: './dist/index.d.ts', require: './dist/index.js', default: './dist/index.js' });
      expect(fs.existsSync(path.join(dir, 'dist', 'index.d.ts'))).toBe(true);
      expect(fs.existsSync(path.join(dir, 'README.md'))).toBe(true);
      expect(fs.existsSync(path.join(dir, 'src'))).toBe(false);
      expect(fs.existsSync(path.join(dir, 'tsconfig.json'))).toBe(false);
    }
  });

  it('type-checks a TypeScript consumer against the shipped declarations', async () => {
    fs.writeFileSync(
      path.join(project, 'use.ts'),
      [
        "import { connect, KvndbError, type KvndbClient } from '@kvndb/client';",
        'export async function use(port: number): Promise<string | null> {',
        "  const db: KvndbClient = await connect({ host: '127.0.0.1', port });",
        "  await db.set('k', 'v');",
        "  try { return await db.get('k'); } catch (err) { if (err instanceof KvndbError) return err.code; throw err; } finally { await db.close(); }",
        '}',
      ].join('\n'),
    );
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const typeRoots = path.join(ROOT, 'node_modules', '@types');
    const args = ['--noEmit', '--strict', '--skipLibCheck', '--module', 'node16', '--moduleResolution', 'node16', '--target', 'es2022', '--typeRoots', typeRoots, '--types', 'node', 'use.ts'];
    const r = spawnSync(process.execPath, [tsc, ...args], { cwd: project, encoding: 'utf8', timeout: 60000 });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it("require('@kvndb/client') connects to a real router and does a set and a get", async () => {
    const router = await startRouter();
    startReplica('memory', router.port, { name: 'packaging-mem' });
    const db = await client(router.port);
    try {
      await waitInSync(db, 1);
    } finally {
      await db.close();
    }
    fs.writeFileSync(
      path.join(project, 'app.js'),
      [
        "const assert = require('node:assert');",
        "const { connect } = require('@kvndb/client');",
        '(async () => {',
        "  const db = await connect({ host: '127.0.0.1', port: Number(process.argv[2]), requestTimeoutMs: 10000 });",
        '  try {',
        "    await db.set('packaged', 'it works');",
        "    assert.strictEqual(await db.get('packaged'), 'it works');",
        "    console.log(`ok ${require.resolve('@kvndb/client')}`);",
        '  } finally {',
        '    await db.close();',
        '  }',
        '})().catch((err) => { console.error(err); process.exit(1); });',
      ].join('\n'),
    );
    const r = await run(process.execPath, ['app.js', String(router.port)], { cwd: project, timeout: 30000 });
    expect(r.stdout).toMatch(/^ok /);
    // The installed copy, not the repository's.
    expect(r.stdout).toContain(path.join(project, 'node_modules', '@kvndb', 'client'));
  });
});

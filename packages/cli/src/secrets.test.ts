import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { clientSecret, replicaSecret, routerSecrets } from './secrets';

describe('secrets', () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kvndb-cli-secrets-'));
    file = path.join(dir, 'pw');
    writeFileSync(file, 'from-file\nsecond line ignored\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prefers the option, then the environment, then the file', () => {
    expect(clientSecret({ password: 'opt', passwordFile: file }, { KVNDB_PASSWORD: 'env' })).toBe('opt');
    expect(clientSecret({ passwordFile: file }, { KVNDB_PASSWORD: 'env' })).toBe('env');
    expect(clientSecret({ passwordFile: file }, {})).toBe('from-file');
    expect(clientSecret({}, {})).toBeUndefined();
  });

  it('treats an empty environment variable as unset', () => {
    expect(clientSecret({ passwordFile: file }, { KVNDB_PASSWORD: '' })).toBe('from-file');
  });

  it('gives replicas KVNDB_REPLICA_PASSWORD before KVNDB_PASSWORD', () => {
    const env = { KVNDB_PASSWORD: 'client', KVNDB_REPLICA_PASSWORD: 'replica' };
    expect(replicaSecret({}, env)).toBe('replica');
    expect(replicaSecret({}, { KVNDB_PASSWORD: 'client' })).toBe('client');
    expect(replicaSecret({ password: 'opt' }, env)).toBe('opt');
  });

  it('gives the router both secrets, the replica one optional', () => {
    expect(routerSecrets({ password: 'p' }, {})).toEqual({ password: 'p', replicaPassword: undefined });
    expect(routerSecrets({}, { KVNDB_PASSWORD: 'p', KVNDB_REPLICA_PASSWORD: 'r' })).toEqual({ password: 'p', replicaPassword: 'r' });
    expect(routerSecrets({ replicaPassword: 'opt' }, { KVNDB_REPLICA_PASSWORD: 'r' }).replicaPassword).toBe('opt');
  });

  it('fails with one clear message when the file cannot be read', () => {
    expect(() => clientSecret({ passwordFile: path.join(dir, 'missing') }, {})).toThrow(/cannot read password file .*missing/);
  });
});

import { checkBindSafety, formatAddress, isLoopback, loadTls, loopbackFor, resolveHost } from './endpoint';
import { UsageError } from './usage-error';

describe('isLoopback', () => {
  it.each(['127.0.0.1', '127.1.2.3', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST'])('%s is loopback', (host) => {
    expect(isLoopback(host)).toBe(true);
  });
  it.each(['0.0.0.0', '::', '10.0.0.1', '192.168.1.5', 'example.com', '128.0.0.1', '::ffff:10.0.0.1'])('%s is not', (host) => {
    expect(isLoopback(host)).toBe(false);
  });
});

describe('checkBindSafety', () => {
  it('allows loopback without a password', () => {
    expect(() => checkBindSafety('127.0.0.1', undefined, false)).not.toThrow();
  });
  it('refuses a public address without a password, saying why and what to do', () => {
    expect(() => checkBindSafety('0.0.0.0', undefined, false)).toThrow(UsageError);
    expect(() => checkBindSafety('0.0.0.0', undefined, false)).toThrow(/without a password.*--password.*--insecure/);
  });
  it('allows a public address with a password or --insecure', () => {
    expect(() => checkBindSafety('0.0.0.0', 'pw', false)).not.toThrow();
    expect(() => checkBindSafety('0.0.0.0', undefined, true)).not.toThrow();
  });
});

describe('addresses', () => {
  it('defaults the host by transport', () => {
    expect(resolveHost({ port: 1, type: 'tcp' })).toBe('127.0.0.1');
    expect(resolveHost({ port: 1, type: 'tcp6' })).toBe('::1');
    expect(resolveHost({ host: 'db', port: 1, type: 'tcp' })).toBe('db');
  });
  it('refuses a port where the host goes', () => {
    expect(() => resolveHost({ host: '6000', port: 54565, type: 'tcp' })).toThrow(/the order is HOST PORT.*127\.0\.0\.1 6000, or -p 6000/);
  });
  it('refuses a file where the host goes', () => {
    expect(() => resolveHost({ host: './data/a.sqlite', port: 54565, type: 'tcp' })).toThrow(UsageError);
  });
  it('dials loopback for wildcard binds', () => {
    expect(loopbackFor('0.0.0.0')).toBe('127.0.0.1');
    expect(loopbackFor('::')).toBe('::1');
    expect(loopbackFor('10.1.2.3')).toBe('10.1.2.3');
  });
  it('brackets IPv6', () => {
    expect(formatAddress('::1', 5)).toBe('[::1]:5');
    expect(formatAddress('127.0.0.1', 5)).toBe('127.0.0.1:5');
  });
});

describe('loadTls', () => {
  it('is undefined for plain TCP and refuses TLS files there', () => {
    expect(loadTls({ type: 'tcp' }, 'client')).toBeUndefined();
    expect(() => loadTls({ type: 'tcp', tlsCa: 'ca.pem' }, 'client')).toThrow(/--tls-ca only apply with --type tls/);
  });
  it('needs a certificate and key on the server', () => {
    expect(() => loadTls({ type: 'tls' }, 'server')).toThrow(/needs --tls-cert and --tls-key/);
  });
  it('lets a client use the system CAs', () => {
    expect(loadTls({ type: 'tls' }, 'client')).toEqual({});
  });
  it('says which file it could not read', () => {
    expect(() => loadTls({ type: 'tls', tlsCa: '/nonexistent/ca.pem' }, 'client')).toThrow(/cannot read --tls-ca \/nonexistent\/ca.pem/);
  });
});

import { HttpAuth, secretOf } from './http-auth';

const basic = (user: string, pass: string): string => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

test('secretOf reads Bearer and Basic (the password part, any user), nothing else', () => {
  expect(secretOf('Bearer s3cret')).toBe('s3cret');
  expect(secretOf('bearer   s3cret ')).toBe('s3cret');
  expect(secretOf(basic('anyone', 'pa:ss'))).toBe('pa:ss');
  expect(secretOf(basic('', 'pw'))).toBe('pw');
  expect(secretOf(undefined)).toBeNull();
  expect(secretOf('s3cret')).toBeNull();
  expect(secretOf('Digest abc')).toBeNull();
});

test('with a password: the password or a live session, else AUTH_FAILED', () => {
  const auth = new HttpAuth('pw');
  expect(auth.required).toBe(true);
  expect(() => auth.check('Bearer pw')).not.toThrow();
  expect(() => auth.check(basic('x', 'pw'))).not.toThrow();
  expect(() => auth.check('Bearer wrong')).toThrow(expect.objectContaining({ code: 'AUTH_FAILED' }));
  expect(() => auth.check(undefined)).toThrow(/authentication required/);
  const now = Date.now();
  const { token, expiresAt } = auth.openSession(now);
  expect(expiresAt).toBeGreaterThan(now);
  expect(() => auth.check(`Bearer ${token}`)).not.toThrow();
  auth.closeSession(`Bearer ${token}`);
  expect(() => auth.check(`Bearer ${token}`)).toThrow(expect.objectContaining({ code: 'AUTH_FAILED' }));
});

test('an expired session is refused', () => {
  const auth = new HttpAuth('pw');
  const { token } = auth.openSession(Date.now() - 13 * 60 * 60 * 1000);
  expect(() => auth.check(`Bearer ${token}`)).toThrow(expect.objectContaining({ code: 'AUTH_FAILED' }));
});

test('without a password everything passes', () => {
  const auth = new HttpAuth(undefined);
  expect(auth.required).toBe(false);
  expect(() => auth.check(undefined)).not.toThrow();
  expect(auth.isPassword('')).toBe(false);
});

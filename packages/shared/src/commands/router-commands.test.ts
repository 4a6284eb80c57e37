import { ErrorCode } from '../protocol/errors';
import { Op } from '../protocol/opcodes';
import { ping } from './ping';
import { status } from './status';
import { thrown } from '../testing/command-spec';

describe('router-answered commands', () => {
  test('PING and STATUS are answered by the router: no replica or write path', () => {
    for (const c of [ping, status]) {
      expect(c.route).toBe('router');
      expect(c).not.toHaveProperty('toRead');
      expect(c).not.toHaveProperty('toWrite');
    }
    expect(status).not.toHaveProperty('serve');
  });

  test("a replica answers the router's heartbeat PING with PONG", () => {
    expect(ping.serve()).toBe('PONG');
  });

  test('ping: [PING, id], retryable, resolves with undefined whatever the answer', () => {
    expect(ping.methods.ping.request()).toEqual([Op.PING, 0]);
    expect(ping.methods.ping.retryable).toBe(true);
    expect(ping.methods.ping.decode()).toBeUndefined();
  });

  test('status: [STATUS, id], retryable, resolves with the status map; PROTOCOL_ERROR for a non-map', () => {
    expect(status.methods.status.request()).toEqual([Op.STATUS, 0]);
    expect(status.methods.status.retryable).toBe(true);
    const answer = { epoch: 1, seq: 42, replicas: [] };
    expect(status.methods.status.decode(answer)).toBe(answer);
    for (const bad of [null, undefined, 'ok', 3]) expect(thrown(() => status.methods.status.decode(bad)).code).toBe(ErrorCode.PROTOCOL_ERROR);
  });
});


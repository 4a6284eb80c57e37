import { Backpressure } from './backpressure';

function recorder(accept = true) {
  const calls: string[] = [];
  return {
    calls,
    actions: {
      pause: (n: number) => {
        calls.push(`pause ${n}`);
        return accept;
      },
      resume: (n: number) => void calls.push(`resume ${n}`),
      overflow: (n: number) => void calls.push(`overflow ${n}`),
    },
  };
}

test('pauses above high, resumes only at or below low, overflows once above hard', () => {
  const r = recorder();
  const p = new Backpressure({ high: 100, low: 10, hard: 1000 }, r.actions);
  expect(p.update(100)).toBe(false);
  expect(p.update(101)).toBe(true);
  expect(p.update(500)).toBe(true);
  expect(p.update(50)).toBe(true); // between low and high: still paused
  expect(p.update(10)).toBe(false);
  p.update(2000);
  p.update(3000);
  expect(p.overflowed).toBe(true);
  expect(r.calls).toEqual(['pause 101', 'resume 10', 'overflow 2000']);
});

test('graceMs: pauses only once the level has stayed above high that long', () => {
  const now = jest.spyOn(Date, 'now').mockReturnValue(1000);
  try {
    const r = recorder();
    const p = new Backpressure({ high: 100, low: 10, hard: Infinity, graceMs: 500 }, r.actions);
    expect(p.update(200)).toBe(false);
    now.mockReturnValue(1400);
    expect(p.update(200)).toBe(false);
    now.mockReturnValue(1450);
    expect(p.update(50)).toBe(false); // dipped below high: the grace starts again
    now.mockReturnValue(1500);
    expect(p.update(200)).toBe(false);
    now.mockReturnValue(2000);
    expect(p.update(200)).toBe(true);
    expect(r.calls).toEqual(['pause 200']);
  } finally {
    now.mockRestore();
  }
});

test('a declined pause is offered again on the next update', () => {
  const r = recorder(false);
  const p = new Backpressure({ high: 1, low: 0, hard: Infinity }, r.actions);
  expect(p.update(5)).toBe(false);
  expect(p.update(6)).toBe(false);
  expect(r.calls).toEqual(['pause 5', 'pause 6']);
});

test('watermarks out of order are refused', () => {
  expect(() => new Backpressure({ high: 10, low: 20, hard: 30 }, recorder().actions)).toThrow(RangeError);
});

import { RouterClock } from './router-clock';

describe('RouterClock', () => {
  it('follows the wall clock forward', () => {
    let wall = 1000;
    const clock = new RouterClock(() => wall);
    expect(clock.now()).toBe(1000);
    wall = 1500;
    expect(clock.now()).toBe(1500);
  });

  it('never goes back when the wall clock does', () => {
    let wall = 2000;
    const clock = new RouterClock(() => wall);
    expect(clock.now()).toBe(2000);
    wall = 1000;
    expect(clock.now()).toBe(2000);
    wall = 2001;
    expect(clock.now()).toBe(2001);
  });

  it('starts no lower than a time a replica recorded (a restart on a machine whose clock is behind)', () => {
    let wall = 1000;
    const clock = new RouterClock(() => wall);
    clock.atLeast(5000);
    expect(clock.now()).toBe(5000);
    clock.atLeast(3000);
    expect(clock.now()).toBe(5000);
    wall = 6000;
    expect(clock.now()).toBe(6000);
  });

  it('ignores a recorded time that is not a number', () => {
    const clock = new RouterClock(() => 10);
    clock.atLeast(Number.NaN);
    clock.atLeast(undefined as unknown as number);
    expect(clock.now()).toBe(10);
  });
});

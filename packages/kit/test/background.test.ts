import { afterEach, describe, expect, it, vi } from 'vitest';
import { Background, createLogger } from '@emporium/kit';

const log = createLogger('test', 'silent');

describe('background tasks', () => {
  let background: Background | undefined;
  afterEach(async () => {
    await background?.stop();
    background = undefined;
  });

  it('runs nothing before start, then a round at start and one per interval', async () => {
    background = new Background(log);
    let rounds = 0;
    background.add('count', 50, async () => rounds++);
    await new Promise((r) => setTimeout(r, 80));
    expect(rounds).toBe(0);
    background.start();
    await vi.waitFor(() => expect(rounds).toBeGreaterThanOrEqual(3), { timeout: 2_000 });
  });

  it('runs a round at once when woken, instead of at its next interval', async () => {
    background = new Background(log);
    let rounds = 0;
    const task = background.add('woken', 60_000, async () => rounds++);
    background.start();
    await vi.waitFor(() => expect(rounds).toBe(1));
    task.wake();
    await vi.waitFor(() => expect(rounds).toBe(2));
  });

  it('never overlaps rounds, whoever starts them', async () => {
    background = new Background(log);
    let running = 0;
    let most = 0;
    const task = background.add('serial', 10, async () => {
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 20));
      running--;
    });
    background.start();
    await Promise.all([task.runOnce(), task.runOnce(), task.runOnce()]);
    expect(most).toBe(1);
  });

  it('goes on after a failing round', async () => {
    background = new Background(log);
    let rounds = 0;
    background.add('flaky', 20, async () => {
      rounds++;
      if (rounds === 1) throw new Error('the first round fails');
    });
    background.start();
    await vi.waitFor(() => expect(rounds).toBeGreaterThanOrEqual(3), { timeout: 2_000 });
  });

  it('stops: the round in progress finishes and no other starts', async () => {
    background = new Background(log);
    let rounds = 0;
    let finished = 0;
    background.add('slow', 10, async () => {
      rounds++;
      await new Promise((r) => setTimeout(r, 50));
      finished++;
    });
    background.start();
    await vi.waitFor(() => expect(rounds).toBe(1));
    await background.stop();
    expect(finished).toBe(rounds);
    const after = rounds;
    await new Promise((r) => setTimeout(r, 60));
    expect(rounds).toBe(after);
  });
});

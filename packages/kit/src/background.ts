import type { Logger } from './logger.ts';

/** A background task's handle: wake it to run now instead of at its next interval. */
export interface BackgroundTask {
  readonly name: string;
  wake(): void;
  /** Runs one round now and resolves when it has finished (tests drive time with it). */
  runOnce(): Promise<void>;
}

/**
 * Runs a service's periodic work (expiring reservations, saga deadlines, payment retries): one
 * round at a time, every `intervalMs` or at once when woken, from `start()` until `stop()`. A
 * failing round is logged and the next one runs on schedule. The work must be safe to run in
 * several replicas at once (claim rows with `FOR UPDATE SKIP LOCKED`).
 */
export class Background {
  private readonly tasks: Task[] = [];
  private running = false;

  constructor(private readonly log: Logger) {}

  add(name: string, intervalMs: number, round: () => Promise<unknown>): BackgroundTask {
    const task = new Task(name, intervalMs, round, this.log);
    this.tasks.push(task);
    if (this.running) task.start();
    return task;
  }

  start(): void {
    this.running = true;
    for (const task of this.tasks) task.start();
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.tasks.map((t) => t.stop()));
  }
}

class Task implements BackgroundTask {
  private loop: Promise<void> | undefined;
  private running = false;
  private woken = false;
  private signal: (() => void) | undefined;
  private current: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    private readonly intervalMs: number,
    private readonly round: () => Promise<unknown>,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  wake(): void {
    this.woken = true;
    this.signal?.();
  }

  runOnce(): Promise<void> {
    // Rounds never overlap, whether the loop or a caller starts them.
    this.current = this.current.catch(() => {}).then(() => this.round().then(() => undefined));
    return this.current;
  }

  async stop(): Promise<void> {
    this.running = false;
    this.signal?.();
    await this.loop;
    await this.current.catch(() => {});
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.woken = false;
      try {
        await this.runOnce();
      } catch (err) {
        this.log.warn({ err: (err as Error).message, task: this.name }, 'a background round failed; the next one runs on schedule');
      }
      if (!this.running) break;
      if (this.woken) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.intervalMs);
        this.signal = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.signal = undefined;
    }
  }
}

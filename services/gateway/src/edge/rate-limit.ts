import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { errors, serviceCounter, type ServiceContext } from '@emporium/kit';
import type { gatewaySettings } from '../config.ts';

/** Per-IP and per-user request budgets, counted in memory or, with REDIS_URL, in Redis. */
export interface RateLimits {
  /** Spends one request of `key`'s budget; throws a 429 AppError with Retry-After when it is spent. */
  consume(kind: 'ip' | 'user', key: string): Promise<void>;
}

/** Builds the limiters. With Redis, an in-memory limiter stands in while Redis is unreachable. */
export function createRateLimits(ctx: ServiceContext<typeof gatewaySettings>): RateLimits {
  const s = ctx.settings;
  const make = (prefix: string, points: number): RateLimiterAbstract => {
    const memory = new RateLimiterMemory({ keyPrefix: prefix, points, duration: 60 });
    if (!s.REDIS_URL) return memory;
    return new RateLimiterRedis({ storeClient: redis!, keyPrefix: `emporium:rl:${prefix}`, points, duration: 60, insuranceLimiter: memory });
  };
  let redis: Redis | undefined;
  if (s.REDIS_URL) {
    redis = new Redis(s.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
    redis.on('error', (err) => ctx.log.debug({ err: err.message }, 'redis error'));
    const client = redis;
    ctx.addReadinessCheck('redis', async () => void (await client.ping()));
    ctx.onClose(async () => void (await client.quit().catch(() => {})));
  }
  const limiters = { ip: make('ip', s.RATE_LIMIT_PER_IP), user: make('user', s.RATE_LIMIT_PER_USER) };
  const rejected = serviceCounter(ctx.metrics, { name: 'gateway_rate_limit_rejections_total', help: 'Requests refused with 429, by the budget spent (ip or user)', labelNames: ['kind'] });
  return {
    async consume(kind, key) {
      try {
        await limiters[kind].consume(key);
      } catch (res) {
        if (!(res instanceof RateLimiterRes)) throw res;
        rejected.inc({ kind });
        const seconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
        throw errors.RATE_LIMITED(`Too many requests from this ${kind === 'ip' ? 'address' : 'account'}; try again in ${seconds} s.`, {
          headers: { 'retry-after': String(seconds) },
        });
      }
    },
  };
}

import { randomBytes, randomUUID } from 'node:crypto';
import type { Database, PaymentFaults, Transaction } from '@emporium/kit';
import type { Money } from '@emporium/contracts/common';
import { passesLuhn } from '@emporium/contracts/payments';
import { InvalidCardError, ProviderUnavailableError, type AuthorizeAnswer, type CardToken, type OperationAnswer, type PaymentProvider } from './provider.ts';
import { cardVerdict, DECLINE_MESSAGES, type CardVerdict } from './test-cards.ts';

/** How the fake provider behaves on the wire. */
export interface FakeProviderOptions {
  /** The mean delay of a call; each one waits between half and one and a half of it. */
  latencyMs: number;
  /** The share of calls that fail as "provider unavailable", from 0 to 1. */
  failureRate: number;
  /** How long a token stays valid; 1 hour by default. */
  tokenTtlMs?: number;
  random?: () => number;
  /** Run-time faults (the kit's payment-latency and payment-failure flags): while one is on, it replaces `latencyMs` or `failureRate`. */
  faults?: PaymentFaults;
}

/** What the vault keeps of a card: what the fake's issuer answers for it, and what may be shown. */
interface VaultedCard {
  verdict: 'approve' | 'card_declined' | 'insufficient_funds' | 'hang';
  last4: string;
}

type Operation = 'authorize' | 'capture' | 'void' | 'refund';

/** One answered request, as the ledger keeps it. */
interface Entry<A> {
  operation: Operation;
  reference: string;
  amount: Money;
  succeeded: boolean;
  cardLast4?: string;
  answer: A;
}

/** What an authorization has become, summed from its ledger rows. */
interface Authorization {
  amount: number;
  currency: string;
  captured: number;
  refunded: number;
  voided: boolean;
}

const money = (amount: number, currency: string) => `${amount} ${currency}`;

/**
 * A payment provider that behaves like a real one, for development and tests: a network delay
 * and optional random outages, a vault that swaps card numbers for tokens that expire, test
 * cards (see test-cards.ts), idempotency keys that replay the first answer, and amount checks on
 * every capture and refund. It stands for the provider's side of the world and keeps its state
 * in its own tables, `provider_vault` and `provider_ledger`, so that it survives a restart and
 * any replica can use a token; nothing else touches them. The vault keeps what the fake's
 * issuer will answer for a card, never its number.
 */
export class FakeProvider implements PaymentProvider {
  private readonly random: () => number;
  private readonly tokenTtlMs: number;

  constructor(
    private readonly db: Database,
    private readonly opts: FakeProviderOptions,
  ) {
    this.random = opts.random ?? Math.random;
    this.tokenTtlMs = opts.tokenTtlMs ?? 3_600_000;
  }

  async tokenize(request: { cardNumber: string }, signal: AbortSignal): Promise<CardToken> {
    return this.call(signal, async () => {
      const number = request.cardNumber;
      if (!/^\d{12,19}$/.test(number) || !passesLuhn(number)) throw new InvalidCardError('The card number is not valid: its check digit is wrong.');
      const token = `tok_${randomBytes(16).toString('hex')}`;
      const card: VaultedCard = { verdict: verdictOf(cardVerdict(number)), last4: number.slice(-4) };
      const brand = brandOf(number);
      const { rows } = await this.db.query<{ expires_at: Date | string }>(
        `INSERT INTO provider_vault (token, verdict, last4, brand, expires_at) VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))
         RETURNING expires_at`,
        [token, card.verdict, card.last4, brand, this.tokenTtlMs / 1000],
      );
      return { token, last4: card.last4, brand, expiresAt: new Date(rows[0]!.expires_at) };
    });
  }

  async authorize(request: { idempotencyKey: string; amount: Money; token: string }, signal: AbortSignal): Promise<AuthorizeAnswer> {
    return this.call(signal, async () => {
      const card = await this.vaulted(request.token);
      if (card?.verdict === 'hang') return waitForAbort(signal);
      return this.once<AuthorizeAnswer>(request.idempotencyKey, undefined, async () => {
        const reference = `fake_auth_${randomUUID().replaceAll('-', '')}`;
        const base = { operation: 'authorize' as const, reference, amount: request.amount, cardLast4: card?.last4 };
        const decline = (code: 'card_declined' | 'insufficient_funds', message: string) => ({ ...base, succeeded: false, answer: { approved: false as const, code, message } });
        if (!card) return decline('card_declined', 'The card token is unknown or has expired: the card must be entered again.');
        if (card.verdict === 'card_declined' || card.verdict === 'insufficient_funds') return decline(card.verdict, DECLINE_MESSAGES[card.verdict]);
        if (request.amount.amount <= 0) return decline('card_declined', 'The amount must be positive.');
        return { ...base, succeeded: true, answer: { approved: true, reference } };
      });
    });
  }

  /** Deletes expired tokens from the vault, as a provider forgets them; returns how many. */
  async forgetExpiredTokens(): Promise<number> {
    const { rowCount } = await this.db.query('DELETE FROM provider_vault WHERE expires_at < now()');
    return rowCount;
  }

  /** The card a token stands for, unless the token is unknown or expired. */
  private async vaulted(token: string): Promise<VaultedCard | undefined> {
    const { rows } = await this.db.query<VaultedCard>('SELECT verdict, last4 FROM provider_vault WHERE token = $1 AND expires_at > now()', [token]);
    return rows[0];
  }

  async capture(request: { idempotencyKey: string; reference: string; amount: Money }, signal: AbortSignal): Promise<OperationAnswer> {
    return this.call(signal, () =>
      this.once<OperationAnswer>(request.idempotencyKey, request.reference, async (auth) => {
        const refuse = refusal('capture', request.reference, request.amount);
        if (!auth) return refuse(`There is no authorization ${request.reference}.`);
        if (auth.voided) return refuse('The authorization was voided.');
        if (auth.captured > 0) return refuse('The authorization is already captured.');
        if (auth.currency !== request.amount.currency || auth.amount !== request.amount.amount) {
          return refuse(`Only the authorized ${money(auth.amount, auth.currency)} can be captured, not ${money(request.amount.amount, request.amount.currency)}.`);
        }
        return { operation: 'capture', reference: request.reference, amount: request.amount, succeeded: true, answer: { ok: true } };
      }),
    );
  }

  async void(request: { idempotencyKey: string; reference: string }, signal: AbortSignal): Promise<OperationAnswer> {
    return this.call(signal, () =>
      this.once<OperationAnswer>(request.idempotencyKey, request.reference, async (auth) => {
        const refuse = refusal('void', request.reference, { amount: auth?.amount ?? 0, currency: auth?.currency ?? 'USD' });
        if (!auth) return refuse(`There is no authorization ${request.reference}.`);
        if (auth.captured > 0) return refuse('The authorization is captured; refund it instead.');
        return { operation: 'void', reference: request.reference, amount: { amount: auth.amount, currency: auth.currency }, succeeded: true, answer: { ok: true } };
      }),
    );
  }

  async refund(request: { idempotencyKey: string; reference: string; amount: Money }, signal: AbortSignal): Promise<OperationAnswer> {
    return this.call(signal, () =>
      this.once<OperationAnswer>(request.idempotencyKey, request.reference, async (auth) => {
        const refuse = refusal('refund', request.reference, request.amount);
        if (!auth || auth.captured === 0) return refuse('Nothing was captured on this authorization.');
        if (auth.currency !== request.amount.currency) return refuse(`The refund must be in ${auth.currency}, the currency of the capture.`);
        const left = auth.captured - auth.refunded;
        if (request.amount.amount <= 0 || request.amount.amount > left) {
          return refuse(`A refund of ${money(request.amount.amount, request.amount.currency)} is refused: ${money(left, auth.currency)} is left to refund.`);
        }
        return { operation: 'refund', reference: request.reference, amount: request.amount, succeeded: true, answer: { ok: true } };
      }),
    );
  }

  /**
   * The network around a call: a delay, then perhaps an outage. An outage may strike before the
   * provider acts or after (the answer is lost), as on a real network; a retry with the same
   * key is safe either way.
   */
  private async call<T>(signal: AbortSignal, act: () => Promise<T>): Promise<T> {
    // Read on every call: a fault switched on or off applies from the next one.
    const faultLatency = this.opts.faults?.latencyMs();
    const faultRate = this.opts.faults?.failureRate();
    if (faultLatency !== undefined) this.opts.faults!.injected('payment-latency', faultLatency);
    await delay((faultLatency ?? this.opts.latencyMs) * (0.5 + this.random()), signal);
    const fails = this.random() < (faultRate ?? this.opts.failureRate);
    if (fails && faultRate !== undefined) this.opts.faults!.injected('payment-failure', faultRate);
    const afterActing = this.random() < 0.5;
    if (fails && !afterActing) throw new ProviderUnavailableError('The payment provider is unavailable (simulated outage).');
    const answer = await act();
    if (fails) throw new ProviderUnavailableError('The payment provider is unavailable (simulated outage; the answer was lost).');
    return answer;
  }

  /**
   * Answers a request once per idempotency key: a repeated key gets the stored answer. Requests
   * on one authorization are serialized by locking its row, so two captures cannot both pass.
   */
  private async once<A>(key: string, reference: string | undefined, decide: (auth: Authorization | undefined) => Promise<Entry<A>>): Promise<A> {
    return this.db.transaction(async (tx) => {
      const auth = reference === undefined ? undefined : await lockAuthorization(tx, reference);
      const prior = await storedAnswer<A>(tx, key);
      if (prior !== undefined) return prior;
      const e = await decide(auth);
      const { rowCount } = await tx.query(
        `INSERT INTO provider_ledger (idempotency_key, operation, reference, amount, currency, succeeded, card_last4, answer)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (idempotency_key) DO NOTHING`,
        [key, e.operation, e.reference, e.amount.amount, e.amount.currency, e.succeeded, e.cardLast4 ?? null, JSON.stringify(e.answer)],
      );
      // A concurrent request with the same key answered first: give its answer.
      if (rowCount === 0) return (await storedAnswer<A>(tx, key))!;
      return e.answer;
    });
  }
}

function verdictOf(v: CardVerdict): VaultedCard['verdict'] {
  return v.kind === 'decline' ? v.code : v.kind;
}

/** The card network, from the number's first digits. */
function brandOf(number: string): string {
  if (number.startsWith('4')) return 'visa';
  if (/^(5[1-5]|2(2[2-9]|[3-6]\d|7[01]|720))/.test(number)) return 'mastercard';
  if (/^3[47]/.test(number)) return 'amex';
  if (/^(6011|65)/.test(number)) return 'discover';
  return 'unknown';
}

function refusal(operation: Operation, reference: string, amount: Money) {
  return (message: string): Entry<OperationAnswer> => ({ operation, reference, amount, succeeded: false, answer: { ok: false, message } });
}

async function storedAnswer<A>(tx: Transaction, key: string): Promise<A | undefined> {
  const { rows } = await tx.query<{ answer: A | string }>('SELECT answer FROM provider_ledger WHERE idempotency_key = $1', [key]);
  if (!rows[0]) return undefined;
  const { answer } = rows[0];
  return typeof answer === 'string' ? (JSON.parse(answer) as A) : answer;
}

async function lockAuthorization(tx: Transaction, reference: string): Promise<Authorization | undefined> {
  const { rows } = await tx.query<{ amount: number; currency: string }>(
    "SELECT amount, currency FROM provider_ledger WHERE reference = $1 AND operation = 'authorize' AND succeeded FOR UPDATE",
    [reference],
  );
  if (!rows[0]) return undefined;
  const sums = await tx.query<{ captured: number; refunded: number; voided: boolean }>(
    `SELECT coalesce(sum(amount) FILTER (WHERE operation = 'capture'), 0)::bigint AS captured,
            coalesce(sum(amount) FILTER (WHERE operation = 'refund'), 0)::bigint AS refunded,
            bool_or(operation = 'void') IS TRUE AS voided
     FROM provider_ledger WHERE reference = $1 AND succeeded`,
    [reference],
  );
  return { ...rows[0], captured: Number(sums.rows[0]!.captured), refunded: Number(sums.rows[0]!.refunded), voided: sums.rows[0]!.voided };
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A provider that never answers: settles only by rejecting when the caller gives up. */
function waitForAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
  });
}

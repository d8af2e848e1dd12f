import { setting } from '@emporium/kit';

/** The orders service's own settings. */
export const ordersSettings = {
  /** The cart service's replicas: an order without items is placed from the caller's cart. */
  CART_URL: setting.urlList().with(['http://127.0.0.1:8104']),
  /** The payments service's replicas: a card number is exchanged there for the provider's token. */
  PAYMENTS_URL: setting.urlList().with(['http://127.0.0.1:8106']),
  /** The shipping service's replicas: the chosen shipping is priced there when an order is placed. */
  SHIPPING_URL: setting.urlList().with(['http://127.0.0.1:8107']),
  /** How long a saga step may wait for its reply before the saga compensates. */
  SAGA_STEP_TIMEOUT_MS: setting.int({ min: 100, max: 3_600_000 }).with(5_000),
  /** How long a compensation may wait for its reply before it is sent again. */
  SAGA_COMPENSATION_TIMEOUT_MS: setting.int({ min: 100, max: 3_600_000 }).with(10_000),
  /** Compensation attempts before the saga is marked FAILED for an operator. */
  SAGA_COMPENSATION_ATTEMPTS: setting.int({ min: 1, max: 100 }).with(5),
  /** How often the durable timer looks for sagas past their deadline. */
  SAGA_TIMER_MS: setting.int({ min: 10, max: 60_000 }).with(500),
  /** How often an open status stream re-reads its order when no change was announced. */
  ORDER_STREAM_POLL_MS: setting.int({ min: 100, max: 60_000 }).with(5_000),
  /** Status streams one user may hold open at once, across every replica; one more is refused with 429. */
  ORDER_STREAMS_PER_USER: setting.int({ min: 1, max: 1_000 }).with(5),
};

/** The currencies the catalog prices in; the platform trades in USD only for now. */
export const SUPPORTED_CURRENCIES: readonly string[] = ['USD'];

/** Whether products may be priced in `currency`. */
export function isSupportedCurrency(currency: string): boolean {
  return SUPPORTED_CURRENCIES.includes(currency);
}

/** Placeholder until the page is written. */
export function OrderPage() {
  return <h1>OrderPage</h1>;
}

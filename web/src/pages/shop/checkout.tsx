/** Placeholder until the page is written. */
export function Checkout() {
  return <h1>Checkout</h1>;
}

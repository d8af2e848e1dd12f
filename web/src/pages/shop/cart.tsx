/** Placeholder until the page is written. */
export function Cart() {
  return <h1>Cart</h1>;
}

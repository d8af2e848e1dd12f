/** Placeholder until the page is written. */
export function Orders() {
  return <h1>Orders</h1>;
}

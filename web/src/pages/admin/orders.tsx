/** Placeholder until the page is written. */
export function AdminOrders() {
  return <h1>AdminOrders</h1>;
}

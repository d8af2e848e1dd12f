/** Placeholder until the page is written. */
export function AdminProducts() {
  return <h1>AdminProducts</h1>;
}

/** Placeholder until the page is written. */
export function ProductPage() {
  return <h1>ProductPage</h1>;
}

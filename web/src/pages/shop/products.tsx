/** Placeholder until the page is written. */
export function Products() {
  return <h1>Products</h1>;
}

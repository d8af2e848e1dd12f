/** Placeholder until the page is written. */
export function AdminShipments() {
  return <h1>AdminShipments</h1>;
}

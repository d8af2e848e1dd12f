/** Placeholder until the page is written. */
export function Notifications() {
  return <h1>Notifications</h1>;
}

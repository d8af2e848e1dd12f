/** Placeholder until the page is written. */
export function ConsoleOverview() {
  return <h1>ConsoleOverview</h1>;
}

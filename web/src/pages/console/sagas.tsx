/** Placeholder until the page is written. */
export function ConsoleSagas() {
  return <h1>ConsoleSagas</h1>;
}

/** Placeholder until the page is written. */
export function ConsoleDeadLetters() {
  return <h1>ConsoleDeadLetters</h1>;
}

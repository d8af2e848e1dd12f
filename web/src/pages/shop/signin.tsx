/** Placeholder until the page is written. */
export function SignIn() {
  return <h1>SignIn</h1>;
}

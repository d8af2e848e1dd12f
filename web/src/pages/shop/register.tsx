/** Placeholder until the page is written. */
export function Register() {
  return <h1>Register</h1>;
}

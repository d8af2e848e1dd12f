import { useState } from 'react';
import { Link } from 'react-router';
import { useAuth } from '../../auth.tsx';
import { Field, FormProblem, fieldErrors } from '../../components/shop-form.tsx';
import { useAuthForm } from '../../components/shop-signin-link.tsx';

/** The sign-in form; on success it goes back to where the shopper came from. */
export function SignIn() {
  const { signIn } = useAuth();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { form, busy, error, submit, state } = useAuthForm(async () => {
    await signIn(email.trim(), password);
  });

  const fields = fieldErrors(error);
  return (
    <div className="shop-auth">
      <h1>Sign in</h1>
      <form ref={form} className="stack" noValidate onSubmit={(e) => void submit(e)}>
        <Field label="Email" error={fields.email}>
          {(props) => <input {...props} type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />}
        </Field>
        <Field label="Password" error={fields.password}>
          {(props) => <input {...props} type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />}
        </Field>
        <FormProblem error={error} shown={['email', 'password']} />
        <div><button type="submit" disabled={busy}>Sign in</button></div>
      </form>
      <p className="shop-auth-alt">New to Emporium? <Link to="/register" state={state}>Register</Link></p>
    </div>
  );
}

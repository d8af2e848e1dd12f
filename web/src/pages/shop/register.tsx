import { useState } from 'react';
import { Link } from 'react-router';
import { useAuth } from '../../auth.tsx';
import { Field, FormProblem, fieldErrors } from '../../components/shop-form.tsx';
import { useAuthForm } from '../../components/shop-signin-link.tsx';

/** The registration form: name, email and password; on success the new shopper is signed in and sent back. */
export function Register() {
  const { register } = useAuth();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { form, busy, error, submit, state } = useAuthForm(async () => {
    await register(name.trim(), email.trim(), password);
  });

  const fields = fieldErrors(error);
  return (
    <div className="shop-auth">
      <h1>Create an account</h1>
      <form ref={form} className="stack" noValidate onSubmit={(e) => void submit(e)}>
        <Field label="Name" error={fields.name}>
          {(props) => <input {...props} autoComplete="name" required value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Email" error={fields.email}>
          {(props) => <input {...props} type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />}
        </Field>
        <Field label="Password" error={fields.password} hint={fields.password ? undefined : 'At least 8 characters.'}>
          {(props) => <input {...props} type="password" autoComplete="new-password" required minLength={8} value={password} onChange={(e) => setPassword(e.target.value)} />}
        </Field>
        <FormProblem error={error} shown={['name', 'email', 'password']} />
        <div><button type="submit" disabled={busy}>Register</button></div>
      </form>
      <p className="shop-auth-alt">Already have an account? <Link to="/signin" state={state}>Sign in instead</Link></p>
    </div>
  );
}

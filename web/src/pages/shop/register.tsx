import { useRef, useState, type FormEvent } from 'react';
import { Link, useLocation, useNavigate, useSearchParams } from 'react-router';
import { useAuth } from '../../auth.tsx';
import { Field, FormProblem, fieldErrors, useFocusInvalid } from '../../components/shop-form.tsx';
import { returnPath } from '../../components/shop-signin-link.tsx';

/** The registration form: name, email and password; on success the new shopper is signed in and sent back. */
export function Register() {
  const { register } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const [params] = useSearchParams();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const form = useRef<HTMLFormElement>(null);
  useFocusInvalid(form, error);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await register(name.trim(), email.trim(), password);
      void navigate(returnPath(location.state, params), { replace: true });
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

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
      <p className="shop-auth-alt">Already have an account? <Link to="/signin" state={location.state}>Sign in instead</Link></p>
    </div>
  );
}

// Sign in: email and password; a refusal is shown under the form, in the API's words.
import { html, useState } from './ui.js';

// signIn(email, password) → Promise; its rejection is the error shown.
export function Login({ signIn }) {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    setError('');
    setBusy(true);
    signIn(form.elements.email.value, form.elements.password.value)
      .catch((err) => setError(String(err.message ?? err)))
      .finally(() => setBusy(false));
  };
  return html`
    <form id="login-form" onSubmit=${submit}>
      <h1>wadesk</h1>
      <label for="login-email">Email</label>
      <input id="login-email" name="email" type="email" autocomplete="username" required />
      <label for="login-password">Password</label>
      <input id="login-password" name="password" type="password" autocomplete="current-password" required />
      <button type="submit" class="primary" disabled=${busy}>Log in</button>
      <p id="login-error" class="error" role="alert">${error}</p>
    </form>`;
}

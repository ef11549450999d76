// The sign-in form: the token goes in the body of POST /ui/session (never in a URL); the server
// answers with an HttpOnly cookie the page cannot read, and the API's error is shown as sent.
import { useState } from 'preact/hooks';
import { ApiError, postJson } from '../api-client.js';
import type { Session } from '../api-types.js';
import { html } from '../html.js';

export function SignIn(props: { onSignedIn: (s: Session) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const session = await postJson<Session>('/ui/session', { token });
      setToken('');
      props.onSignedIn(session);
    } catch (err) {
      setError(err instanceof ApiError ? `${err.message} (${err.code})` : String(err));
    } finally {
      setBusy(false);
    }
  };
  return html`
    <main class="sign-in" id="main">
      <h1>Sluice dashboard</h1>
      <form onSubmit=${submit} aria-describedby="sign-in-help">
        <p id="sign-in-help">Sign in with an admin API token (viewer, editor or admin).</p>
        <label for="token">API token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required
          value=${token} onInput=${(e: Event) => setToken((e.target as HTMLInputElement).value)} />
        <button type="submit" disabled=${busy}>Sign in</button>
        ${error === undefined ? null : html`<p class="error" role="alert">${error}</p>`}
      </form>
    </main>`;
}

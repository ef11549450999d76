// Apply: YAML pasted or uploaded; "Check" asks the control plane for a dry run (POST
// /v1/apply?dryRun=true) and shows each change as a diff of its spec before and after, or every
// validation error at its field path; "Apply" (editor role) commits it and links to the rollout.
import { useState } from 'preact/hooks';
import { ApiError, request } from '../api-client.js';
import type { DryRunAnswer, FieldError, PlannedChange, Session } from '../api-types.js';
import { html } from '../html.js';
import { lineDiff } from '../line-diff.js';
import { BASE, Link } from '../router.js';

const pretty = (spec: unknown): string => (spec === undefined ? '' : JSON.stringify(spec, null, 2));

function Change(props: { change: PlannedChange }) {
  const c = props.change;
  const lines = lineDiff(pretty(c.before), pretty(c.after));
  return html`
    <li class="change">
      <h3><span class=${`action action-${c.action}`}>${c.action}</span> ${c.kind} ${c.name}</h3>
      ${c.action === 'unchanged' ? null : html`<pre class="diff" aria-label=${`Changes to ${c.kind} ${c.name}`}>${lines.map((l, i) => html`<span key=${i} class=${l.op === '+' ? 'add' : l.op === '-' ? 'del' : 'same'}>${l.op} ${l.text}\n</span>`)}</pre>`}
    </li>`;
}

type Outcome =
  | { readonly kind: 'planned'; readonly answer: DryRunAnswer }
  | { readonly kind: 'applied'; readonly revision: number; readonly changes: readonly PlannedChange[] }
  | { readonly kind: 'refused'; readonly code: string; readonly message: string; readonly errors: readonly FieldError[] };

export function ApplyPage(props: { session: Session }) {
  const [yaml, setYaml] = useState('');
  const [outcome, setOutcome] = useState<Outcome | undefined>();
  const [busy, setBusy] = useState(false);
  const mayApply = props.session.role !== 'viewer';
  const send = async (dryRun: boolean): Promise<void> => {
    setBusy(true);
    try {
      const answer = await request<DryRunAnswer>('POST', `/v1/apply${dryRun ? '?dryRun=true' : ''}`, { text: yaml, type: 'application/yaml' });
      setOutcome(dryRun ? { kind: 'planned', answer } : { kind: 'applied', revision: answer.revision, changes: answer.changes });
    } catch (err) {
      setOutcome(err instanceof ApiError ? { kind: 'refused', code: err.code, message: err.message, errors: err.errors } : { kind: 'refused', code: 'NETWORK', message: String(err), errors: [] });
    } finally {
      setBusy(false);
    }
  };
  const upload = async (e: Event): Promise<void> => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (file !== undefined) setYaml(await file.text());
  };
  return html`
    <h1>Apply</h1>
    <form class="apply" aria-label="Apply configuration" onSubmit=${(e: Event) => { e.preventDefault(); void send(true); }}>
      <label for="apply-yaml">Resources (YAML, documents separated by ---)</label>
      <textarea id="apply-yaml" rows="16" spellcheck="false" value=${yaml} onInput=${(e: Event) => setYaml((e.target as HTMLTextAreaElement).value)}></textarea>
      <label for="apply-file">Or upload a file</label>
      <input id="apply-file" type="file" accept=".yaml,.yml,.json,application/yaml" onChange=${upload} />
      <div class="buttons">
        <button type="submit" disabled=${busy || yaml.trim() === ''}>Check</button>
        <button type="button" disabled=${busy || yaml.trim() === '' || !mayApply} aria-describedby=${mayApply ? undefined : 'apply-role'}
          onClick=${() => void send(false)}>Apply</button>
        ${mayApply ? null : html`<span id="apply-role" class="muted">Applying needs the editor role; you are signed in as a viewer.</span>`}
      </div>
    </form>
    <section aria-labelledby="apply-result" aria-live="polite">
      <h2 id="apply-result">Result</h2>
      ${outcome === undefined ? html`<p class="muted">Check shows what would change, without changing anything.</p>` : null}
      ${outcome?.kind === 'refused' ? html`
        <div class="error" role="alert">
          <p>${outcome.message} (${outcome.code})</p>
          ${outcome.errors.length === 0 ? null : html`<ul class="field-errors">${outcome.errors.map((e, i) => html`<li key=${i}><code class="path">${e.path}</code>: <span>${e.message}</span></li>`)}</ul>`}
        </div>` : null}
      ${outcome?.kind === 'planned' ? html`
        <p>Checked against revision ${outcome.answer.revision}: ${outcome.answer.changes.length} resources, nothing applied yet.</p>
        <ul class="changes">${outcome.answer.changes.map((c) => html`<${Change} key=${`${c.kind}/${c.name}`} change=${c} />`)}</ul>` : null}
      ${outcome?.kind === 'applied' ? html`
        <p role="status">Applied as revision ${outcome.revision}: ${outcome.changes.map((c) => `${c.kind}/${c.name} ${c.action}`).join(', ')}.
          <${Link} href=${`${BASE}/rollouts`}>Follow the rollout</${Link}></p>` : null}
    </section>`;
}

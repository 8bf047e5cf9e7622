// Team (admins): the managers' rights on the selected account, and the managers themselves
// (add, edit, disable, delete, new password). Write and Manage chats include Read: ticking
// either ticks Read, unticking Read unticks both; the server stores it the same way.
import { html, useEffect, useRef, useState } from './ui.js';
import { announce, ask } from './dom.js';
import { api, items, sessionPath } from './api.js';
import { sessionName } from './format.js';

const kRights = [['canRead', 'Read'], ['canWrite', 'Write'], ['canManageChats', 'Manage chats']];
const kNone = { canRead: false, canWrite: false, canManageChats: false };
const who = (m) => m.name || m.email;
const message = (e) => String(e?.message ?? e);

// The content of #team-pane for `session` (null: no account). Reads managers and grants again
// whenever `session` or `reload` changes.
export function Team({ session, reload }) {
  const [managers, setManagers] = useState([]);
  const [grants, setGrants] = useState(new Map());  // managerId → grant
  const [status, setStatus] = useState('');
  const [error, setError] = useState('');
  const [editing, setEditing] = useState(null);     // the manager the form edits, or null to add one
  const current = useRef(session);
  current.current = session;

  const load = async () => {
    const [list, access] = await Promise.all([
      api('GET', '/api/managers'),
      session ? api('GET', `${sessionPath(session)}/access`) : Promise.resolve([]),
    ]);
    if (current.current !== session) return;
    setManagers(items(list));
    setGrants(new Map(items(access).map((g) => [g.managerId, g])));
    if (!items(list).length) setStatus('No managers yet: add one below.');
  };
  const said = (text) => { setStatus(text); announce(text); };
  // Resolves true when `promise` did, else shows why and resolves false.
  const guard = (promise) => {
    setError('');
    return promise.then(() => true, (e) => { setError(message(e)); return false; });
  };
  useEffect(() => { guard(load()); }, [session?.id, reload]);

  // One manager's row → the grant: replaced, or revoked when nothing is ticked.
  const saveGrant = async (manager, flags) => {
    setError('');
    const base = `${sessionPath(session)}/access`;
    setGrants((g) => new Map(g).set(manager.id, { managerId: manager.id, ...flags }));
    try {
      if (!flags.canRead) await api('DELETE', `${base}/${encodeURIComponent(manager.id)}`).catch((e) => { if (e.status !== 404) throw e; });
      else await api('POST', base, { managerId: manager.id, ...flags });
    } catch (e) {
      setError(message(e));
      guard(load());
      return;
    }
    const held = kRights.filter(([k]) => flags[k]).map(([, l]) => l);
    setStatus(held.length ? `Saved: ${who(manager)} may ${held.join(', ').toLowerCase()} on ${sessionName(session)}.`
      : `Saved: ${who(manager)} has no access to ${sessionName(session)}.`);
  };
  const update = (manager, patch, done) => guard(api('PATCH', `/api/managers/${encodeURIComponent(manager.id)}`, patch)
    .then(load).then(() => said(done)));
  const remove = async (manager) => {
    if (!await ask(`Delete ${who(manager)}? Their rights go too; the messages they sent stay.`, 'Delete')) return;
    guard(api('DELETE', `/api/managers/${encodeURIComponent(manager.id)}`).then(() => {
      if (editing?.id === manager.id) setEditing(null);
      return load();
    }).then(() => said(`${who(manager)} deleted.`)));
  };

  const submitManager = async (body) => {
    if (!editing) {
      const ok = await guard(api('POST', '/api/managers', body).then(load));
      if (ok) {
        announce(`${body.name || body.email} added.`);
        setStatus(`${body.name || body.email} added. Tick their rights above.`);
      }
      return ok;
    }
    const ok = !Object.keys(body).length || await update(editing, body, body.password ? 'Saved, with the new password.' : 'Saved.');
    if (ok) setEditing(null);
    return ok;
  };

  return html`
    <h2 id="team-title">Rights on <span id="team-session">${session ? sessionName(session) : 'no account'}</span></h2>
    <p class="hint">Write and Manage chats include Read.</p>
    <div class="table-wrap" role="region" aria-labelledby="team-title" tabindex="0">
      <table id="grants">
        <thead><tr><th scope="col">Manager</th><th scope="col">Read</th><th scope="col">Write</th><th scope="col">Manage chats</th></tr></thead>
        <tbody>
          ${managers.map((m) => html`<${GrantRow} key=${m.id} manager=${m} grant=${grants.get(m.id) ?? kNone} disabled=${!session}
            save=${(flags) => saveGrant(m, flags)} />`)}
        </tbody>
      </table>
    </div>
    <p id="grants-status" role="status">${status}</p>
    <h2>Managers</h2>
    <ul id="managers">
      ${managers.map((m) => html`
        <li key=${m.id} data-id=${m.id}>
          <span class="who">${who(m)}<small> ${m.email}${m.disabled ? ' · disabled' : ''}</small></span>
          <button type="button" aria-label=${`Edit ${who(m)}`} onClick=${() => setEditing(m)}>Edit</button>
          <button type="button" aria-label=${`${m.disabled ? 'Enable' : 'Disable'} ${who(m)}`}
            onClick=${() => update(m, { disabled: !m.disabled }, `${who(m)} ${m.disabled ? 'enabled' : 'disabled'}.`)}>${m.disabled ? 'Enable' : 'Disable'}</button>
          <button type="button" class="danger" aria-label=${`Delete ${who(m)}`} onClick=${() => remove(m)}>Delete</button>
        </li>`)}
    </ul>
    <${ManagerForm} key=${editing?.id ?? 'new'} editing=${editing} cancel=${() => setEditing(null)}
      submit=${submitManager} />
    <p id="team-error" class="error" role="alert">${error}</p>`;
}

// A row of the rights table: ticks saved as soon as they change.
function GrantRow({ manager: m, grant, disabled, save }) {
  const [flags, setFlags] = useState(grant);
  useEffect(() => setFlags(grant), [grant.canRead, grant.canWrite, grant.canManageChats]);
  const change = (right, on) => {
    const next = { ...flags, [right]: on };
    if (right !== 'canRead' && on) next.canRead = true;
    if (right === 'canRead' && !on) Object.assign(next, kNone);
    setFlags(next);
    save({ canRead: next.canRead, canWrite: next.canWrite, canManageChats: next.canManageChats });
  };
  return html`
    <tr data-id=${m.id}>
      <th scope="row">${who(m)}<small> ${m.email}${m.disabled ? ' (disabled)' : ''}</small></th>
      ${kRights.map(([right, label]) => html`
        <td key=${right}><input type="checkbox" name=${right} checked=${Boolean(flags[right])} disabled=${disabled}
          aria-label=${`${label} for ${who(m)}`} onChange=${(e) => change(right, e.currentTarget.checked)} /></td>`)}
    </tr>`;
}

// Adds a manager (editing null) or edits one: name, email, and a new password if given.
// submit(body) gets what to send (for an edit only what changed) and resolves true once it is saved.
function ManagerForm({ editing, submit, cancel }) {
  const name = useRef(null);
  useEffect(() => { if (editing) name.current.focus(); }, []);
  const onSubmit = (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    const values = { name: form.elements.name.value.trim(), email: form.elements.email.value.trim(), password: form.elements.password.value };
    const body = {};
    if (editing) {
      if (values.name !== (editing.name ?? '')) body.name = values.name;
      if (values.email !== editing.email) body.email = values.email;
      if (values.password) body.password = values.password;
    } else {
      Object.assign(body, { email: values.email, password: values.password });
      if (values.name) body.name = values.name;
    }
    submit(body).then((ok) => { if (ok && !editing) form.reset(); });
  };
  return html`
    <form id="manager-form" onSubmit=${onSubmit}>
      <fieldset>
        <legend id="manager-form-title">${editing ? `Edit ${who(editing)}` : 'Add a manager'}</legend>
        <label for="manager-name">Name</label>
        <input id="manager-name" name="name" ref=${name} autocomplete="off" defaultValue=${editing?.name ?? ''} />
        <label for="manager-email">Email</label>
        <input id="manager-email" name="email" type="email" autocomplete="off" required defaultValue=${editing?.email ?? ''} />
        <label for="manager-password">${editing ? 'New password (leave empty to keep it)' : 'Password (8 or more characters)'}</label>
        <input id="manager-password" name="password" type="password" minlength="8" autocomplete="new-password" required=${!editing} />
        <div class="row">
          <button type="submit" class="primary">${editing ? 'Save' : 'Add'}</button>
          <button id="manager-cancel" type="button" hidden=${!editing} onClick=${cancel}>Cancel</button>
        </div>
      </fieldset>
    </form>`;
}

// Accounts (WhatsApp sessions): the list, with each account's status in words (and, for a
// manager, the rights they hold on it), and the account panel for admins: the status with its
// reason, the QR code or a pairing code while one is pending, link again, restart, unlink, rename
// and delete.
import { html, useEffect, useRef, useState } from './ui.js';
import { ask } from './dom.js';
import { isLinked, needsAttention, sessionName, sessionStatusLine } from './format.js';
import { settingsIcon } from './icons.js';

const statusLine = (s) => sessionStatusLine(s) + (s.phoneNumber ? ` · +${s.phoneNumber}` : '');
const message = (e) => String(e?.message ?? e);

// The content of #accounts-pane: the list, or why it is empty, and "Link an account" (admins).
export const AccountsPane = ({ onLink, ...list }) => html`
  <h2 id="accounts-title">Accounts</h2>
  <ul id="sessions"><${SessionList} ...${list} /></ul>
  <p id="sessions-empty" class="empty" hidden=${!list.signedIn || list.sessions.length > 0}>${list.isAdmin
    ? 'No account yet: link one.' : 'No account is shared with you yet. Ask an admin for access.'}</p>
  <button id="new-session" type="button" hidden=${!list.isAdmin} onClick=${onLink}>+ Link an account</button>`;

// The items of #sessions. onSelect(s) opens the account's chats, onManage(s) its panel (admins).
function SessionList({ sessions, current, isAdmin, rightsOf, onSelect, onManage }) {
  return sessions.map((s) => {
    const r = rightsOf(s);
    const rights = isAdmin ? '' : ` · ${['Read', r.canWrite && 'Write', r.canManageChats && 'Manage chats'].filter(Boolean).join(', ')}`;
    return html`
      <li key=${s.id} data-id=${s.id}>
        <button type="button" class="account" data-id=${s.id} aria-current=${String(s.id === current?.id)} onClick=${() => onSelect(s)}>
          <span class="name">${sessionName(s)}</span>
          <span class=${needsAttention(s) ? 'status bad' : 'status'}>${statusLine(s) + rights}</span>
        </button>
        ${isAdmin && html`
          <button type="button" class="manage" aria-label=${`Manage account ${sessionName(s)}`} title="Manage account"
            onClick=${() => onManage(s)}>${settingsIcon()}</button>`}
      </li>`;
  });
}

// The content of #account-panel for `session`; keyed by the session, so a form typed into for one
// account never shows for another. `qr` is the newest QR code (a data: URL) or null; the other
// props are the actions, each a Promise whose rejection is shown here:
// loadQr() asks the API for the pending QR, act(path, done) posts .../start or .../disconnect,
// pairingCode(phone) → the code, rename(name), remove(purge). failed(e) lets the page react to an
// error (a 403 may mean the rights changed).
export function AccountPanel({ session: s, qr, loadQr, act, pairingCode, rename, remove, failed }) {
  const [error, setError] = useState('');
  const [code, setCode] = useState('');
  const [name, setName] = useState(null);  // what the user types; null: the field shows the account's name
  const nameInput = useRef(null);
  const waiting = s.status === 'qr' || s.status === 'initializing';
  const run = (promise) => {
    setError('');
    return promise.catch((e) => { setError(message(e)); failed(e); });
  };
  useEffect(() => { if (waiting && !qr) run(loadQr()); }, [s.id, s.status, Boolean(qr)]);
  useEffect(() => { if (s.status !== 'qr') setCode(''); }, [s.status]);

  const relink = s.status === 'logged_out' || (s.status === 'disconnected' && s.statusReason === 'qr_timeout');
  const restart = s.status === 'failed' || (s.status === 'disconnected' && s.statusReason !== 'qr_timeout');
  const shownQr = waiting ? qr : null;
  const unlink = async () => {
    if (await ask(`Unlink ${sessionName(s)} from WhatsApp? It will need a new QR scan.`, 'Unlink')) run(act('disconnect', 'Unlinked.'));
  };
  const askCode = (e) => {
    e.preventDefault();
    run(pairingCode(e.currentTarget.elements.phone.value.replace(/[^0-9+]/g, ''))
      .then((c) => setCode(`${c.slice(0, 4)}-${c.slice(4)}`)));
  };
  const submitName = (e) => {
    e.preventDefault();
    run(rename(nameInput.current.value).then(() => { setName(null); nameInput.current?.blur(); }));
  };
  const submitDelete = async (e) => {
    e.preventDefault();
    const purge = e.currentTarget.elements.purge.checked;
    const what = purge ? 'and all its chats and messages' : '(its chats and messages stay in the database)';
    if (await ask(`Delete ${sessionName(s)} ${what}? This cannot be undone.`, 'Delete')) run(remove(purge));
  };

  return html`
    <h3 id="account-panel-title" tabindex="-1">Account and link</h3>
    <p id="account-status" role="status">${statusLine(s)}</p>
    <div id="qr" hidden=${!shownQr}>
      <img id="qr-image" src=${shownQr || undefined} alt="QR code to scan with WhatsApp" />
      <p>On the phone: WhatsApp → Settings → Linked devices → Link a device, then scan this code.</p>
    </div>
    <form id="pairing-form" hidden=${s.status !== 'qr'} onSubmit=${askCode}>
      <label for="pairing-phone">Or link with the phone number instead</label>
      <div class="row">
        <input id="pairing-phone" name="phone" type="tel" inputmode="tel" placeholder="+79001234567" autocomplete="off"
          pattern="\\+?[0-9][0-9 \\(\\)\\-]{5,19}" required />
        <button type="submit">Get a code</button>
      </div>
      <p id="pairing-code" class="code" role="status">${code}</p>
      <p id="pairing-hint" hidden=${!code}>On the phone: WhatsApp → Settings → Linked devices → Link a device → Link with phone number instead, then type this code.</p>
    </form>
    <div class="row actions">
      <button id="account-relink" type="button" hidden=${!relink}
        onClick=${() => run(act('start', 'Linking again: scan the new QR code.'))}>Link again (new QR)</button>
      <button id="account-restart" type="button" hidden=${!restart} onClick=${() => run(act('start', 'Restarting.'))}>Restart</button>
      <button id="account-unlink" type="button" hidden=${!isLinked(s)} onClick=${unlink}>Unlink from WhatsApp</button>
    </div>
    <form id="rename-form" onSubmit=${submitName}>
      <label for="rename-input">Name</label>
      <div class="row">
        <input id="rename-input" ref=${nameInput} maxlength="200" autocomplete="off" required
          value=${name ?? s.name ?? ''} onInput=${(e) => setName(e.currentTarget.value)} />
        <button type="submit">Rename</button>
      </div>
    </form>
    <form id="delete-form" onSubmit=${submitDelete}>
      <label class="check"><input id="delete-purge" name="purge" type="checkbox" /> Also delete its chats and messages</label>
      <button type="submit" class="danger">Delete this account</button>
    </form>
    <p id="account-error" class="error" role="alert">${error}</p>`;
}

// Group chats in the console: the members line under the chat title and the Participants panel
// (loaded when a group chat opens and again when WhatsApp tells of a change), where admins of the
// group with Manage chats add participants by number and remove them, each answer shown per
// participant. System lines ("Alice added Carol") are rows of the message list.
import { html, useRef, useState } from './ui.js';
import { ask } from './dom.js';
import { api, chatPath } from './api.js';

// What a member is called: push name, else number, else JID.
const memberName = (p) => p.name || (p.phone ? `+${p.phone}` : p.jid);
const kRanks = { superadmin: 'owner', admin: 'admin' };

export class GroupMembers {
  constructor() {
    this.chatId = null;
    this.list = [];
  }

  // Loads the members of `chat` (a group) of `session`; false when another chat was opened meanwhile.
  async load(session, chat, isCurrent) {
    if (this.chatId !== chat.id) this.list = [];
    this.chatId = chat.id;
    const list = await api('GET', `${chatPath(session, chat)}/participants`);
    if (!isCurrent() || this.chatId !== chat.id) return false;
    this.list = list;
    return true;
  }

  // The subtitle of a group chat: "3 participants: Alice (owner), Bob (admin), +15550001111".
  subtitle() {
    if (!this.list.length) return '';
    const names = this.list.map((p) => (kRanks[p.admin] ? `${memberName(p)} (${kRanks[p.admin]})` : memberName(p)));
    return `${this.list.length} participant${this.list.length === 1 ? '' : 's'}: ${names.join(', ')}`;
  }

  // The account's own entry in the list (its number is the session's), or undefined.
  self(session) {
    return session?.phoneNumber ? this.list.find((p) => p.phone === session.phoneNumber) : undefined;
  }
}

// WhatsApp's answer for one participant, in words.
function answerWords(action, status) {
  if (status === 'ok') return action === 'add' ? 'added' : 'removed';
  const words = {
    already_participant: 'already in the group', not_participant: 'not in the group',
    invite_required: 'not added: their privacy settings ask for an invitation instead',
  }[status];
  if (words) return words;
  if (status.startsWith('refused_')) return `WhatsApp refused (${status.slice('refused_'.length)})`;
  return status.replaceAll('_', ' ');
}
const kNumber = /^\+?[0-9][0-9 ()-]{5,19}$/;

// The content of #group-panel: the members with their ranks; for an admin of the group (the
// account is admin or owner there) with Manage chats, an "Add participant" field and a Remove
// button per member. manage(action, participants) → Promise<[{jid, status}]>.
export function GroupPanel({ members, self, groupName, canManage, manage }) {
  const [answers, setAnswers] = useState([]);  // [{key, text, ok}] of the last change
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const title = useRef(null);
  const input = useRef(null);
  const isAdmin = Boolean(self && kRanks[self.admin]);
  const controls = canManage && isAdmin;

  const change = async (action, participants, label) => {
    setError('');
    setAnswers([]);
    setBusy(true);
    try {
      const results = await manage(action, participants);
      setAnswers(results.map((r, i) => ({ key: r.jid, ok: r.status === 'ok', text: `${label(r, i)}: ${answerWords(action, r.status)}.` })));
      return results.every((r) => r.status === 'ok');
    } catch (e) {
      setError(String(e?.message ?? e));
      return false;
    } finally {
      setBusy(false);
    }
  };
  const add = async (e) => {
    e.preventDefault();
    const number = input.current.value.trim();
    if (!kNumber.test(number)) { setError('Type an international number: 7 to 15 digits, for example +79001234567.'); return; }
    const digits = number.replace(/[^0-9]/g, '');
    if (await change('add', [digits], () => `+${digits}`)) input.current.value = '';
    input.current.focus();
  };
  const remove = async (p) => {
    if (!await ask(`Remove ${memberName(p)} from ${groupName}?`, 'Remove')) return;
    await change('remove', [p.phone || p.jid], () => memberName(p));
    title.current.focus();
  };

  return html`
    <h3 id="group-panel-title" ref=${title} tabindex="-1">Participants (${members.length})</h3>
    <ul id="participants">
      ${members.map((p) => html`
        <li key=${p.jid} data-jid=${p.jid}>
          <span class="who">${memberName(p)}${p === self ? ' (this account)' : ''}<small>${[
            p.phone && p.name ? ` +${p.phone}` : '', kRanks[p.admin] ? ` · ${kRanks[p.admin]}` : ''].join('')}</small></span>
          ${controls && p !== self && html`
            <button type="button" class="danger" aria-label=${`Remove ${memberName(p)}`} disabled=${busy}
              onClick=${() => remove(p)}>Remove</button>`}
        </li>`)}
    </ul>
    ${controls && html`
      <form id="participant-form" onSubmit=${add}>
        <label for="participant-number">Add participant (phone number)</label>
        <div class="row">
          <input id="participant-number" ref=${input} type="tel" inputmode="tel" placeholder="+79001234567" autocomplete="off" required />
          <button type="submit" disabled=${busy}>Add</button>
        </div>
      </form>`}
    ${canManage && !isAdmin && html`
      <p class="hint">Only admins of the group add or remove participants; this account is not one.</p>`}
    <div id="participant-answers" role="status">
      ${answers.map((a) => html`<p key=${a.key} class=${a.ok ? 'ok' : 'refused'}>${a.text}</p>`)}
    </div>
    <p id="group-error" class="error" role="alert">${error}</p>`;
}

// The conversation pane: its header (Back on phones, the chat's initials, name and subtitle, the
// Participants and Manage chat toggles), the chat management form, the message list with day
// separators, and the composer.
import { html, useEffect, useLayoutEffect, useRef, useState } from './ui.js';
import { randomId } from './api.js';
import { clock, contentText, dayKey, dayLabel, failureWords, kDeliveryMarks } from './format.js';
import { Media } from './media.js';
import { paperclipIcon } from './icons.js';

// The bar above the messages. `manage` and `members` are {shown, open, toggle} for the two panels.
export function ConversationHead({ title, avatar, subtitle, manage, members, onBack }) {
  return html`
    <div class="pane-head">
      <button id="back" type="button" class="back" aria-label="Back to chats" onClick=${onBack}>←</button>
      <span id="chat-avatar" class="avatar" aria-hidden="true" hidden=${!avatar}>${avatar}</span>
      <div class="title">
        <h2 id="chat-title">${title}</h2>
        <p id="chat-subtitle">${subtitle}</p>
      </div>
      <div class="tools" hidden=${!members.shown && !manage.shown}>
        <button id="group-toggle" type="button" aria-expanded=${String(members.open)} aria-controls="group-panel"
          hidden=${!members.shown} onClick=${members.toggle}>Participants</button>
        <button id="chat-details-toggle" type="button" aria-expanded=${String(manage.open)} aria-controls="chat-details"
          hidden=${!manage.shown} onClick=${manage.toggle}>Manage chat</button>
      </div>
    </div>`;
}

const kFlagWords = { pinned: ['Pinned.', 'Unpinned.'], muted: ['Muted.', 'Unmuted.'], archived: ['Archived.', 'Back from the archive.'] };

// "Manage this chat" (canManageChats): assignee, labels, pin, mute, archive. Keyed by the chat: a
// field the user changed and has not saved yet keeps their value while the chat or the teammate
// list changes underneath. patch(body) → Promise (its failure is shown by the page).
export function ChatDetails({ chat: c, open, user, assignees, patch }) {
  const [assignee, setAssignee] = useState(null);  // null: not edited, the chat's own value shows
  const [labels, setLabels] = useState(null);
  const [status, setStatus] = useState('');
  const options = [['', 'Nobody'], [user.id, 'Me']];
  for (const u of assignees) if (u.id !== user.id) options.push([u.id, u.name || u.email]);
  if (c.assignedTo && !options.some(([id]) => id === c.assignedTo)) options.push([c.assignedTo, 'A former teammate']);
  const save = (body, done) => {
    setStatus('Saving…');
    patch(body).then(() => setStatus(done), () => setStatus(''));
  };
  const submit = (e) => {
    e.preventDefault();
    const form = e.currentTarget.elements;
    const list = [...new Set(form.labels.value.split(',').map((l) => l.trim()).filter(Boolean))];
    setAssignee(null);
    setLabels(null);
    save({ assignedTo: form.assignee.value || null, labels: list }, 'Saved.');
  };
  return html`
    <form id="chat-details" hidden=${!open} onSubmit=${submit}>
      <fieldset>
        <legend>Manage this chat</legend>
        <label for="chat-assignee">Assigned to</label>
        <select id="chat-assignee" name="assignee" value=${assignee ?? c.assignedTo ?? ''} onChange=${(e) => setAssignee(e.currentTarget.value)}>
          ${options.map(([id, label]) => html`<option key=${id} value=${id}>${label}</option>`)}
        </select>
        <label for="chat-labels">Labels (separated by commas)</label>
        <input id="chat-labels" name="labels" autocomplete="off" value=${labels ?? (c.labels ?? []).join(', ')}
          onInput=${(e) => setLabels(e.currentTarget.value)} />
        <div class="row toggles">
          ${[['pinned', 'Pin'], ['muted', 'Mute'], ['archived', 'Archive']].map(([flag, label]) => html`
            <button key=${flag} type="button" data-flag=${flag} aria-pressed=${String(Boolean(c[flag]))}
              onClick=${() => save({ [flag]: !c[flag] }, kFlagWords[flag][c[flag] ? 1 : 0])}>${label}</button>`)}
        </div>
        <button type="submit">Save assignee and labels</button>
        <p id="chat-details-status" role="status">${status}</p>
      </fieldset>
    </form>`;
}

function Delivery({ message: m }) {
  const [mark, words] = kDeliveryMarks[m.status] ?? [m.status, m.status];
  const why = m.status === 'failed' && m.failureReason ? `: ${failureWords(m.failureReason)}` : '';
  return html`
    <span class=${m.status === 'failed' ? 'delivery failed' : 'delivery'} title=${words + why}>
      <span aria-hidden="true">${` ${mark}${why}`}</span><span class="sr-only">${`, ${words}${why}`}</span>
    </span>`;
}

function Message({ message: m, inGroup }) {
  if (m.type === 'system') return html`<li class="system" data-id=${m.id}>${m.body}</li>`;
  const when = m.timestamp ? new Date(m.timestamp) : null;
  const notice = m.deleted || m.type === 'undecryptable';
  return html`
    <li class=${m.fromMe ? 'mine' : ''} data-id=${m.id}>
      ${!m.fromMe && inGroup && html`<span class="sender">${m.sender?.name || m.sender?.phone || ''}</span>`}
      <${Media} message=${m} />
      <span class=${notice ? 'body notice' : 'body'}>${contentText(m)}</span>
      <small class="meta">${m.edited && !m.deleted ? 'edited ' : ''}${when && html`
        <time datetime=${m.timestamp} title=${when.toLocaleString()}>${clock(when)}</time>`}${m.fromMe && html`<${Delivery} message=${m} />`}</small>
    </li>`;
}

// The content of #scroller: "Older messages", a status line, the messages under day separators
// ("Today", "Yesterday", the date) and "New messages ↓" for a reader up in the history.
export function MessageList({ messages, inGroup, status, hasOlder, loadingOlder, onOlder, jumpNew, onJump }) {
  const rows = [];
  let lastDay = null;
  for (const m of messages) {
    const when = m.timestamp ? new Date(m.timestamp) : null;
    if (when && dayKey(when) !== lastDay) {
      lastDay = dayKey(when);
      rows.push(html`<li key=${`day-${lastDay}`} class="day">${dayLabel(when)}</li>`);
    }
    rows.push(html`<${Message} key=${m.id} message=${m} inGroup=${inGroup} />`);
  }
  return html`
    <button id="older" type="button" hidden=${!hasOlder} disabled=${loadingOlder} onClick=${onOlder}>Older messages</button>
    <p id="messages-status" class="empty">${status}</p>
    <ol id="messages">${rows}</ol>
    <button id="jump-new" type="button" hidden=${!jumpNew} onClick=${onJump}>New messages ↓</button>`;
}

// The composer: Enter sends, Shift+Enter starts a new line, the box grows to about six lines.
// Keyed by the chat: `draft` is the text left in it before, saveDraft(text) keeps what is left
// when another chat opens. A send makes the text read-only until the server answers (a second
// Enter does nothing) and carries a clientMessageId kept until the text changes, so a retry after
// a lost answer gets the first message back. send(text, clientMessageId) and sendFile(file,
// caption) resolve true once sent; a failed send keeps the text.
export function Composer({ shown, note, draft, saveDraft, send, sendFile, canAttach }) {
  const [text, setText] = useState(draft);
  const [sending, setSending] = useState(false);
  const busy = useRef(false);        // set at once, before the next keystroke can read `sending`
  const clientId = useRef(null);
  const box = useRef(null);
  const latest = useRef(text);
  latest.current = text;
  useEffect(() => () => { if (!busy.current) saveDraft(latest.current); }, []);
  useLayoutEffect(() => {
    const el = box.current;
    el.style.height = 'auto';
    if (el.scrollHeight) el.style.height = `${Math.min(el.scrollHeight + 2, 160)}px`;
  }, [text, shown]);

  const run = async (job) => {
    busy.current = true;
    setSending(true);
    try {
      if (await job()) { setText(''); clientId.current = null; }
    } finally {
      busy.current = false;
      setSending(false);
    }
  };
  const submit = () => {
    const value = box.current.value.trim();
    if (!value || busy.current || note) return;
    clientId.current ||= randomId();
    run(() => send(value, clientId.current));
  };
  const pick = (e) => {
    const file = e.currentTarget.files?.[0];
    e.currentTarget.value = '';
    if (!file || busy.current || note || !canAttach) return;
    run(() => sendFile(file, box.current.value.trim()));
  };
  return html`
    <p id="composer-note" class="note" hidden=${!note}>${note}</p>
    <form id="send-form" hidden=${!shown} onSubmit=${(e) => { e.preventDefault(); submit(); }}>
      <label for="send-text" class="sr-only">Message</label>
      <textarea id="send-text" ref=${box} rows="1" placeholder="Write a message" title="Enter sends; Shift+Enter starts a new line"
        autocomplete="off" value=${text} readOnly=${sending} disabled=${Boolean(note)}
        onInput=${(e) => { if (!busy.current) clientId.current = null; setText(e.currentTarget.value); }}
        onKeyDown=${(e) => { if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); } }}></textarea>
      <input id="send-file" type="file" class="sr-only" onChange=${pick} />
      <label for="send-file" class="attach" title="Send a file (the text becomes its caption)">${paperclipIcon()}<span class="sr-only">Send a file</span></label>
      <button type="submit" class="primary" disabled=${sending || Boolean(note)}>Send</button>
    </form>`;
}

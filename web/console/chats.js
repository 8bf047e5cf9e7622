// The chat list: filters, the chats (initials, name, time of the last message, preview, pinned
// and muted marks, up to two labels, the unread count) and the line that shows how far the
// import of the phone's history is.
import { html } from './ui.js';
import { chatName, initials, listTime } from './format.js';
import { mutedIcon, pinIcon } from './icons.js';

const kFilters = [['all', 'All'], ['unread', 'Unread'], ['mine', 'Mine'], ['archived', 'Archived']];

// The content of #chats-pane: search, filters, "Write to a number" (with Write), the history
// import line, the chats, "More chats" and why the list is empty. onSearch(text) as the user
// types; onNumber(number) → Promise (the field is cleared once it resolves); onNearEnd() when
// the list is scrolled to its end.
export function ChatsPane({ chats, currentId, onOpen, filter, onFilter, onSearch, canWrite, onNumber, history, more, onMore, onNearEnd, empty }) {
  const submitNumber = (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    onNumber(form.elements.number.value).then(() => form.reset(), () => {});
  };
  const scrolled = (e) => {
    const list = e.currentTarget;
    if (list.scrollTop + list.clientHeight > list.scrollHeight - 200) onNearEnd();
  };
  return html`
    <h2 id="chats-title" class="sr-only">Chats</h2>
    <div class="chat-tools">
      <label for="chat-search" class="sr-only">Search chats</label>
      <input id="chat-search" type="search" placeholder="Search chats" autocomplete="off" onInput=${(e) => onSearch(e.currentTarget.value)} />
      <div id="chat-filters" role="group" aria-label="Show"><${ChatFilters} filter=${filter} onFilter=${onFilter} /></div>
      <form id="new-chat-form" hidden=${!canWrite} onSubmit=${submitNumber}>
        <label for="new-chat-number">Write to a number</label>
        <div class="row">
          <input id="new-chat-number" name="number" type="tel" inputmode="tel" placeholder="+79001234567" autocomplete="off"
            pattern="\\+?[0-9][0-9 \\(\\)\\-]{5,19}" title="An international number: digits, optionally starting with +" required />
          <button type="submit">Open</button>
        </div>
      </form>
    </div>
    <div id="history-import" role="status" class=${history?.phase === 'failed' ? 'failed' : ''} hidden=${!history}>
      ${history && html`<${HistoryImport} progress=${history} />`}
    </div>
    <ul id="chats" onScroll=${scrolled}><${ChatList} chats=${chats} currentId=${currentId} onOpen=${onOpen} /></ul>
    <button id="more-chats" type="button" hidden=${!more} onClick=${onMore}>More chats</button>
    <p id="chats-empty" class="empty" hidden=${!empty}>${empty}</p>`;
}

// The buttons of #chat-filters.
const ChatFilters = ({ filter, onFilter }) => kFilters.map(([f, label]) => html`
  <button key=${f} type="button" data-filter=${f} aria-pressed=${String(f === filter)} onClick=${() => onFilter(f)}>${label}</button>`);

// The items of #chats; onOpen(chat) opens one.
const ChatList = ({ chats, currentId, onOpen }) => chats.map((c) => {
  const name = chatName(c);
  return html`
    <li key=${c.id} data-id=${c.id}>
      <button type="button" class="chat" data-id=${c.id} aria-current=${String(c.id === currentId)} onClick=${() => onOpen(c)}>
        <span class="avatar" aria-hidden="true">${initials(name)}</span>
        <span class="name">${name}</span>
        <span class="time">${listTime(c.lastMessageAt)}</span>
        <span class="preview">${c.lastMessage ?? ''}</span>
        <span class="marks">
          ${c.pinned && html`<span title="Pinned" aria-label="pinned" role="img">${pinIcon()}</span>`}
          ${c.muted && html`<span title="Muted" aria-label="muted" role="img">${mutedIcon()}</span>`}
          ${(c.labels ?? []).slice(0, 2).map((l) => html`<span key=${l} class="label">${l}</span>`)}
          ${c.unreadCount > 0 && html`<span class="unread">${String(c.unreadCount)}<span class="sr-only"> unread</span></span>`}
        </span>
      </button>
    </li>`;
});

const kImportFailures = {
  inflate_failed: 'the phone sent it damaged', inflate_too_large: 'it is too large', trailing_bytes: 'the phone sent it damaged',
  bad_protobuf: 'the phone sent it damaged', history_external_blob: 'it has to be downloaded from WhatsApp\'s media servers',
};
const count = (n, one, many) => `${Number(n).toLocaleString()} ${n === 1 ? one : many}`;

// The content of #history-import for the newest whatsapp:history_progress of an import under way
// (or failed).
function HistoryImport({ progress: p }) {
  const failed = p.phase === 'failed';
  const why = kImportFailures[p.reason] ?? String(p.reason ?? 'unknown').replaceAll('_', ' ');
  return html`
    <span id="history-import-text">${failed
      ? `The phone's chat history could not be imported (${why}); it is tried again at the next connection.`
      : `Importing chats from the phone… ${count(p.chats ?? 0, 'chat', 'chats')}, ${count(p.messages ?? 0, 'message', 'messages')}`}</span>
    <progress id="history-import-bar" max="100" aria-labelledby="history-import-text" hidden=${failed}
      value=${Math.max(0, Math.min(100, Number(p.progress) || 0))}></progress>`;
}

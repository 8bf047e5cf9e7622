// The chat list: filters, the chats (initials, name, time of the last message, preview, pinned
// and muted marks, up to two labels, the unread count) and the line that shows how far the
// import of the phone's history is.
import { html } from './ui.js';
import { chatName, initials, listTime } from './format.js';

const kFilters = [['all', 'All'], ['unread', 'Unread'], ['mine', 'Mine'], ['archived', 'Archived']];

// The buttons of #chat-filters.
export const ChatFilters = ({ filter, onFilter }) => kFilters.map(([f, label]) => html`
  <button key=${f} type="button" data-filter=${f} aria-pressed=${String(f === filter)} onClick=${() => onFilter(f)}>${label}</button>`);

// The items of #chats; onOpen(chat) opens one.
export const ChatList = ({ chats, currentId, onOpen }) => chats.map((c) => {
  const name = chatName(c);
  return html`
    <li key=${c.id} data-id=${c.id}>
      <button type="button" class="chat" data-id=${c.id} aria-current=${String(c.id === currentId)} onClick=${() => onOpen(c)}>
        <span class="avatar" aria-hidden="true">${initials(name)}</span>
        <span class="name">${name}</span>
        <span class="time">${listTime(c.lastMessageAt)}</span>
        <span class="preview">${c.lastMessage ?? ''}</span>
        <span class="marks">
          ${c.pinned && html`<span title="Pinned" aria-label="pinned" role="img">📌</span>`}
          ${c.muted && html`<span title="Muted" aria-label="muted" role="img">🔕</span>`}
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
export function HistoryImport({ progress: p }) {
  const failed = p.phase === 'failed';
  const why = kImportFailures[p.reason] ?? String(p.reason ?? 'unknown').replaceAll('_', ' ');
  return html`
    <span id="history-import-text">${failed
      ? `The phone's chat history could not be imported (${why}); it is tried again at the next connection.`
      : `Importing chats from the phone… ${count(p.chats ?? 0, 'chat', 'chats')}, ${count(p.messages ?? 0, 'message', 'messages')}`}</span>
    <progress id="history-import-bar" max="100" aria-labelledby="history-import-text" hidden=${failed}
      value=${Math.max(0, Math.min(100, Number(p.progress) || 0))}></progress>`;
}

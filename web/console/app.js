// wadesk web console: signs in with the REST API, lists the accounts (sessions) the user may read,
// their chats and messages, sends replies, links and looks after accounts (admins), manages
// chats (canManageChats), group members and the team (admins), and stays current through the
// event stream. The state and what the user does with it live here; each part of the page is a
// Preact component (login.js, accounts.js, chats.js, conversation.js, groups.js, media.js,
// team.js) rendered from this state into its place in index.html. No build step (docs/console.md).
import { $, announce, showError } from './dom.js';
import { api, auth, items, sessionPath, chatPath } from './api.js';
import { EventStream } from './events.js';
import { sessionStatusLine, isLinked, needsAttention, sessionName, chatName, initials, contentText, laterStatus } from './format.js';
import { html, render } from './ui.js';
import { Login } from './login.js';
import { Header } from './header.js';
import { AccountPanel, AccountsPane } from './accounts.js';
import { ChatsPane } from './chats.js';
import { ChatDetails, Composer, ConversationHead, MessageList } from './conversation.js';
import { GroupMembers, GroupPanel } from './groups.js';
import { sendFile } from './media.js';
import { Team } from './team.js';

const kPageSize = 50;
const state = {
  user: null,
  rights: new Map(),  // sessionId → {canRead, canWrite, canManageChats}: what the server enforces
  sessions: [], session: null,
  chats: [], chat: null, filter: 'all', search: '',
  messages: [], hasOlder: false, loadingOlder: false, loadingMessages: false,
  jumpNew: false,     // a message came below a reader up in the history: "New messages ↓"
  detailsOpen: false, membersOpen: false,  // the open chat's Manage chat and Participants panels
  assignees: [],      // users a chat of the account may be assigned to
  qr: null,           // {sessionId, dataUrl}: the newest QR shown to scan
  chatPages: 0, chatsTotal: 0, loadingChats: false,  // the chat list is read a page at a time
  readingChats: false,  // its first page is being read (after a change of account, filter or search)
  live: 'offline',    // the event stream: 'connecting', 'live', 'offline' or 'refused'
  loggingOut: false,
  panel: 'chat',      // what the conversation pane shows: 'chat' or 'account'
  view: 'list',       // on phones: 'list' or 'chat'; 'team' everywhere
  drafts: new Map(),  // chat id → unsent text
  history: new Map(), // sessionId → the newest whatsapp:history_progress of an import under way (or failed)
};
let stream = null;
let teamLoads = 0;  // a new number reads the Team pane's managers and rights again

const isAdmin = () => state.user?.role === 'admin';
const rightsOf = (s) => state.rights.get(s?.id) ?? { canRead: false, canWrite: false, canManageChats: false };
// Shows an error where it happened; a 403 or 404 may mean the rights changed: read them again.
const reloadOnDenied = (e) => {
  if ((e.status === 403 || e.status === 404) && state.user) loadSessions().catch(() => {});
};
const fail = (where) => (e) => {
  showError(where, e);
  reloadOnDenied(e);
};

function remember() {
  sessionStorage.setItem('wadesk.view', JSON.stringify({
    sessionId: state.session?.id, chatId: state.chat && !state.chat.draft ? state.chat.id : null,
    panel: state.panel, view: state.view, filter: state.filter,
  }));
}

function setView(view) {
  state.view = view;
  $('workspace').dataset.view = view;
  $('team-pane').hidden = view !== 'team';
  renderHeader();
  remember();
}

function renderHeader() {
  render(html`<${Header} user=${state.user} isAdmin=${isAdmin()} live=${state.live} teamOpen=${state.view === 'team'}
    canAskNotify=${'Notification' in window && Notification.permission === 'default'} loggingOut=${state.loggingOut}
    onNotify=${() => Notification.requestPermission().then(renderHeader)} onTeam=${() => showTeam(state.view !== 'team')}
    onLogout=${logOut} />`, $('top-bar'));
}

// ---- sign in / out

async function signIn(email, password) {
  const data = await api('POST', '/api/auth/login', { email, password });
  auth.token = data.token;
  sessionStorage.setItem('wadesk.token', auth.token);
  await enter();
}

function signOut() {
  auth.token = null;
  stream?.close();
  stream = null;
  // Nothing of this user stays in the page (the composer's draft is dropped with the state).
  for (const id of ['team-pane', 'account-panel', 'conversation-top', 'composer', 'scroller']) render(null, $(id));
  Object.assign(state, {
    user: null, sessions: [], session: null, chats: [], chat: null, messages: [], panel: 'chat', qr: null,
    drafts: new Map(), live: 'offline',
  });
  setView('list');
  sessionStorage.removeItem('wadesk.token');
  sessionStorage.removeItem('wadesk.view');  // the next user starts afresh
  $('app').hidden = true;
  $('login').hidden = false;
  document.title = 'wadesk';
  $('login-email').focus();
}
auth.onSignedOut = signOut;

// "Log out": the token is signed out at the server (POST /api/auth/logout), not only forgotten by
// the tab, so a copy of it (another tab, a saved request) no longer works either.
async function logOut() {
  state.loggingOut = true;
  renderHeader();
  try {
    await api('POST', '/api/auth/logout');
  } catch {
    // Unreachable server or a token already void: the tab signs out all the same.
  } finally {
    state.loggingOut = false;
    renderHeader();
  }
  if (state.user) signOut();
}

// Opens the workspace for the signed-in user, back where the tab was before a reload.
async function enter() {
  const saved = JSON.parse(sessionStorage.getItem('wadesk.view') ?? '{}');
  state.filter = saved.filter ?? 'all';
  state.user = await api('GET', '/api/auth/me');
  renderHeader();
  $('login').hidden = true;
  $('app').hidden = false;
  stream = new EventStream({
    token: auth.token,
    onEvent,
    onLive: (s) => {
      state.live = s;
      renderHeader();
      // Refused: the token may have expired or the user been disabled; the API's 401 signs out.
      if (s === 'refused') api('GET', '/api/auth/me').catch(() => {});
    },
    onResync: () => refreshAll().catch(fail('app-error')),
  });
  stream.open();
  await loadSessions();
  const restore = saved.sessionId && state.sessions.find((s) => s.id === saved.sessionId);
  await selectSession(restore || state.sessions[0] || null, { restore: restore ? saved : null });
  if (saved.view === 'team' && isAdmin()) showTeam(true);
  else setView(state.chat || state.panel === 'account' ? saved.view ?? 'list' : 'list');
}

// Everything shown, read again: after a reconnect that could not be replayed.
async function refreshAll() {
  await loadSessions();
  if (!state.session) return;
  await loadChats();
  if (state.chat && !state.chat.draft) await loadMessages();
}

// ---- events

function onEvent(name, data) {
  if (['whatsapp:ready', 'whatsapp:session_status', 'whatsapp:disconnected'].includes(name)) {
    loadSessions().catch(fail('app-error'));
  }
  if (name === 'whatsapp:qr') {
    // The session waits for a scan from the first QR on (no status event says so).
    const s = state.sessions.find((x) => x.id === data.sessionId);
    if (s && s.status !== 'qr') { Object.assign(s, { status: 'qr', statusReason: null }); renderSessions(); }
    state.qr = { sessionId: data.sessionId, dataUrl: data.qrCode };
    if (state.session?.id === data.sessionId && state.panel === 'account') renderAccountPanel();
  }
  if (name === 'whatsapp:history_progress') onHistoryProgress(data);
  if (data.sessionId !== state.session?.id) return;
  if (name === 'whatsapp:chat_updated' && data.chat) upsertChat(data.chat);
  if (name === 'whatsapp:group_updated' && state.chat?.id === data.chatId) loadMembers().catch(fail('app-error'));
  if (['whatsapp:message', 'whatsapp:message_sent', 'whatsapp:message_updated'].includes(name) && data.message) {
    const m = data.message;
    const open = state.chat && data.chatId === state.chat.id;
    if (open) upsertMessage(m);
    if (name === 'whatsapp:message' && !m.fromMe) {
      const chat = state.chats.find((c) => c.id === data.chatId);
      const who = m.sender?.name || (chat ? chatName(chat) : 'a customer');
      announce(`New message from ${who}: ${contentText(m)}`);
      if (open && document.visibilityState === 'visible') markRead();
      if (!chat?.muted && (!open || document.visibilityState !== 'visible' || !document.hasFocus())) notify(who, m, data.chatId);
    }
  }
  if (name === 'whatsapp:message_status') {
    const m = state.messages.find((x) => x.id === data.messageId);
    if (m) {
      m.status = laterStatus(m.status, data.status);
      if (data.reason) m.failureReason = data.reason;
      renderMessages('stay');
    }
  }
}

// ---- history import: the phone's chats arrive right after linking; a line above the chat list
// shows how far the import is, and goes when it is done (the imported chats are then read again)

function onHistoryProgress(data) {
  if (data.phase === 'done') {
    state.history.delete(data.sessionId);
    if (data.sessionId === state.session?.id) loadChats().catch(fail('app-error'));
  } else {
    state.history.set(data.sessionId, data);
  }
  renderChats();
}

// ---- desktop notifications: a new message outside the open chat, or while the tab is in the
// background, once the user allowed them (the header button asks; browsers want a click for it)

function notify(who, m, chatId) {
  if (!('Notification' in window) || Notification.permission !== 'granted') return;
  const s = state.session;
  const n = new Notification(who, { body: contentText(m), tag: `${s.id}/${chatId}` });
  n.onclick = () => {
    window.focus();
    const chat = state.chats.find((c) => c.id === chatId);
    if (chat && state.session === s) openChat(chat, { focus: true }).catch(fail('app-error'));
    n.close();
  };
}

// ---- accounts

async function loadSessions() {
  const [sessions, rights] = await Promise.all([api('GET', '/api/whatsapp/sessions'), api('GET', '/api/auth/me/access')]);
  state.sessions = items(sessions);
  state.rights = new Map(rights.map((r) => [r.sessionId, r]));
  const waiting = state.sessions.find((x) => x.id === state.qr?.sessionId);
  if (waiting && waiting.status !== 'qr' && waiting.status !== 'initializing') state.qr = null;
  if (state.session) {
    state.session = state.sessions.find((s) => s.id === state.session.id) ?? null;
    if (!state.session) await selectSession(state.sessions[0] ?? null);
  }
  renderSessions();
  renderChats();  // "Write to a number" follows the rights
  renderConversation();
  if (state.panel === 'account') renderAccountPanel();
  if (state.view === 'team') renderTeam({ reload: true });
}

function renderSessions() {
  render(html`<${AccountsPane} signedIn=${Boolean(state.user)} sessions=${state.sessions} current=${state.session} isAdmin=${isAdmin()}
    rightsOf=${rightsOf} onSelect=${(s) => selectSession(s).then(() => { if (state.panel === 'account') openChatPanel(); }).catch(fail('app-error'))}
    onManage=${(s) => selectSession(s).then(openAccountPanel).catch(fail('app-error'))}
    onLink=${() => linkNewAccount().catch((e) => {
      if (e.code === 'session_limit_reached') showError('app-error', `No account can be added: ${e.message}. Delete one that is no longer used (Manage account).`);
      else fail('app-error')(e);
    })} />`, $('accounts-pane'));
}

async function selectSession(s, { restore = null } = {}) {
  const changed = s?.id !== state.session?.id;
  state.session = s;
  if (changed) { state.chat = null; state.messages = []; state.chats = []; state.assignees = []; }
  renderSessions();
  renderChats();
  if (state.view === 'team') renderTeam({ reload: true });
  if (!s) { renderConversation(); return; }
  if (changed) loadAssignees().then(renderConversation).catch(fail('app-error'));
  if (restore?.panel === 'account' && isAdmin()) { openAccountPanel(); }
  await loadChats();
  if (restore?.chatId) {
    const chat = state.chats.find((c) => c.id === restore.chatId)
      ?? await api('GET', `${sessionPath(s)}/chats/${encodeURIComponent(restore.chatId)}`).catch(() => null);
    if (chat && restore.panel !== 'account') await openChat(chat, { focus: false });
  }
  renderConversation();
  remember();
}

// ---- account panel (admins): status in words, QR or code, relink, restart, rename, delete

function openAccountPanel() {
  state.panel = 'account';
  state.chat = null;
  renderChats();
  renderConversation();
  renderAccountPanel();
  setView('chat');
  $('account-panel-title').focus?.();
}

function openChatPanel() {
  state.panel = 'chat';
  renderConversation();
  remember();
}

function renderAccountPanel() {
  const s = state.session;
  if (!s) return;
  render(html`<${AccountPanel} key=${s.id} session=${s} qr=${state.qr?.sessionId === s.id ? state.qr.dataUrl : null}
    loadQr=${() => refreshQr(s)} act=${(path, done) => accountAction(s, path, done)} failed=${reloadOnDenied}
    pairingCode=${(phoneNumber) => api('POST', `${sessionPath(s)}/pairing-code`, { phoneNumber }).then((r) => r.pairingCode)}
    rename=${(name) => api('PATCH', sessionPath(s), { name }).then(() => { announce('Renamed.'); return loadSessions(); })}
    remove=${(purge) => deleteAccount(s, purge)} />`, $('account-panel'));
}

// The pending QR from the API (whatsapp:qr brings the next ones).
async function refreshQr(s) {
  const qr = await api('GET', `${sessionPath(s)}/qr`);
  if (!qr.qrCode || state.qr?.sessionId === s.id) return;
  state.qr = { sessionId: s.id, dataUrl: qr.qrCode };
  if (state.session === s && state.panel === 'account') renderAccountPanel();
}

async function accountAction(s, path, done) {
  await api('POST', `${sessionPath(s)}/${path}`);
  announce(done);
  await loadSessions();
}

async function deleteAccount(s, purge) {
  await api('DELETE', `${sessionPath(s)}?purge=${purge}`);
  announce(`${sessionName(s)} deleted.`);
  state.panel = 'chat';
  await loadSessions();
  await selectSession(state.sessions[0] ?? null);
  setView('list');
}

async function linkNewAccount() {
  showError('app-error', null);
  // A new account is only made when every account is in use: an unlinked one is linked again.
  const idle = state.sessions.find((s) => !s.phoneNumber && (s.status === 'qr' || s.status === 'initializing' || needsAttention(s)));
  if (idle) {
    await selectSession(idle);
    if (needsAttention(idle)) await api('POST', `${sessionPath(idle)}/start`);
  } else {
    const n = state.sessions.length + 1;
    const created = await api('POST', '/api/whatsapp/sessions', { name: `Account ${n}` });
    await loadSessions();
    await selectSession(state.sessions.find((s) => s.id === created.sessionId) ?? null);
  }
  await loadSessions();
  openAccountPanel();
}

// ---- chats

const kChatPageSize = 100;

function chatQuery(page) {
  const q = new URLSearchParams({ limit: String(kChatPageSize), page: String(page) });
  const search = state.search.trim();
  if (search) q.set('search', search);
  q.set('archived', String(state.filter === 'archived'));
  if (state.filter === 'unread') q.set('unread', 'true');
  if (state.filter === 'mine') q.set('assignedTo', 'me');
  return q;
}

async function loadChats() {
  const s = state.session;
  if (!s) return;
  state.readingChats = true;
  renderChats();
  let page;
  try {
    page = await api('GET', `${sessionPath(s)}/chats?${chatQuery(1)}`);
  } finally {
    if (state.session === s) state.readingChats = false;
  }
  if (state.session !== s) return;
  state.chats = items(page);
  state.chatPages = 1;
  state.chatsTotal = page.total;
  sortChats();
  renderChats();
}

// The next page of the list, as the reader scrolls to its end ("More chats" for keyboards). A
// chat that moved up meanwhile came by its event; one seen twice is kept once.
async function loadMoreChats() {
  const s = state.session;
  if (!s || state.loadingChats || state.chats.length >= state.chatsTotal) return;
  state.loadingChats = true;
  try {
    const page = await api('GET', `${sessionPath(s)}/chats?${chatQuery(state.chatPages + 1)}`);
    if (state.session !== s) return;
    state.chatPages += 1;
    state.chatsTotal = page.total;
    const known = new Set(state.chats.map((c) => c.id));
    state.chats.push(...items(page).filter((c) => !known.has(c.id)));
    if (!items(page).length) state.chatsTotal = state.chats.length;
    sortChats();
    renderChats();
  } finally {
    state.loadingChats = false;
  }
}

const sortChats = () => state.chats.sort((a, b) => (b.pinned - a.pinned)
  || String(b.lastMessageAt ?? '').localeCompare(String(a.lastMessageAt ?? '')) || b.id.localeCompare(a.id));

// Does the chat belong in the list under the current filter and search?
function inFilter(c) {
  const search = state.search.trim().toLowerCase();
  if (search && !`${c.name ?? ''} ${c.jid}`.toLowerCase().includes(search)) return false;
  if (state.filter === 'archived') return c.archived;
  if (c.archived) return false;
  if (state.filter === 'unread') return c.unreadCount > 0 || c.id === state.chat?.id;
  if (state.filter === 'mine') return c.assignedTo === state.user.id;
  return true;
}

function upsertChat(chat) {
  const i = state.chats.findIndex((c) => c.id === chat.id);
  const open = state.chat?.id === chat.id;
  // The open chat's messages are read as they arrive: its badge stays clear.
  if (open && chat.unreadCount > 0 && document.visibilityState === 'visible') chat = { ...chat, unreadCount: 0 };
  if (i >= 0) state.chats.splice(i, 1);
  if (inFilter(chat)) state.chats.push(chat);
  sortChats();
  if (open) { state.chat = chat; renderConversation(); }
  renderChats();
}

let searchTimer = null;

function renderChats() {
  const list = $('chats');
  const hadFocus = list?.contains(document.activeElement) ? document.activeElement.dataset.id : null;
  let empty = '';
  if (state.readingChats) empty = 'Loading chats…';
  else if (!state.chats.length && state.session) empty = state.search.trim() || state.filter !== 'all' ? 'No chat matches.' : 'No chats yet.';
  render(html`<${ChatsPane} chats=${state.chats} currentId=${state.chat?.id}
    onOpen=${(c) => openChat(c, { focus: true }).catch(fail('app-error'))}
    filter=${state.filter} onFilter=${(f) => { state.filter = f; remember(); loadChats().catch(fail('app-error')); }}
    onSearch=${(text) => {
      state.search = text;
      clearTimeout(searchTimer);
      searchTimer = setTimeout(() => loadChats().catch(fail('app-error')), 250);
    }}
    canWrite=${rightsOf(state.session).canWrite} onNumber=${openNumber} history=${state.history.get(state.session?.id)}
    more=${state.chats.length < state.chatsTotal} onMore=${() => loadMoreChats().catch(fail('app-error'))}
    onNearEnd=${() => loadMoreChats().catch(fail('app-error'))} empty=${empty} />`, $('chats-pane'));
  if (hadFocus && !list.contains(document.activeElement)) list.querySelector(`button[data-id="${CSS.escape(hadFocus)}"]`)?.focus();
  const unread = state.chats.reduce((n, c) => n + (c.unreadCount > 0 ? 1 : 0), 0);
  document.title = unread ? `(${unread}) wadesk` : 'wadesk';
}

// "Write to a number": opens the chat with that number (a new one until the first message).
function openNumber(number) {
  if (!state.session) return Promise.resolve();
  showError('app-error', null);
  const opened = openDraftChat(number);
  opened.catch(fail('app-error'));
  return opened;
}

// ---- conversation

async function openChat(chat, { focus }) {
  showError('app-error', null);
  Object.assign(state, {
    chat, panel: 'chat', messages: [], hasOlder: false, loadingMessages: !chat.draft,
    detailsOpen: false, membersOpen: false, jumpNew: false,
  });
  renderChats();
  renderConversation();
  renderMessages('bottom');
  setView('chat');
  if (chat.isGroup && !chat.draft) loadMembers().catch(fail('app-error'));
  if (!chat.draft) await loadMessages();
  if (focus) (canWriteHere() ? $('send-text') : $('scroller')).focus();
  if (chat.unreadCount > 0) await markRead();
}

// Is `c` of `s` still the open chat? By id: each whatsapp:chat_updated replaces the chat's object.
const stillOpen = (s, c) => state.session === s && state.chat?.id === c.id;

// The members of the open group chat, shown under its title and in the Participants panel.
const members = new GroupMembers();
async function loadMembers() {
  const s = state.session, c = state.chat;
  // A change of members brings a chat_updated too (its system line is the chat's last message).
  if (await members.load(s, c, () => stillOpen(s, c))) renderConversation();
}

// A change of members at WhatsApp (add or remove); each participant's answer comes back.
async function manageMembers(action, participants) {
  const s = state.session, c = state.chat;
  const results = await api('POST', `${chatPath(s, c)}/participants`, { action, participants });
  if (stillOpen(s, c)) loadMembers().catch(fail('app-error'));
  return results;
}

async function markRead() {
  const s = state.session, c = state.chat;
  if (!c || c.draft) return;
  const read = await api('POST', `${chatPath(s, c)}/read`);
  if (state.session === s) upsertChat(read);
}

async function loadMessages() {
  const s = state.session, c = state.chat;
  state.loadingMessages = true;
  try {
    const page = await api('GET', `${chatPath(s, c)}/messages?limit=${kPageSize}`);
    if (!stillOpen(s, c)) return;
    state.messages = items(page).reverse();
    state.hasOlder = state.messages.length < page.total;
  } finally {
    if (stillOpen(s, c)) state.loadingMessages = false;
  }
  renderMessages('bottom');
}

// Older messages go above; the reader's place stays where it was (the distance to the bottom of
// the list is kept across the insertion).
async function loadOlder() {
  if (state.loadingOlder || !state.hasOlder || !state.messages.length) return;
  const s = state.session, c = state.chat;
  state.loadingOlder = true;
  renderMessages('stay');
  try {
    const page = await api('GET', `${chatPath(s, c)}/messages?limit=${kPageSize}&before=${encodeURIComponent(state.messages[0].id)}`);
    if (!stillOpen(s, c)) return;
    const older = items(page).reverse();
    state.messages = older.concat(state.messages);
    state.hasOlder = older.length === kPageSize;
    state.loadingOlder = false;
    renderMessages('anchor');
  } finally {
    if (state.loadingOlder) { state.loadingOlder = false; renderMessages('stay'); }
  }
}

function upsertMessage(m) {
  const i = state.messages.findIndex((x) => x.id === m.id);
  if (i >= 0) {
    m = { ...m, status: laterStatus(state.messages[i].status, m.status) };
    state.messages[i] = m;
  } else {
    state.messages.push(m);
    state.messages.sort((a, b) => String(a.timestamp).localeCompare(String(b.timestamp)) || a.id.localeCompare(b.id));
  }
  // One's own new message is always shown, even to a reader up in the history.
  renderMessages(i >= 0 ? 'stay' : m.fromMe && m.sentBy === state.user.id ? 'bottom' : 'follow');
}

const canWriteHere = () => Boolean(state.chat && rightsOf(state.session).canWrite);

function renderConversation() {
  const c = state.chat, s = state.session;
  const account = state.panel === 'account' && s && isAdmin();
  $('account-panel').hidden = !account;
  $('scroller').hidden = account;
  const title = account ? sessionName(s) : c ? chatName(c) : s ? 'Pick a chat' : 'No account';
  const sub = [];
  if (c && !account) {
    if (c.phone && c.name) sub.push(`+${c.phone}`);
    if (c.isGroup && members.chatId === c.id && members.subtitle()) sub.push(members.subtitle());
    if (c.assignedTo) sub.push(c.assignedTo === state.user.id ? 'assigned to you' : `assigned to ${assigneeName(c.assignedTo) ?? 'a teammate'}`);
    if (c.labels?.length) sub.push(c.labels.join(', '));
    if (c.archived) sub.push('archived');
  }
  const manage = Boolean(c && !c.draft && !account && rightsOf(s).canManageChats);
  const group = Boolean(c && c.isGroup && !c.draft && !account);
  if (!manage) state.detailsOpen = false;
  if (!group) state.membersOpen = false;
  const toggle = (key, then) => () => {
    state[key] = !state[key];
    renderConversation();
    if (state[key]) then?.();
  };
  render(html`
    <${ConversationHead} title=${title} avatar=${c && !account ? initials(chatName(c)) : ''} subtitle=${sub.join(' · ')}
      onBack=${back}
      manage=${{ shown: manage, open: state.detailsOpen, toggle: toggle('detailsOpen', () => loadAssignees().then(renderConversation).catch(fail('app-error'))) }}
      members=${{ shown: group, open: state.membersOpen, toggle: toggle('membersOpen', () => loadMembers().catch(fail('app-error'))) }} />
    ${manage && html`<${ChatDetails} key=${c.id} chat=${c} open=${state.detailsOpen} user=${state.user} assignees=${state.assignees}
      patch=${patchChat} />`}
    ${group && html`
      <section id="group-panel" aria-labelledby="group-panel-title" hidden=${!state.membersOpen}>
        <${GroupPanel} key=${c.id} members=${members.chatId === c.id ? members.list : []} self=${members.self(s)}
          groupName=${chatName(c)} canManage=${rightsOf(s).canManageChats} manage=${manageMembers} />
      </section>`}`, $('conversation-top'));

  // The composer: only with Write, and only while the account can send.
  let why = '';
  if (c && !account) {
    if (!rightsOf(s).canWrite) why = 'You can read this account but not write in it. An admin can give you Write.';
    else if (!isLinked(s)) why = `This account cannot send now (${sessionStatusLine(s).toLowerCase()}).${isAdmin() ? ' Open Manage account to link it again.' : ' Ask an admin to link it again.'}`;
  }
  render(html`<${Composer} key=${c?.id ?? ''} shown=${Boolean(c && !account && rightsOf(s).canWrite)} note=${why}
    draft=${(c && state.drafts.get(c.id)) ?? ''} saveDraft=${(text) => { if (c) state.drafts.set(c.id, text); }}
    send=${send} sendFile=${sendChosenFile} canAttach=${Boolean(c && !c.draft)} />`, $('composer'));
  if (!c && !account) renderMessages('stay');
}

// What the line above the messages says, if anything.
function messagesStatus() {
  const c = state.chat, s = state.session;
  if (!c) return s && state.chats.length ? 'Pick a chat from the list.' : '';
  if (state.loadingMessages) return 'Loading messages…';
  if (!state.messages.length) return c.draft ? 'New chat: the first message creates it.' : 'No messages yet.';
  return '';
}

// Renders the message list. keep: 'bottom' (scroll to the newest), 'anchor' (older ones were
// added above: keep the reader's place), 'follow' (a new one: follow it if the reader was at the
// bottom), 'stay' (a change in place).
function renderMessages(keep) {
  const scroller = $('scroller');
  const top = scroller.scrollTop;
  const fromBottom = scroller.scrollHeight - top;
  const atBottom = fromBottom - scroller.clientHeight < 80;
  // A reader up in the history is told that something new came, below.
  if (keep === 'follow' && !atBottom) state.jumpNew = true;
  if (keep === 'bottom' || !state.chat) state.jumpNew = false;
  const c = state.chat;
  render(html`<${MessageList} messages=${c ? state.messages : []} inGroup=${Boolean(c?.isGroup)} status=${messagesStatus()}
    hasOlder=${Boolean(c && state.hasOlder)} loadingOlder=${state.loadingOlder} onOlder=${() => loadOlder().catch(fail('app-error'))}
    jumpNew=${state.jumpNew} onJump=${jumpToNewest} />`, scroller);
  if (keep === 'bottom' || (keep === 'follow' && atBottom)) scroller.scrollTop = scroller.scrollHeight;
  else if (keep === 'anchor') scroller.scrollTop = scroller.scrollHeight - fromBottom;
  else scroller.scrollTop = top;
}

function jumpToNewest() {
  $('scroller').scrollTop = $('scroller').scrollHeight;
  state.jumpNew = false;
  renderMessages('bottom');
}

// Sends a text of the composer (the Composer keeps it from being sent twice); resolves true once
// sent. The first message of a new chat creates it: the page switches to the real chat.
async function send(text, clientMessageId) {
  if (!canWriteHere()) return false;
  showError('app-error', null);
  const s = state.session, c = state.chat;
  try {
    const m = await api('POST', `${chatPath(s, c)}/send`, { message: text, clientMessageId });
    if (c.draft && state.chat === c) {
      const chat = await api('GET', `${sessionPath(s)}/chats/${encodeURIComponent(m.chatId)}`);
      state.chat = chat;
      upsertChat(chat);
    }
    if (state.chat?.id === m.chatId) upsertMessage(m);
    return true;
  } catch (e) {
    if (e.code === 'session_not_connected') showError('app-error', 'Not sent: the account is not connected. The text is kept; send again once it is.');
    else fail('app-error')(e);
    return false;
  }
}

// The file picker: the chosen file goes out with the composer's text as its caption.
async function sendChosenFile(file, caption) {
  if (!canWriteHere() || state.chat?.draft) return false;
  showError('app-error', null);
  const s = state.session, c = state.chat;
  try {
    const m = await sendFile(`${chatPath(s, c)}/send`, file, caption);
    if (state.chat?.id === m.chatId) upsertMessage(m);
    return true;
  } catch (e) {
    if (e.status === 413) showError('app-error', 'Not sent: the file is larger than the server accepts.');
    else fail('app-error')(e);
    return false;
  }
}

// Back to the list (phones), to the chat it came from.
function back() {
  setView('list');
  const target = state.chat ? $('chats').querySelector(`button[data-id="${CSS.escape(state.chat.id)}"]`) : null;
  (target ?? $('chat-search')).focus();
}

// A chat with a customer who has not written yet: the API names it by number until the first
// message creates it.
function openDraftChat(number) {
  const digits = number.replace(/[^0-9]/g, '');
  if (!/^\+?[0-9 ()-]+$/.test(number.trim()) || digits.length < 7 || digits.length > 15) {
    return Promise.reject(new Error('Type an international number: 7 to 15 digits, for example +79001234567.'));
  }
  const existing = state.chats.find((c) => c.phone === digits || c.jid === `${digits}@s.whatsapp.net`);
  if (existing) return openChat(existing, { focus: true });
  return openChat({ id: digits, jid: `${digits}@s.whatsapp.net`, phone: digits, name: `+${digits}`, draft: true, unreadCount: 0 }, { focus: true });
}

// ---- chat management (canManageChats)

// Who the open account's chats may be assigned to (GET .../assignees), loaded with the account.
async function loadAssignees() {
  const s = state.session;
  const list = s && rightsOf(s).canManageChats ? await api('GET', `${sessionPath(s)}/assignees`) : [];
  if (state.session === s) state.assignees = list;
}
const assigneeName = (id) => {
  const u = state.assignees.find((x) => x.id === id);
  return u ? u.name || u.email : null;
};

// Saves a change of the open chat; a failure is shown and rejects.
async function patchChat(patch) {
  const s = state.session, c = state.chat;
  try {
    const chat = await api('PATCH', chatPath(s, c), patch);
    if (state.chat?.id === chat.id) state.chat = chat;
    upsertChat(chat);
  } catch (e) {
    fail('app-error')(e);
    throw e;
  }
}

// ---- team (admins)

function renderTeam({ reload = false } = {}) {
  if (!isAdmin()) return;
  if (reload) teamLoads += 1;
  render(html`<${Team} session=${state.session} reload=${teamLoads} />`, $('team-pane'));
}

function showTeam(on) {
  if (!on) { setView(state.chat || state.panel === 'account' ? 'chat' : 'list'); return; }
  setView('team');
  renderTeam({ reload: true });
}

// ---- wiring

render(html`<${Login} signIn=${signIn} />`, $('login'));
// Escape leaves the conversation for the list where there is a Back button (phones).
$('conversation-pane').addEventListener('keydown', (e) => {
  const button = $('back');
  if (e.key === 'Escape' && !e.defaultPrevented && button && getComputedStyle(button).display !== 'none') back();
});
$('scroller').addEventListener('scroll', () => {
  const s = $('scroller');
  if (s.scrollTop < 120 && state.hasOlder) loadOlder().catch(fail('app-error'));
  if (state.jumpNew && s.scrollHeight - s.scrollTop - s.clientHeight < 80) { state.jumpNew = false; renderMessages('stay'); }
}, { passive: true });
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && state.chat?.unreadCount > 0) markRead().catch(() => {});
});

if (auth.token) enter().catch(() => signOut()); else signOut();

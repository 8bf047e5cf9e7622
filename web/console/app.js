// wadesk web console: signs in with the REST API, lists the accounts (sessions) the user may read,
// their chats and messages, sends replies, links new accounts by QR (admins), and stays current
// through the Socket.IO event stream; admins manage managers and their rights on each account
// (Team). Plain browser JavaScript, no build step, no dependencies.
'use strict';

const $ = (id) => document.getElementById(id);
const state = { token: sessionStorage.getItem('wadesk.token'), user: null, sessions: [], session: null, chats: [], chat: null, messages: [], team: false };

// ---- REST

async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (state.token) headers.authorization = `Bearer ${state.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await res.json().catch(() => null);
  if (res.status === 401 && path !== '/api/auth/login') { signOut(); throw new Error('signed out: ' + (json?.error?.message ?? res.status)); }
  if (!res.ok || !json?.success) throw new Error(json?.error?.message ?? `HTTP ${res.status}`);
  return json.data;
}
const items = (data) => (Array.isArray(data) ? data : data.items ?? []);
const sessionPath = (s) => `/api/whatsapp/sessions/${encodeURIComponent(s.id)}`;
const chatPath = (s, c) => `${sessionPath(s)}/chats/${encodeURIComponent(c.id)}`;

function showError(where, err) { $(where).textContent = err ? String(err.message ?? err) : ''; }

// ---- Socket.IO (Engine.IO v4 over a websocket: just what the console needs)

let socket = null;
function connectEvents() {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/socket.io/?EIO=4&transport=websocket`;
  const ws = new WebSocket(url);
  socket = ws;
  const setLive = (text, live) => { $('live').textContent = text; $('live').classList.toggle('live', live); };
  ws.onmessage = (e) => {
    const packet = String(e.data);
    if (packet[0] === '0') ws.send('40' + JSON.stringify({ token: state.token }));  // open → CONNECT
    else if (packet === '2') ws.send('3');  // ping → pong
    else if (packet.startsWith('40')) setLive('live', true);
    else if (packet.startsWith('44')) setLive('refused', false);
    else if (packet.startsWith('42')) {
      const [name, data] = JSON.parse(packet.slice(2));
      onEvent(name, data || {});
    }
  };
  ws.onclose = () => {
    setLive('offline', false);
    if (socket === ws && state.token) setTimeout(() => { if (socket === ws) connectEvents(); }, 2000);
  };
}

function onEvent(name, data) {
  if (name === 'whatsapp:qr' && state.session?.id === data.sessionId) showQr(data.qrCode);
  if (['whatsapp:ready', 'whatsapp:session_status', 'whatsapp:disconnected'].includes(name)) loadSessions().catch((e) => showError('app-error', e));
  if (data.sessionId !== state.session?.id) return;
  if (name === 'whatsapp:chat_updated' && data.chat) upsertChat(data.chat);
  if (['whatsapp:message', 'whatsapp:message_sent', 'whatsapp:message_updated'].includes(name) && data.message && data.chatId === state.chat?.id) upsertMessage(data.message);
  if (name === 'whatsapp:message_status') {
    const m = state.messages.find((x) => x.id === data.messageId);
    if (m) { m.status = data.status; if (data.reason) m.failureReason = data.reason; renderMessages(); }
  }
}

// ---- sign in / out

async function signIn(email, password) {
  const data = await api('POST', '/api/auth/login', { email, password });
  state.token = data.token;
  sessionStorage.setItem('wadesk.token', state.token);
  await enter();
}

function signOut() {
  state.token = null;
  sessionStorage.removeItem('wadesk.token');
  if (socket) { const s = socket; socket = null; s.close(); }
  $('app').hidden = true;
  $('login').hidden = false;
  if (state.team) showTeam(false);
}

async function enter() {
  state.user = await api('GET', '/api/auth/me');
  $('who').textContent = `${state.user.name || state.user.email} (${state.user.role})`;
  $('new-session').hidden = state.user.role !== 'admin';
  $('team').hidden = state.user.role !== 'admin';
  $('login').hidden = true;
  $('app').hidden = false;
  connectEvents();
  await loadSessions();
}

// ---- sessions

async function loadSessions() {
  state.sessions = items(await api('GET', '/api/whatsapp/sessions'));
  if (state.session) state.session = state.sessions.find((s) => s.id === state.session.id) ?? null;
  const list = $('sessions');
  list.replaceChildren(...state.sessions.map((s) => {
    const li = document.createElement('li');
    li.dataset.id = s.id;
    li.classList.toggle('selected', s.id === state.session?.id);
    const title = document.createElement('span');
    title.textContent = s.displayName || s.name || s.phoneNumber || s.id;
    const status = document.createElement('small');
    status.className = 'status';
    status.textContent = s.phoneNumber ? `${s.status} · +${s.phoneNumber}` : s.status;
    li.append(title, status);
    li.onclick = () => selectSession(s).catch((e) => showError('app-error', e));
    return li;
  }));
  if (!state.session && state.sessions.length) await selectSession(state.sessions[0]);
  else if (state.session) await refreshQr();
}

async function selectSession(s) {
  state.session = s;
  state.chat = null;
  for (const li of $('sessions').children) li.classList.toggle('selected', li.dataset.id === s.id);
  await refreshQr();
  if (state.team) await loadTeam();
  await loadChats();
  renderMessages();
}

async function refreshQr() {
  const s = state.session;
  if (!s || state.user.role !== 'admin' || (s.status !== 'qr' && s.status !== 'initializing')) { showQr(null); return; }
  const qr = await api('GET', `${sessionPath(s)}/qr`);
  showQr(qr.qrCode);
}

function showQr(dataUrl) {
  $('qr').hidden = !dataUrl;
  if (dataUrl) $('qr-image').src = dataUrl;
}

// ---- chats

async function loadChats() {
  const s = state.session;
  const search = $('chat-search').value.trim();
  const q = new URLSearchParams({ limit: '100' });
  if (search) q.set('search', search);
  const page = await api('GET', `${sessionPath(s)}/chats?${q}`);
  if (state.session !== s) return;
  state.chats = items(page);
  renderChats();
}

function upsertChat(chat) {
  const i = state.chats.findIndex((c) => c.id === chat.id);
  if (i >= 0) state.chats[i] = chat; else state.chats.push(chat);
  state.chats.sort((a, b) => String(b.lastMessageAt ?? '').localeCompare(String(a.lastMessageAt ?? '')) || b.id.localeCompare(a.id));
  if (state.chat?.id === chat.id) state.chat = chat;
  renderChats();
}

function renderChats() {
  $('chats').replaceChildren(...state.chats.map((c) => {
    const li = document.createElement('li');
    li.dataset.id = c.id;
    li.classList.toggle('selected', c.id === state.chat?.id);
    if (c.unreadCount > 0) {
      const badge = document.createElement('span');
      badge.className = 'unread';
      badge.textContent = String(c.unreadCount);
      li.append(badge);
    }
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = c.name || c.jid.replace(/@.*/, '');
    const last = document.createElement('small');
    last.textContent = c.lastMessage ?? '';
    li.append(name, last);
    li.onclick = () => selectChat(c).catch((e) => showError('app-error', e));
    return li;
  }));
}

// ---- messages

async function selectChat(chat) {
  state.chat = chat;
  state.messages = [];
  renderChats();
  await loadMessages();
  if (chat.unreadCount > 0) upsertChat(await api('POST', `${chatPath(state.session, chat)}/read`));
}

async function loadMessages(before) {
  const s = state.session, c = state.chat;
  const q = new URLSearchParams({ limit: '50' });
  if (before) q.set('before', before);
  const page = await api('GET', `${chatPath(s, c)}/messages?${q}`);
  if (state.chat !== c) return;
  const older = items(page).reverse();
  state.messages = before ? older.concat(state.messages) : older;
  $('older').hidden = state.messages.length >= page.total;
  renderMessages();
}

function upsertMessage(m) {
  const i = state.messages.findIndex((x) => x.id === m.id);
  if (i >= 0) state.messages[i] = m; else state.messages.push(m);
  renderMessages();
}

// A message as one line of text: a mark for its kind, then its text, caption or file name.
const kTypeMarks = { image: '📷', video: '🎬', audio: '🎵', voice: '🎤', document: '📄', sticker: '🏷', location: '📍', contact: '👤', reaction: '↩' };
function contentText(m) {
  const text = m.body || m.media?.fileName || '';
  if (m.type === 'text') return text;
  if (m.type === 'undecryptable') return 'Waiting for this message. This may take a while.';
  if (m.type === 'reaction') return text ? `${kTypeMarks.reaction} reacted ${text}` : `${kTypeMarks.reaction} took a reaction back`;
  const mark = kTypeMarks[m.type];
  if (!mark) return `(${m.type})`;
  return text ? `${mark} ${text}` : `${mark} ${m.type}`;
}

const kStatusMarks = { pending: '🕓', sent: '✓', delivered: '✓✓', read: '✓✓ read', played: '✓✓ played', failed: '⚠ failed' };

function renderMessages() {
  $('chat-title').textContent = state.chat ? (state.chat.name || state.chat.jid) : 'Pick a chat';
  $('send-form').hidden = !state.chat;
  if (!state.chat) $('older').hidden = true;
  $('messages').replaceChildren(...(state.chat ? state.messages : []).map((m) => {
    const li = document.createElement('li');
    li.dataset.id = m.id;
    li.classList.toggle('mine', m.fromMe);
    const body = document.createElement('span');
    body.className = 'body';
    body.textContent = m.deleted ? 'This message was deleted' : contentText(m);
    body.classList.toggle('notice', m.deleted || m.type === 'undecryptable');
    const meta = document.createElement('small');
    meta.className = 'meta';
    const when = m.timestamp ? new Date(m.timestamp).toLocaleString() : '';
    const why = m.status === 'failed' && m.failureReason ? ` (${m.failureReason})` : '';
    const edited = m.edited && !m.deleted ? ' (edited)' : '';
    meta.textContent = m.fromMe ? `${when}${edited} ${kStatusMarks[m.status] ?? m.status}${why}` : `${m.sender?.name ?? ''} ${when}${edited}`;
    li.append(body, meta);
    return li;
  }));
  $('messages').lastElementChild?.scrollIntoView({ block: 'end' });
}

async function send(text) {
  const m = await api('POST', `${chatPath(state.session, state.chat)}/send`, { message: text, clientMessageId: crypto.randomUUID() });
  if (state.chat.draft) {  // the first message created the chat: switch to it
    const chat = await api('GET', `${sessionPath(state.session)}/chats/${encodeURIComponent(m.chatId)}`);
    upsertChat(chat);
    state.chat = chat;
    renderChats();
  }
  upsertMessage(m);
}

// A chat with a customer who has not written yet: the API names it by number until the first
// message creates it.
function openDraftChat(number) {
  const digits = number.replace(/[^0-9]/g, '');
  const existing = state.chats.find((c) => c.jid === `${digits}@s.whatsapp.net`);
  if (existing) return selectChat(existing);
  state.chat = { id: digits, jid: `${digits}@s.whatsapp.net`, name: `+${digits}`, draft: true };
  state.messages = [];
  $('older').hidden = true;
  renderChats();
  renderMessages();
  $('send-text').focus();
  return Promise.resolve();
}

// ---- team (admins): managers and their rights on the selected account

async function loadTeam() {
  const s = state.session;
  const [managers, grants] = await Promise.all([
    api('GET', '/api/managers'),
    s ? api('GET', `${sessionPath(s)}/access`) : Promise.resolve([]),
  ]);
  if (state.session !== s) return;
  $('team-session').textContent = s ? (s.displayName || s.name || s.id) : 'no account';
  const byManager = new Map(items(grants).map((g) => [g.managerId, g]));
  $('grants').tBodies[0].replaceChildren(...items(managers).map((m) => {
    const tr = document.createElement('tr');
    tr.dataset.id = m.id;
    const who = document.createElement('td');
    who.textContent = m.name || m.email;
    const email = document.createElement('small');
    email.textContent = ` ${m.email}${m.disabled ? ' (disabled)' : ''}`;
    who.append(email);
    tr.append(who);
    const grant = byManager.get(m.id);
    for (const right of ['canRead', 'canWrite', 'canManageChats']) {
      const td = document.createElement('td');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.name = right;
      box.checked = Boolean(grant?.[right]);
      box.disabled = !s;
      box.onchange = () => saveGrant(tr).catch((e) => { showError('team-error', e); loadTeam().catch(() => {}); });
      td.append(box);
      tr.append(td);
    }
    return tr;
  }));
}

// One manager's row of checkboxes → the grant: replaced, or revoked when nothing is ticked.
async function saveGrant(row) {
  showError('team-error', null);
  const flags = Object.fromEntries([...row.querySelectorAll('input')].map((b) => [b.name, b.checked]));
  const base = `${sessionPath(state.session)}/access`;
  if (!flags.canRead && !flags.canWrite && !flags.canManageChats) await api('DELETE', `${base}/${encodeURIComponent(row.dataset.id)}`);
  else await api('POST', base, { managerId: row.dataset.id, ...flags });
  row.dataset.saved = JSON.stringify(flags);
}

function showTeam(on) {
  state.team = on;
  document.querySelector('main').classList.toggle('team', on);
  $('team').classList.toggle('active', on);
  $('team-pane').hidden = !on;
  if (on) loadTeam().catch((e) => showError('team-error', e));
}

// ---- wiring

$('login-form').onsubmit = (e) => {
  e.preventDefault();
  showError('login-error', null);
  signIn($('login-email').value, $('login-password').value).catch((err) => showError('login-error', err));
};
$('logout').onclick = () => signOut();
$('team').onclick = () => showTeam(!state.team);
$('manager-form').onsubmit = (e) => {
  e.preventDefault();
  showError('team-error', null);
  const body = { email: $('manager-email').value.trim(), password: $('manager-password').value };
  if ($('manager-name').value.trim()) body.name = $('manager-name').value.trim();
  api('POST', '/api/managers', body)
    .then(() => { $('manager-form').reset(); return loadTeam(); })
    .catch((err) => showError('team-error', err));
};
$('new-session').onclick = () => {
  api('POST', '/api/whatsapp/sessions', { name: 'WhatsApp' })
    .then(async (created) => { await loadSessions(); await selectSession(state.sessions.find((s) => s.id === (created.sessionId ?? created.id)) ?? state.sessions[0]); })
    .catch((e) => showError('app-error', e));
};
let searchTimer = null;
$('chat-search').oninput = () => { clearTimeout(searchTimer); searchTimer = setTimeout(() => state.session && loadChats().catch((e) => showError('app-error', e)), 250); };
$('new-chat-form').onsubmit = (e) => {
  e.preventDefault();
  if (!state.session) return;
  showError('app-error', null);
  openDraftChat($('new-chat-number').value).then(() => { $('new-chat-number').value = ''; }).catch((err) => showError('app-error', err));
};
$('older').onclick = () => loadMessages(state.messages[0]?.id).catch((e) => showError('app-error', e));
$('send-form').onsubmit = (e) => {
  e.preventDefault();
  const text = $('send-text').value.trim();
  if (!text) return;
  showError('app-error', null);
  send(text).then(() => { $('send-text').value = ''; }).catch((err) => showError('app-error', err));
};

if (state.token) enter().catch(() => signOut()); else signOut();

// Words for what the API says in codes, and the times, names and initials the lists show.

const kStatusWords = {
  initializing: 'Starting…', qr: 'Waiting for the QR scan', connected: 'Connected',
  reconnecting: 'Reconnecting…', disconnected: 'Stopped', logged_out: 'Logged out', failed: 'Failed',
};
const kReasonWords = {
  qr_timeout: 'nobody scanned the QR code in time',
  replaced: 'another program took over this WhatsApp link',
  stopped: 'stopped',
  logout: 'unlinked by an admin',  // the engine's word for a logout wadesk asked for (disconnect, delete)
  unlinked_from_phone: 'unlinked on the phone (Linked devices)',
  device_removed: 'unlinked on the phone (Linked devices)',
  disconnected_by_admin: 'unlinked by an admin',
  master_key_mismatch: 'the server cannot open its saved keys (the master key changed)',
  invalid_config: 'the server configuration is invalid',
};

export const statusWords = (status) => kStatusWords[status] ?? status;
export const reasonWords = (reason) => (reason ? kReasonWords[reason] ?? reason.replaceAll('_', ' ') : '');

// "Logged out: unlinked on the phone (Linked devices)".
export function sessionStatusLine(s) {
  const why = reasonWords(s.statusReason);
  const words = statusWords(s.status);
  return why && why !== words.toLowerCase() ? `${words}: ${why}` : words;
}

// A session is working when it can send now or will on its own.
export const isLinked = (s) => s.status === 'connected' || s.status === 'reconnecting';
export const needsAttention = (s) => ['logged_out', 'failed', 'disconnected'].includes(s.status);

export const sessionName = (s) => s.name || s.displayName || (s.phoneNumber ? `+${s.phoneNumber}` : 'Unnamed account');
export const chatName = (c) => c.name || (c.phone ? `+${c.phone}` : c.jid.replace(/@.*/, ''));

// Up to two letters from the name's words, or the last two digits of a number.
export function initials(name) {
  const words = String(name).replace(/[^\p{L}\p{N} ]/gu, ' ').trim().split(/\s+/).filter(Boolean);
  if (!words.length) return '?';
  if (/^\d+$/.test(words[0])) return words.join('').slice(-2);
  return (words[0][0] + (words.length > 1 ? words[words.length - 1][0] : '')).toUpperCase();
}

const sameDay = (a, b) => a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();

export const clock = (d) => d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

// The chat list's time: the clock today, "Yesterday", the weekday this week, else the date.
export function listTime(iso) {
  if (!iso) return '';
  const d = new Date(iso), now = new Date();
  if (sameDay(d, now)) return clock(d);
  const yesterday = new Date(now); yesterday.setDate(now.getDate() - 1);
  if (sameDay(d, yesterday)) return 'Yesterday';
  if (now - d < 6 * 86400e3) return d.toLocaleDateString([], { weekday: 'long' });
  return d.toLocaleDateString();
}

// The day separator's words: "Today", "Yesterday" or the full date.
export function dayLabel(d) {
  const now = new Date();
  if (sameDay(d, now)) return 'Today';
  const yesterday = new Date(now); yesterday.setDate(now.getDate() - 1);
  if (sameDay(d, yesterday)) return 'Yesterday';
  return d.toLocaleDateString([], { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' });
}
export const dayKey = (d) => `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;

// A message as one line of text: a mark for its kind, then its text, caption or file name.
const kTypeMarks = { image: '📷', video: '🎬', audio: '🎵', voice: '🎤', document: '📄', sticker: '🏷', location: '📍', contact: '👤', reaction: '↩' };
export function contentText(m) {
  if (m.deleted) return 'This message was deleted';
  const text = m.body || m.media?.fileName || '';
  if (m.type === 'text') return text;
  if (m.type === 'undecryptable') return 'Waiting for this message. This may take a while.';
  if (m.type === 'reaction') return text ? `${kTypeMarks.reaction} reacted ${text}` : `${kTypeMarks.reaction} took a reaction back`;
  const mark = kTypeMarks[m.type];
  if (!mark) return `(${m.type})`;
  return text ? `${mark} ${text}` : `${mark} ${m.type}`;
}

export const kDeliveryMarks = {
  pending: ['🕓', 'sending'], sent: ['✓', 'sent'], delivered: ['✓✓', 'delivered'], read: ['✓✓ read', 'read'],
  played: ['✓✓ played', 'played'], failed: ['⚠ failed', 'not sent'],
};
const kDeliveryRank = { pending: 0, sent: 1, delivered: 2, read: 3, played: 4, failed: 5 };
// Status reports may arrive twice or out of order (a replay after a live one): never go back.
export const laterStatus = (a, b) => ((kDeliveryRank[b] ?? -1) > (kDeliveryRank[a] ?? -1) ? b : a);

const kFailureWords = {
  no_devices: 'this number has no WhatsApp', usync_failed: 'WhatsApp did not list the devices',
  key_fetch_failed: 'WhatsApp gave no keys', encryption_failed: 'it could not be encrypted',
};
export const failureWords = (reason) => (reason ? kFailureWords[reason] ?? reason.replaceAll('_', ' ') : '');

// The files of media messages: images and stickers shown inline, voice notes and audio playable,
// video and documents downloadable, a failed file fetched again on demand; and sending a file
// (multipart, with the composer's text as its caption). The media URL needs the bearer token, so
// bytes are fetched with it and shown through object URLs (kept per file while the tab lives).
import { api, auth, ApiError, randomId } from './api.js';
import { html, useEffect, useState } from './ui.js';

const urls = new Map();  // media url + sha256 -> Promise<object URL>
const asked = new Set();  // messages whose file was asked for again in this tab

function objectUrl(media) {
  const key = `${media.url}#${media.sha256}`;
  if (!urls.has(key)) {
    urls.set(key, fetch(media.url, { headers: { authorization: `Bearer ${auth.token}` } }).then((res) => {
      if (!res.ok) throw new ApiError(res.status, 'media_unavailable', `The file could not be fetched (HTTP ${res.status}).`);
      return res.blob();
    }).then((blob) => URL.createObjectURL(blob)).catch((e) => { urls.delete(key); throw e; }));
  }
  return urls.get(key);
}

function fileLabel(m) {
  const size = m.media.size ? ` (${Math.max(1, Math.round(m.media.size / 1024))} KB)` : '';
  return `${m.media.fileName || m.type}${size}`;
}

// Saves the file of `m` under its name (the browser's download).
async function download(m) {
  const a = document.createElement('a');
  a.href = await objectUrl(m.media);
  a.download = m.media.fileName || `${m.type}-${m.id}`;
  document.body.append(a);
  a.click();
  a.remove();
}

// The file of message `m`, or nothing when it has none.
export function Media({ message: m }) {
  const media = m.media;
  const inline = ['image', 'sticker', 'audio', 'voice'].includes(m.type);
  const [url, setUrl] = useState(null);
  const [broken, setBroken] = useState(false);
  const [problem, setProblem] = useState('');  // why the last "Try again" or download failed
  // Runs a click's request; a failure is shown next to the file, never left unhandled.
  const attempt = (work) => async () => {
    setProblem('');
    try {
      await work();
    } catch (e) {
      setProblem(e instanceof ApiError ? e.message : 'The server could not be reached.');
    }
  };
  const ready = Boolean(media && !m.deleted && media.status === 'ready');
  useEffect(() => {
    if (!ready || !inline) return undefined;
    let live = true;
    objectUrl(media).then((u) => { if (live) setUrl(u); }, () => { if (live) setBroken(true); });
    return () => { live = false; };
  }, [ready, media?.url, media?.sha256]);

  if (!media || m.deleted) return null;
  if (media.status === 'pending') return html`<span class="media note">Downloading the file…</span>`;
  if (!ready) {
    // Files of the phone's history are fetched on demand, not at import: until asked for, they
    // were never tried, not failed.
    const untried = m.fromHistory && media.status === 'failed' && !asked.has(m.id);
    const why = media.status === 'too_large' ? 'The file is too large to download.'
      : untried ? 'The file is on the phone, not downloaded yet.' : 'The file could not be downloaded.';
    // The answer is not shown: the server's whatsapp:message_updated events (pending, then the
    // outcome) come in order, while this answer may arrive after a fast outcome.
    const fetchAgain = async () => {
      asked.add(m.id);
      await api('POST', `${media.url}/download`);
    };
    return html`<span class="media note">${why} <button type="button" class="link"
      onClick=${attempt(fetchAgain)}>${untried ? 'Download' : 'Try again'}</button>
      ${problem && html` <span role="alert">${problem}</span>`}</span>`;
  }
  if (m.type === 'image' || m.type === 'sticker') {
    // Shown 120..280 px wide, in the file's proportions when the message states them.
    const width = media.width && media.height ? Math.min(Math.max(media.width, 120), 280) : undefined;
    const height = width ? Math.round(width * media.height / media.width) : undefined;
    return html`<img class=${`media ${m.type}`} src=${url ?? undefined} width=${width} height=${height}
      alt=${broken ? 'The image could not be loaded.' : m.body || `${m.type} ${fileLabel(m)}`} />`;
  }
  if (m.type === 'audio' || m.type === 'voice') {
    return html`<audio class="media" controls preload="none" src=${url ?? undefined}
      aria-label=${m.type === 'voice' ? 'Voice note' : 'Audio'}></audio>`;
  }
  return html`<span class="media"><button type="button" class="media download" onClick=${attempt(() => download(m))}>Download ${fileLabel(m)}</button>
    ${problem && html` <span role="alert">${problem}</span>`}</span>`;
}

// POST .../send as multipart/form-data; resolves with the stored message.
export async function sendFile(chatSendPath, file, caption) {
  const form = new FormData();
  form.append('file', file, file.name);
  if (caption) form.append('message', caption);
  form.append('clientMessageId', randomId());
  let res;
  try {
    res = await fetch(chatSendPath, { method: 'POST', headers: { authorization: `Bearer ${auth.token}` }, body: form });
  } catch {
    throw new ApiError(0, 'network', 'The server cannot be reached. Check the connection and try again.');
  }
  const json = await res.json().catch(() => null);
  if (!res.ok || !json?.success) {
    throw new ApiError(res.status, json?.error?.code ?? 'http_error', json?.error?.message ?? `HTTP ${res.status}`);
  }
  return json.data;
}

// The files of media messages: images and stickers shown inline, voice notes and audio playable,
// video and documents downloadable, a failed file fetched again on demand; and sending a file
// (multipart, with the composer's text as its caption). The media URL needs the bearer token, so
// bytes are fetched with it and shown through object URLs (kept per file while the tab lives).
import { api, auth, ApiError, randomId } from './api.js';
import { h } from './dom.js';

const urls = new Map();  // media url + sha256 -> Promise<object URL>

function objectUrl(media) {
  const key = `${media.url}#${media.sha256}`;
  if (!urls.has(key)) {
    urls.set(key, fetch(media.url, { headers: { authorization: `Bearer ${auth.token}` } }).then((res) => {
      if (!res.ok) throw new ApiError(res.status, 'media_unavailable', `HTTP ${res.status}`);
      return res.blob();
    }).then((blob) => URL.createObjectURL(blob)).catch((e) => { urls.delete(key); throw e; }));
  }
  return urls.get(key);
}

function fileLabel(m) {
  const size = m.media.size ? ` (${Math.max(1, Math.round(m.media.size / 1024))} KB)` : '';
  return `${m.media.fileName || m.type}${size}`;
}

// The element for `m`'s file, or null when it has none. `refresh(m)` shows a message again after
// a download was asked for.
export function mediaNode(m, refresh) {
  const media = m.media;
  if (!media || m.deleted) return null;
  if (media.status === 'pending') return h('span', { className: 'media note' }, 'Downloading the file…');
  if (media.status !== 'ready') {
    const why = media.status === 'too_large' ? 'The file is too large to download.' : 'The file could not be downloaded.';
    return h('span', { className: 'media note' }, `${why} `, h('button', {
      type: 'button', className: 'link',
      onclick: async () => refresh(await api('POST', `${media.url}/download`)),
    }, 'Try again'));
  }
  if (m.type === 'image' || m.type === 'sticker') {
    const img = h('img', { className: `media ${m.type}`, alt: m.body || `${m.type} ${fileLabel(m)}` });
    // Shown 120..280 px wide, in the file's proportions when the message states them.
    if (media.width && media.height) { img.width = Math.min(Math.max(media.width, 120), 280); img.height = Math.round(img.width * media.height / media.width); }
    objectUrl(media).then((u) => { img.src = u; }).catch(() => { img.alt = 'The image could not be loaded.'; });
    return img;
  }
  if (m.type === 'audio' || m.type === 'voice') {
    const audio = h('audio', { className: 'media', controls: true, preload: 'none', 'aria-label': m.type === 'voice' ? 'Voice note' : 'Audio' });
    objectUrl(media).then((u) => { audio.src = u; }).catch(() => {});
    return audio;
  }
  return h('button', {
    type: 'button', className: 'media download',
    onclick: async () => {
      const a = h('a', { href: await objectUrl(media), download: media.fileName || `${m.type}-${m.id}` });
      document.body.append(a);
      a.click();
      a.remove();
    },
  }, `⬇ Download ${fileLabel(m)}`);
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

// The event stream: Socket.IO v5 over an Engine.IO v4 websocket, just what the console needs,
// and nothing missed across a reconnect. Every event carries its durable id (`eventId`); the
// stream remembers the newest one it handed over. When a dropped socket connects again, the
// events stored meanwhile are read from GET /api/events?after=<that id> and handed over first,
// in order; live events that arrive during the replay wait and are handed over after it,
// skipping what the replay already gave. Handlers must treat an event seen twice as harmless. A stream that had received no event yet cannot know
// where to resume, so it asks for a full refresh (onResync) instead.
import { api } from './api.js';

export class EventStream {
  // onEvent(name, data), onLive(state: 'connecting'|'live'|'offline'|'refused'), onResync().
  constructor({ token, onEvent, onLive, onResync }) {
    Object.assign(this, { token, onEvent, onLive, onResync });
    this.lastId = 0;
    this.everConnected = false;
    this.replaying = null;  // live events held while a replay runs
    this.ws = null;
    this.closed = false;
    this.retryMs = 1000;
  }

  open() {
    if (this.closed) return;
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/socket.io/?EIO=4&transport=websocket`;
    const ws = new WebSocket(url);
    this.ws = ws;
    this.onLive('connecting');
    ws.onmessage = (e) => {
      const packet = String(e.data);
      if (packet[0] === '0') ws.send('40' + JSON.stringify({ token: this.token }));  // open → CONNECT
      else if (packet === '2') ws.send('3');  // ping → pong
      else if (packet.startsWith('40')) this.connected();
      else if (packet.startsWith('44')) this.onLive('refused');
      else if (packet.startsWith('42')) {
        const [name, data] = JSON.parse(packet.slice(2));
        this.deliver(name, data || {}, false);
      }
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.onLive('offline');
      if (this.closed) return;
      setTimeout(() => { if (this.ws === ws) this.open(); }, this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 10000);
    };
  }

  close() {
    this.closed = true;
    const ws = this.ws;
    this.ws = null;
    ws?.close();
  }

  async connected() {
    this.retryMs = 1000;
    const again = this.everConnected;
    this.everConnected = true;
    if (!again) { this.onLive('live'); return; }
    if (!this.lastId) { this.onLive('live'); this.onResync(); return; }
    this.replaying = [];
    const replayed = new Set();
    try {
      for (;;) {
        const from = this.lastId;
        const page = await api('GET', `/api/events?after=${from}&limit=200`);
        for (const e of page.items) {
          replayed.add(e.id);
          this.deliver(e.name, { ...e.data, sessionId: e.sessionId, eventId: e.id }, true);
        }
        this.lastId = Math.max(this.lastId, page.lastId);
        if (this.lastId === from) break;
      }
    } catch {
      this.onResync();  // the replay failed: refresh what is shown instead
    }
    const held = this.replaying;
    this.replaying = null;
    for (const [name, data] of held) if (!replayed.has(Number(data.eventId))) this.deliver(name, data, true);
    this.onLive('live');
  }

  deliver(name, data, replayed) {
    if (this.replaying && !replayed) { this.replaying.push([name, data]); return; }
    this.lastId = Math.max(this.lastId, Number(data.eventId) || 0);
    this.onEvent(name, data);
  }
}

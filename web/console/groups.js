// Group chats in the console: the members line under the chat title (loaded when a group chat
// opens and again when WhatsApp tells of a change), and system lines ("Alice added Carol") in the
// message list. Rendering only; app.js calls in.
import { h } from './dom.js';
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
    this.chatId = chat.id;
    this.list = [];
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
}

// A `system` message as a centered line.
export const systemRow = (m) => h('li', { className: 'system', dataset: { id: m.id } }, m.body);

// Team (admins): the managers' rights on the selected account, and the managers themselves
// (add, edit, disable, delete, new password). Write and Manage chats include Read: ticking
// either ticks Read, unticking Read unticks both; the server stores it the same way.
import { $, h, announce, ask, showError } from './dom.js';
import { api, items, sessionPath } from './api.js';
import { sessionName } from './format.js';

const kRights = [['canRead', 'Read'], ['canWrite', 'Write'], ['canManageChats', 'Manage chats']];

export class Team {
  constructor({ state }) {
    this.state = state;
    this.managers = [];
    this.editing = null;       // the manager the form edits, or null to add one
    $('manager-form').onsubmit = (e) => { e.preventDefault(); this.submit().catch((err) => showError('team-error', err)); };
    $('manager-cancel').onclick = () => this.edit(null);
  }

  async loadManagers() {
    if (this.state.user?.role !== 'admin') return;
    this.managers = items(await api('GET', '/api/managers'));
  }

  async load(session) {
    if (this.state.user?.role !== 'admin') return;
    const [, grants] = await Promise.all([
      this.loadManagers(),
      session ? api('GET', `${sessionPath(session)}/access`) : Promise.resolve([]),
    ]);
    if (this.state.session !== session) return;
    $('team-session').textContent = session ? sessionName(session) : 'no account';
    this.renderGrants(session, new Map(items(grants).map((g) => [g.managerId, g])));
    this.renderManagers();
  }

  renderGrants(session, byManager) {
    const rows = this.managers.map((m) => {
      const grant = byManager.get(m.id);
      const who = h('th', { scope: 'row' }, m.name || m.email, h('small', {}, ` ${m.email}${m.disabled ? ' (disabled)' : ''}`));
      const tr = h('tr', { dataset: { id: m.id } }, who);
      for (const [right, label] of kRights) {
        const box = h('input', {
          type: 'checkbox', name: right, checked: Boolean(grant?.[right]), disabled: !session,
          'aria-label': `${label} for ${m.name || m.email}`,
          onchange: () => {
            if (right !== 'canRead' && box.checked) tr.querySelector('input[name=canRead]').checked = true;
            if (right === 'canRead' && !box.checked) for (const b of tr.querySelectorAll('input')) b.checked = false;
            this.saveGrant(session, tr, m).catch((e) => { showError('team-error', e); this.load(session).catch(() => {}); });
          },
        });
        tr.append(h('td', {}, box));
      }
      return tr;
    });
    $('grants').tBodies[0].replaceChildren(...rows);
    if (!this.managers.length) $('grants-status').textContent = 'No managers yet: add one below.';
  }

  // One manager's row → the grant: replaced, or revoked when nothing is ticked.
  async saveGrant(session, row, manager) {
    showError('team-error', null);
    const flags = Object.fromEntries([...row.querySelectorAll('input')].map((b) => [b.name, b.checked]));
    const base = `${sessionPath(session)}/access`;
    const name = manager.name || manager.email;
    if (!flags.canRead) await api('DELETE', `${base}/${encodeURIComponent(manager.id)}`).catch((e) => { if (e.status !== 404) throw e; });
    else await api('POST', base, { managerId: manager.id, ...flags });
    row.dataset.saved = JSON.stringify(flags);
    const held = kRights.filter(([k]) => flags[k]).map(([, l]) => l);
    const text = held.length ? `Saved: ${name} may ${held.join(', ').toLowerCase()} on ${sessionName(session)}.` : `Saved: ${name} has no access to ${sessionName(session)}.`;
    $('grants-status').textContent = text;
  }

  renderManagers() {
    $('managers').replaceChildren(...this.managers.map((m) => {
      const name = m.name || m.email;
      return h('li', { dataset: { id: m.id } },
        h('span', { className: 'who' }, name, h('small', {}, ` ${m.email}${m.disabled ? ' · disabled' : ''}`)),
        h('button', { type: 'button', 'aria-label': `Edit ${name}`, onclick: () => this.edit(m) }, 'Edit'),
        h('button', {
          type: 'button', 'aria-label': `${m.disabled ? 'Enable' : 'Disable'} ${name}`,
          onclick: () => this.update(m, { disabled: !m.disabled }, `${name} ${m.disabled ? 'enabled' : 'disabled'}.`),
        }, m.disabled ? 'Enable' : 'Disable'),
        h('button', { type: 'button', className: 'danger', 'aria-label': `Delete ${name}`, onclick: () => this.remove(m) }, 'Delete'));
    }));
  }

  // The form adds a manager (edit(null)) or edits one: name, email, and a new password if given.
  edit(manager) {
    this.editing = manager;
    $('manager-form').reset();
    $('manager-form-title').textContent = manager ? `Edit ${manager.name || manager.email}` : 'Add a manager';
    $('manager-form').querySelector('button[type=submit]').textContent = manager ? 'Save' : 'Add';
    $('manager-cancel').hidden = !manager;
    $('manager-password').required = !manager;
    $('manager-password').previousElementSibling.textContent = manager ? 'New password (leave empty to keep it)' : 'Password (8 or more characters)';
    if (manager) {
      $('manager-name').value = manager.name ?? '';
      $('manager-email').value = manager.email;
      $('manager-name').focus();
    }
  }

  async submit() {
    showError('team-error', null);
    const name = $('manager-name').value.trim(), email = $('manager-email').value.trim(), password = $('manager-password').value;
    if (this.editing) {
      const patch = {};
      if (name !== (this.editing.name ?? '')) patch.name = name;
      if (email !== this.editing.email) patch.email = email;
      if (password) patch.password = password;
      if (!Object.keys(patch).length) { this.edit(null); return; }
      await this.update(this.editing, patch, password ? 'Saved, with the new password.' : 'Saved.');
      this.edit(null);
    } else {
      const body = { email, password };
      if (name) body.name = name;
      await api('POST', '/api/managers', body);
      $('manager-form').reset();
      await this.load(this.state.session);
      announce(`${name || email} added.`);
      $('grants-status').textContent = `${name || email} added. Tick their rights above.`;
    }
  }

  async update(manager, patch, done) {
    try {
      await api('PATCH', `/api/managers/${encodeURIComponent(manager.id)}`, patch);
      await this.load(this.state.session);
      $('grants-status').textContent = done;
      announce(done);
    } catch (e) {
      showError('team-error', e);
    }
  }

  async remove(manager) {
    const name = manager.name || manager.email;
    if (!await ask(`Delete ${name}? Their rights go too; the messages they sent stay.`, 'Delete')) return;
    try {
      await api('DELETE', `/api/managers/${encodeURIComponent(manager.id)}`);
      if (this.editing?.id === manager.id) this.edit(null);
      await this.load(this.state.session);
      $('grants-status').textContent = `${name} deleted.`;
      announce(`${name} deleted.`);
    } catch (e) {
      showError('team-error', e);
    }
  }
}

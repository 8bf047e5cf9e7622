// The bar at the top of the workspace: who is signed in, whether the event stream is live,
// "Notify me" while the browser has not been asked yet, Team (admins) and Log out.
import { html } from './ui.js';

const kLiveWords = { live: 'live', connecting: 'connecting…', offline: 'offline', refused: 'refused' };

export const Header = ({ user, isAdmin, live, canAskNotify, teamOpen, loggingOut, onNotify, onTeam, onLogout }) => html`
  <h1 class="brand">wadesk</h1>
  <span id="who">${user ? `${user.name || user.email} · ${isAdmin ? 'admin' : 'manager'}` : ''}</span>
  <span id="live" class=${live === 'live' ? 'badge live' : 'badge'} role="status">${kLiveWords[live]}</span>
  <button id="notify" type="button" title="Show a desktop notification for new messages" hidden=${!canAskNotify}
    onClick=${onNotify}>Notify me</button>
  <button id="team" type="button" aria-pressed=${String(teamOpen)} hidden=${!isAdmin} onClick=${onTeam}>Team</button>
  <button id="logout" type="button" disabled=${loggingOut} onClick=${onLogout}>Log out</button>`;

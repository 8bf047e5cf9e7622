// The console's icons as inline SVG (stroke in the text colour), so they look the same on every
// machine: emoji depend on the fonts installed, and a machine without an emoji font shows boxes.
// Each is decorative (aria-hidden); the control around it carries the name.
import { html } from './ui.js';

function icon(paths) {
  return html`<svg class="icon" viewBox="0 0 24 24" width="1em" height="1em" fill="none" stroke="currentColor"
    stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">${paths}</svg>`;
}

export const paperclipIcon = () => icon(html`<path d="M21 11.5l-8.5 8.5a5 5 0 0 1-7-7L14 4.5a3.5 3.5 0 0 1 5 5l-8.5 8.5a2 2 0 0 1-3-3L15 7.5" />`);

// Settings, drawn as three sliders.
export const settingsIcon = () => icon(html`<path d="M4 6h10M18 6h2M4 12h4M12 12h8M4 18h12M20 18h0" /><circle cx="16" cy="6" r="2" /><circle cx="10" cy="12" r="2" /><circle cx="18" cy="18" r="2" />`);

export const pinIcon = () => icon(html`<path d="M9 4h6l-1 6 3 3H7l3-3zM12 13v7" />`);

export const mutedIcon = () => icon(html`<path d="M6 8a6 6 0 0 1 9.5-4.9M18 10v4l2 3H8M4 17h1M10 20a2 2 0 0 0 4 0M3 3l18 18" />`);

// The few DOM helpers the console is written with: element lookup by id, an element builder, the
// screen reader announcer and a confirmation dialog. Nothing here builds HTML from strings, so
// every text is set as text and no inline script or style attribute is ever produced.

export const $ = (id) => document.getElementById(id);

// h('button', {type: 'button', onclick, className: 'x', dataset: {id}}, 'text', child, ...):
// properties are set on the element (attributes for aria-* and role); null/false children skip.
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props ?? {})) {
    if (v === undefined || v === null) continue;
    if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('aria-') || k === 'role' || k === 'for') el.setAttribute(k, String(v));
    else el[k] = v;
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

// Screen readers hear `text` once (a polite live region; the same text twice is announced twice).
export function announce(text) {
  const region = $('announcer');
  region.textContent = '';
  setTimeout(() => { region.textContent = text; }, 50);
}

// A modal question; resolves true when the user confirms. Escape or Cancel resolve false.
export function ask(question, okLabel) {
  const dialog = $('confirm');
  $('confirm-text').textContent = question;
  $('confirm-ok').textContent = okLabel;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
  });
}

export function showError(where, err) { $(where).textContent = err ? String(err.message ?? err) : ''; }

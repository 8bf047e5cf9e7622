// The few DOM helpers beside the components: element lookup by id, the screen reader announcer
// and the confirmation dialog (both live outside the components, in index.html). Nothing here
// builds HTML from strings, so every text is set as text.

export const $ = (id) => document.getElementById(id);

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

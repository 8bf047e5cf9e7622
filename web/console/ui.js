// The UI library: Preact, written with htm's tagged templates (html`<p>${text}</p>`) instead of
// JSX, so the browser runs the files as they are, with no build step. `preact`, `preact/hooks`
// and `htm` are resolved by index.html's import map to the copies the server embeds (/vendor/).
// Text is always set as text; no HTML is built from strings.
import { h, render } from 'preact';
import htm from 'htm';

export const html = htm.bind(h);
export { render };
export { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

// axe-core run in the page under test: the serious or critical accessibility violations of what
// is shown, one line each (rule, impact, help, the first elements). [] when there is none.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const kAxe = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export async function axeViolations(page) {
    if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(kAxe);
    return page.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] })).violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`));
}

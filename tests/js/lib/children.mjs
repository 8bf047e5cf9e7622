// The server and emulator processes a suite starts die with it: a suite that ends early (a failed
// hook, a forced exit) leaves nothing running that holds ports or keeps the run waiting.
const live = new Set();

process.on('exit', () => {
    for (const child of live) {
        try { child.kill('SIGKILL'); } catch { /* already gone */ }
    }
});

// Returns `child`, killed when this process exits if it is still running then.
export function diesWithSuite(child) {
    live.add(child);
    child.once('exit', () => live.delete(child));
    return child;
}

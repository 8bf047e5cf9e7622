// A dispatcher for Node's built-in fetch (undici) that sends WhatsApp's fixed media host name
// mmg.whatsapp.net to the emulator's media host (TLS verified against the emulator's CA, whose
// server certificate names mmg.whatsapp.net too); every other host is reached as usual. Baileys
// takes it as `options.dispatcher` (socket config: history blobs) and in downloadMediaMessage's
// `{ options: { dispatcher } }` (media, after a media retry names a path on its default host).
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';

const kGlobal = Symbol.for('undici.globalDispatcher.1');

export async function mmgDispatcher(sim) {
    // Node does not export undici's Agent; its global dispatcher is one, made at the first fetch.
    if (!globalThis[kGlobal]) await fetch(`${sim.controlUrl ?? 'http://127.0.0.1:1'}/`).catch(() => {});
    const Agent = globalThis[kGlobal].constructor;
    const [mediaHost, mediaPort] = sim.mediaHost.split(':');
    const ca = [...tls.rootCertificates, readFileSync(sim.caFile, 'utf8')];
    return new Agent({
        connect(opts, callback) {
            const mmg = opts.hostname === 'mmg.whatsapp.net';
            const host = mmg ? mediaHost : opts.hostname;
            const secure = opts.protocol === 'https:';
            const port = mmg ? Number(mediaPort) : Number(opts.port || (secure ? 443 : 80));
            const socket = secure
                ? tls.connect({ host, port, ca, servername: net.isIP(opts.hostname) ? undefined : opts.hostname, ALPNProtocols: ['http/1.1'] })
                : net.connect({ host, port });
            let settled = false;
            const settle = (err) => {
                if (settled) return;
                settled = true;
                if (err) callback(err); else callback(null, socket);
            };
            socket.once(secure ? 'secureConnect' : 'connect', () => settle(null));
            socket.once('error', settle);
        },
    });
}

// Node's graphql-ws client (graphql-transport-ws) through HTTPS_PROXY, for
// scopegate's end-to-end tests: the socket is undici's WebSocket over a
// ProxyAgent (CONNECT), trusting the CA in SCOPEGATE_CA. argv[2] is a JSON
// spec {url, headers, connectionParams, operations: [{query, variables}]};
// the operations run one after another on one socket. Prints, per
// operation, {next: [payloads], error, complete}.
import { readFileSync } from 'node:fs';
import { ProxyAgent, WebSocket } from 'undici';
import { createClient } from 'graphql-ws';

const spec = JSON.parse(process.argv[2]);
const proxy = process.env.HTTPS_PROXY;
if (!proxy) throw new Error('HTTPS_PROXY is not set');
const ca = readFileSync(process.env.SCOPEGATE_CA, 'utf8');
const dispatcher = new ProxyAgent({ uri: proxy, requestTls: { ca } });

class ProxiedWebSocket extends WebSocket {
  constructor(url, protocols) {
    super(url, { protocols, dispatcher, headers: spec.headers ?? {} });
  }
}

const client = createClient({
  url: spec.url,
  webSocketImpl: ProxiedWebSocket,
  connectionParams: spec.connectionParams,
  retryAttempts: 0,
  // one socket for every operation (the default closes it when idle)
  lazy: false,
});

function run(op) {
  return new Promise((resolve) => {
    const out = { next: [], error: null, complete: false };
    client.subscribe(op, {
      next: (v) => out.next.push(v),
      error: (e) => {
        out.error = Array.isArray(e) ? e : { code: e?.code, reason: e?.reason, message: e?.message };
        resolve(out);
      },
      complete: () => {
        out.complete = true;
        resolve(out);
      },
    });
  });
}

try {
  const out = [];
  for (const op of spec.operations) out.push(await run(op));
  console.log(JSON.stringify(out));
} finally {
  await client.dispose();
  await dispatcher.close();
}

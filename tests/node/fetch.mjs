// Requests through HTTPS_PROXY with undici's fetch and ProxyAgent (Node's
// global fetch ignores HTTPS_PROXY), for scopegate's end-to-end tests.
// argv[2] is a JSON spec {method, url, headers, body}, or an array of them,
// sent in order; the CA an agent would be given is in SCOPEGATE_CA. Prints
// {status, headers, body} per spec (an array for an array).
import { readFileSync } from 'node:fs';
import { fetch, ProxyAgent } from 'undici';

const input = JSON.parse(process.argv[2]);
const proxy = process.env.HTTPS_PROXY;
if (!proxy) throw new Error('HTTPS_PROXY is not set');
const ca = readFileSync(process.env.SCOPEGATE_CA, 'utf8');
const dispatcher = new ProxyAgent({ uri: proxy, requestTls: { ca } });

async function send(spec) {
  const r = await fetch(spec.url, {
    method: spec.method,
    headers: spec.headers ?? {},
    body: spec.body ?? undefined,
    dispatcher,
  });
  const body = await r.text();
  return { status: r.status, headers: Object.fromEntries(r.headers), body };
}

try {
  const out = [];
  for (const spec of Array.isArray(input) ? input : [input]) out.push(await send(spec));
  console.log(JSON.stringify(Array.isArray(input) ? out : out[0]));
} finally {
  await dispatcher.close();
}

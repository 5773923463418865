"""One HTTP request through HTTPS_PROXY, for scopegate's end-to-end tests.

argv[1] is a JSON spec: {"lib": "requests" | "httpx", "method", "url",
"headers", "body"} ("body_file": a file whose bytes are the body), or an
array of them, sent in order. Proxy and CA come
from the environment, as an agent's would: HTTPS_PROXY, and
REQUESTS_CA_BUNDLE / SSL_CERT_FILE. httpx speaks HTTP/2 (h2) when the
server offers it. Prints one JSON object per spec (an array for an array):
{"status", "headers", "body", "http_version"}.
"""

import json
import os
import ssl
import sys


def send(spec: dict) -> dict:
    body = spec.get("body")
    data = body.encode() if body is not None else None
    if spec.get("body_file"):
        with open(spec["body_file"], "rb") as f:
            data = f.read()
    headers = spec.get("headers", {})
    if spec.get("lib", "requests") == "httpx":
        import httpx

        ctx = ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
        with httpx.Client(http2=True, verify=ctx, timeout=20) as client:
            r = client.request(spec["method"], spec["url"], headers=headers, content=data)
            return {
                "status": r.status_code,
                "headers": dict(r.headers),
                "body": r.text,
                "http_version": r.http_version,
            }
    else:
        import requests

        r = requests.request(spec["method"], spec["url"], headers=headers, data=data, timeout=20)
        return {
            "status": r.status_code,
            "headers": dict(r.headers),
            "body": r.text,
            "http_version": "HTTP/1.1",
        }


def main() -> None:
    spec = json.loads(sys.argv[1])
    if isinstance(spec, list):
        print(json.dumps([send(s) for s in spec]))
    else:
        print(json.dumps(send(spec)))


if __name__ == "__main__":
    main()

"""A fake Railway API for scripts/container-test: HTTPS on :8443 with the
test CA's certificate for backboard.railway.com. It answers GraphQL with a
fixed result and appends every request it receives (method, path,
authorization, body) as one JSON line to /tmp/received.jsonl, which the test
reads with `podman exec`. Standard library only (the testbox image)."""
import json
import ssl
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RECEIVED = "/tmp/received.jsonl"


class Railway(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        with open(RECEIVED, "a", encoding="utf-8") as out:
            out.write(json.dumps({
                "method": self.command,
                "path": self.path,
                "authorization": self.headers.get("authorization", ""),
                "body": body.decode("utf-8", "replace"),
            }) + "\n")
        answer = json.dumps({"data": {"me": {"id": "user-1", "name": "fake"}}}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *_):
        pass


def main():
    open(RECEIVED, "w").close()
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain("/fake/tls/railway.pem", "/fake/tls/railway.key")
    server = ThreadingHTTPServer(("0.0.0.0", 8443), Railway)
    server.socket = tls.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

# A webhook receiver that checks Pollster's Standard Webhooks signature: python3 receiver.py whsec_… [port]
import base64, hashlib, hmac, http.server, sys
key = base64.b64decode(sys.argv[1].removeprefix("whsec_"))
class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        signed = f'{self.headers["webhook-id"]}.{self.headers["webhook-timestamp"]}.'.encode() + body
        expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        ok = any(hmac.compare_digest(expected, s) for s in self.headers["webhook-signature"].split())
        self.send_response(204 if ok else 401); self.end_headers()
        print("verified" if ok else "REJECTED", body.decode(), flush=True)
    def log_message(self, *args): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[2]) if len(sys.argv) > 2 else 9000), Hook).serve_forever()

"""A loopback fake SMS gateway speaking app/services/sms.py's signed JSON protocol, with its
own signature check (not the app's code). Messages it accepted are in ``fake.messages``;
``fake.down = True`` answers HTTP 502; ``fake.refuse = "<code>"`` answers that error code.
"""
import hashlib
import hmac
import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeSmsGateway:
    def __init__(self, key):
        self.key = key
        self.messages = []
        self.rejected = []
        self.down = False
        self.refuse = None
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def reset(self):
        with self.lock:
            self.messages.clear()
            self.rejected.clear()
            self.down = False
            self.refuse = None

    def codes_for(self, phone):
        return [m["params"]["code"] for m in self.messages if m["phone"] == phone]

    def _answer(self, headers, body):
        if self.down:
            return 502, {"code": "DOWN"}
        timestamp = headers.get("X-Sms-Timestamp", "")
        expected = hmac.new(self.key.encode("utf-8"), f"{timestamp}\n".encode("utf-8") + body,
                            hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, headers.get("X-Sms-Signature", "")):
            self.rejected.append(body)
            return 200, {"code": "SIGNATURE_DOES_NOT_MATCH", "message": "bad signature"}
        data = json.loads(body)
        if self.refuse:
            return 200, {"code": self.refuse, "message": "refused"}
        if not (len(data.get("phone", "")) == 11 and data["phone"].isdigit()):
            return 200, {"code": "MOBILE_NUMBER_ILLEGAL", "message": "invalid mobile"}
        self.messages.append(data)
        return 200, {"code": "OK", "biz_id": secrets.token_hex(8)}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with fake.lock:
                    status, payload = fake._answer(self.headers, body)
                data = json.dumps(payload).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

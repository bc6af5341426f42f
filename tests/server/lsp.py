"""A minimal LSP client over a child's stdio for the protocol test and the bench."""
import json
import os
import select
import subprocess
import time


class Client:
    def __init__(self, binary, env=None, cwd=None):
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.proc = subprocess.Popen([binary, "server"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=None, env=full_env, cwd=cwd)
        self.buffer = b""
        self.next_id = 1
        self.backlog = []

    def send_raw(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, message):
        body = json.dumps(message).encode()
        self.send_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def request(self, method, params=None):
        rid = self.next_id
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params or {}})
        return rid

    def notify(self, method, params=None):
        self.send({"jsonrpc": "2.0", "method": method, "params": params or {}})

    def read(self, timeout=30):
        """The next message, or None at end of output or after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            header_end = self.buffer.find(b"\r\n\r\n")
            if header_end >= 0:
                headers = self.buffer[:header_end].decode()
                length = int([h.split(":")[1] for h in headers.split("\r\n") if h.lower().startswith("content-length")][0])
                if len(self.buffer) >= header_end + 4 + length:
                    body = self.buffer[header_end + 4:header_end + 4 + length]
                    self.buffer = self.buffer[header_end + 4 + length:]
                    return json.loads(body)
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if not ready:
                return None
            chunk = os.read(self.proc.stdout.fileno(), 1 << 16)
            if not chunk:
                return None
            self.buffer += chunk

    def wait_for(self, predicate, timeout=30):
        """The first message (queued or new) for which predicate holds; others are queued."""
        for i, m in enumerate(self.backlog):
            if predicate(m):
                return self.backlog.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            m = self.read(max(0.0, deadline - time.monotonic()))
            if m is None:
                return None
            if predicate(m):
                return m
            self.backlog.append(m)

    def response(self, rid, timeout=30):
        return self.wait_for(lambda m: m.get("id") == rid and "method" not in m, timeout)

    def diagnostics(self, uri, timeout=30):
        m = self.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri, timeout)
        return None if m is None else m["params"]["diagnostics"]

    def sync(self):
        """Waits until the server has handled everything sent so far, then forgets the queued
        messages: a code action request makes the server publish pending diagnostics first."""
        rid = self.request("textDocument/codeAction", {"textDocument": {"uri": "lstm-lint-sync:none"},
                                                      "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
                                                      "context": {"diagnostics": []}})
        self.response(rid)
        self.backlog.clear()

    def initialize(self, capabilities=None):
        rid = self.request("initialize", {"processId": os.getpid(), "rootUri": None, "capabilities": capabilities or {}})
        result = self.response(rid)
        self.notify("initialized", {})
        return result

    def close(self):
        try:
            rid = self.request("shutdown")
            self.response(rid, 10)
            self.notify("exit")
            return self.proc.wait(10)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()

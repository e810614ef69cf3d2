#!/usr/bin/env python3
"""An OTLP/HTTP logs receiver for tests/otlp.rs, on the official protobuf definitions.

It decodes every POST with the generated code of the PyPI package opentelemetry-proto
(`pip install opentelemetry-proto`) as an ExportLogsServiceRequest and prints one JSON
line per request on stdout: the path, the headers, the answer given, whether the body
re-encodes to the very same bytes (canonical protobuf), and every resource, scope and
log record with typed attributes ({"type": "int_value", "value": 200}).

The first line is {"listening": PORT}. Listens on 127.0.0.1 only.

Options:
  --port N          the port (0, the default: any free port)
  --fail-first N    answer the first N requests with --fail-status and a
                    google.rpc.Status body (UNAVAILABLE, "test failure")
  --fail-status S   the status of those answers (default 503)
  --reject N        answer every 2xx with a partial success rejecting N records
  --hold-first PATH hold the answer to the first request until PATH exists (30 s at
                    most); its line is printed before the wait
"""

import argparse
import gzip
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.logs.v1 import logs_service_pb2


def any_value(v):
    kind = v.WhichOneof("value")
    if kind is None:
        return {"type": None, "value": None}
    if kind == "array_value":
        return {"type": kind, "value": [any_value(x) for x in v.array_value.values]}
    if kind == "kvlist_value":
        return {"type": kind, "value": attributes(v.kvlist_value.values)}
    if kind == "bytes_value":
        return {"type": kind, "value": v.bytes_value.hex()}
    return {"type": kind, "value": getattr(v, kind)}


def attributes(kvs):
    return {kv.key: any_value(kv.value) for kv in kvs}


def log_record(r):
    return {
        "time_unix_nano": r.time_unix_nano,
        "observed_time_unix_nano": r.observed_time_unix_nano,
        "severity_number": r.severity_number,
        "severity_text": r.severity_text,
        "body": any_value(r.body),
        "event_name": r.event_name,
        "attributes": attributes(r.attributes),
        "attribute_keys": [kv.key for kv in r.attributes],
        "trace_id": r.trace_id.hex(),
        "span_id": r.span_id.hex(),
        "flags": r.flags,
    }


def decode(body):
    req = logs_service_pb2.ExportLogsServiceRequest()
    req.ParseFromString(body)
    out = []
    for rl in req.resource_logs:
        out.append(
            {
                "resource": attributes(rl.resource.attributes),
                "scope_logs": [
                    {
                        "scope": {"name": sl.scope.name, "version": sl.scope.version},
                        "log_records": [log_record(r) for r in sl.log_records],
                    }
                    for sl in rl.scope_logs
                ],
            }
        )
    return out, req.SerializeToString() == body


def status_body(code, message):
    # google.rpc.Status {int32 code = 1; string message = 2;}, encoded by hand to
    # need no other package.
    msg = message.encode()
    return bytes([0x08, code, 0x12, len(msg)]) + msg


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--fail-status", type=int, default=503)
    parser.add_argument("--reject", type=int, default=0)
    parser.add_argument("--hold-first")
    args = parser.parse_args()
    lock = threading.Lock()
    state = {"seen": 0}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            body = raw
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(raw)
            with lock:
                state["seen"] += 1
                n = state["seen"]
            status = args.fail_status if n <= args.fail_first else 200
            line = {
                "n": n,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "status": status,
                "wire_size": len(raw),
                "size": len(body),
            }
            try:
                line["resource_logs"], line["canonical"] = decode(body)
            except Exception as e:  # a decoding error is a test failure, shown
                line["error"] = repr(e)
            with lock:
                print(json.dumps(line), flush=True)
            if n == 1 and args.hold_first:
                deadline = time.monotonic() + 30
                while not os.path.exists(args.hold_first) and time.monotonic() < deadline:
                    time.sleep(0.01)
            if status != 200:
                payload = status_body(14, "test failure")
            else:
                resp = logs_service_pb2.ExportLogsServiceResponse()
                if args.reject:
                    resp.partial_success.rejected_log_records = args.reject
                    resp.partial_success.error_message = "test rejection"
                payload = resp.SerializeToString()
            self.send_response(status)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(json.dumps({"listening": server.server_address[1]}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())

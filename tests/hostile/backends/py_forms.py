#!/usr/bin/python3
"""py_forms.py - the Python backends of tests/hostile/test_backends.py, run
by Debian's /usr/bin/python3 (where python3-multipart lives) on
127.0.0.1:PORT (argv[1]): POST /multipart reads the request with
python-multipart (multipart.parse_form, as Starlette and FastAPI use it),
/email with the standard library's email parser (policy.HTTP, as
aiohttp-era and cgi-free code reads a form), /cgi with cgi.FieldStorage.
Answers JSON: {"fields": [[name, base64 value]...], "files": [[name,
filename, base64 content]...], "error": text}. A JSON body is json.loads'd
(bytes: Python takes a BOM and UTF-16/32 too); urlencoded through
urllib.parse.parse_qsl."""
import base64
import email.parser
import email.policy
import io
import json
import sys
import urllib.parse
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

warnings.simplefilter("ignore")
import cgi  # noqa: E402
import logging  # noqa: E402
import multipart  # noqa: E402

logging.disable(logging.CRITICAL)


def b64(v):
    if v is None:
        v = b""
    if isinstance(v, str):
        v = v.encode("utf-8", "surrogateescape")
    return base64.b64encode(v).decode()


def flat(name, v, out):
    if isinstance(v, dict):
        for k, x in v.items():
            flat("%s[%s]" % (name, k), x, out)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            flat("%s[%d]" % (name, i), x, out)
    else:
        if isinstance(v, float) and v.is_integer() and abs(v) < 1e17:
            v = int(v)
        out["fields"].append([b64(name), b64(str(v))])


def by_multipart(headers, body, out):
    def on_field(f):
        out["fields"].append([b64(f.field_name), b64(f.value)])

    def on_file(f):
        f.file_object.seek(0)
        out["files"].append([b64(f.field_name), b64(f.file_name), b64(f.file_object.read())])
    multipart.parse_form({"Content-Type": headers.get("Content-Type", ""),
                          "Content-Length": str(len(body))}, io.BytesIO(body), on_field, on_file)


def by_email(headers, body, out):
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + headers.get("Content-Type", "").encode("latin-1") + b"\r\n\r\n" + body)
    for part in (msg.iter_parts() if msg.is_multipart() else []):
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True)
        fn = part.get_filename()
        if fn is not None:
            out["files"].append([b64(name), b64(fn), b64(data)])
        else:
            out["fields"].append([b64(name), b64(data)])


def by_cgi(headers, body, out):
    env = {"REQUEST_METHOD": "POST", "CONTENT_TYPE": headers.get("Content-Type", ""),
           "CONTENT_LENGTH": str(len(body))}
    fs = cgi.FieldStorage(fp=io.BytesIO(body), environ=env, keep_blank_values=True)
    for item in (fs.list or []):
        data = item.value
        if item.filename is not None:
            out["files"].append([b64(item.name), b64(item.filename), b64(data)])
        else:
            out["fields"].append([b64(item.name), b64(data)])


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        out = {"fields": [], "files": []}
        ct = self.headers.get("Content-Type", "")
        try:
            if "json" in ct.lower():
                flat("json", json.loads(body), out)
            elif ct.lower().startswith("application/x-www-form-urlencoded"):
                for k, v in urllib.parse.parse_qsl(body.decode("latin-1"), keep_blank_values=True,
                                                   encoding="latin-1"):
                    out["fields"].append([b64(k.encode("latin-1")), b64(v.encode("latin-1"))])
            else:
                {"/multipart": by_multipart, "/email": by_email,
                 "/cgi": by_cgi}[self.path](self.headers, body, out)
        except Exception as e:  # a reader that refuses the request extracts nothing
            out["error"] = repr(e)
        data = json.dumps(out).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


srv = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
print("ready", flush=True)
srv.serve_forever()

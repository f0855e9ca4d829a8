// node_forms.js - the Node backends of tests/hostile/test_backends.py:
// busboy (POST /busboy) and formidable (POST /formidable), Debian's
// node-busboy and node-formidable, on 127.0.0.1:PORT (argv[2]). Answers
// what the library hands an application, as JSON: {"fields": [[name,
// base64 value]...], "files": [[name, filename, base64 content]...],
// "error": text}. A JSON body is JSON.parse'd (the application's reader).
'use strict';
const http = require('http');
const fs = require('fs');
const os = require('os');
const path = require('path');
const busboy = require('busboy');
const fm = require('formidable');
const formidable = fm.formidable || fm.default || fm;

const b64 = (s) => Buffer.from(s === undefined || s === null ? '' : s).toString('base64');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sk-formidable-'));

function flat(name, v, out) {
    if (v !== null && typeof v === 'object') {
        for (const k of Object.keys(v)) flat(name + '[' + k + ']', v[k], out);
    } else {
        out.fields.push([b64(name), b64(String(v))]);
    }
}

function answer(res, out) {
    res.writeHead(200, {'Content-Type': 'application/json'});
    res.end(JSON.stringify(out));
}

function json(req, res, out) {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
        try {
            flat('json', JSON.parse(Buffer.concat(chunks).toString('utf8')), out);
        } catch (e) {
            out.error = String(e);
        }
        answer(res, out);
    });
}

function viaBusboy(req, res, out) {
    let bb;
    try {
        bb = busboy({headers: req.headers});
    } catch (e) {
        out.error = String(e);
        req.resume();
        req.on('end', () => answer(res, out));
        return;
    }
    let pending = 1, done = false;
    const fin = () => { if (--pending === 0 && !done) { done = true; answer(res, out); } };
    bb.on('field', (name, val) => out.fields.push([b64(name), b64(val)]));
    bb.on('file', (name, stream, info) => {
        pending++;
        const chunks = [];
        stream.on('data', (c) => chunks.push(c));
        let ended = false;
        const end = () => {
            if (ended) return;
            ended = true;
            out.files.push([b64(name), b64(info.filename), Buffer.concat(chunks).toString('base64')]);
            fin();
        };
        // a cut stream still wrote its bytes where the application put them
        stream.on('end', end);
        stream.on('error', (e) => { out.error = String(e); end(); });
    });
    bb.on('error', (e) => { out.error = String(e); pending = 1; fin(); });
    bb.on('close', fin);
    req.pipe(bb);
}

function viaFormidable(req, res, out) {
    const form = formidable({uploadDir: tmp, multiples: true, allowEmptyFiles: true, minFileSize: 0});
    let done = false;
    const fin = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        answer(res, out);
    };
    // a form formidable never finishes (no close delimiter...) is answered
    // with what it handed over by then
    const timer = setTimeout(() => { out.error = 'timeout'; fin(); }, 1500);
    form.on('field', (name, value) => out.fields.push([b64(name), b64(value)]));
    form.on('file', (name, f) => {
        let data = Buffer.alloc(0);
        try { data = fs.readFileSync(f.filepath); fs.unlinkSync(f.filepath); } catch (e) { }
        out.files.push([b64(name), b64(f.originalFilename), data.toString('base64')]);
    });
    form.on('error', (e) => { out.error = String(e); fin(); });
    form.on('end', fin);
    form.parse(req);
}

process.on('uncaughtException', (e) => console.error('uncaught', e));

http.createServer((req, res) => {
    const out = {fields: [], files: []};
    const ct = req.headers['content-type'] || '';
    if (/json/i.test(ct)) return json(req, res, out);
    if (req.url === '/formidable') return viaFormidable(req, res, out);
    return viaBusboy(req, res, out);
}).listen(Number(process.argv[2]), '127.0.0.1', () => console.log('ready'));

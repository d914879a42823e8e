// flarebind explorer page: a small client of /cdn-cgi/explorer/api (no framework, no CDN).
"use strict";
const API = "/cdn-cgi/explorer/api";
const TOKEN = document.querySelector('meta[name="explorer-token"]').content;
const $ = (id) => document.getElementById(id);

function status(text, isError) {
  const el = $("status");
  el.textContent = text;
  el.className = isError ? "error" : "";
}

// every request carries the page's token: the server refuses browser writes without it
async function call(method, path, body, headers) {
  const response = await fetch(API + path, {
    method, body, headers: { "x-flarebind-explorer-token": TOKEN, ...(headers || {}) },
  });
  return response;
}

async function json(method, path, body, headers) {
  const response = await call(method, path, body, headers);
  const payload = await response.json();
  if (!payload.success) {
    const message = payload.errors.map((e) => `${e.code}: ${e.message}`).join("; ");
    status(message, true);
    throw new Error(message);
  }
  return payload;
}

const enc = encodeURIComponent;

function fill(select, items) {
  select.replaceChildren(...items.map(([value, label]) => new Option(label, value)));
}

// ---- tabs
document.querySelectorAll(".tab").forEach((button) => button.addEventListener("click", () => {
  document.querySelectorAll(".tab").forEach((b) => b.classList.toggle("active", b === button));
  document.querySelectorAll(".panel").forEach((p) => { p.hidden = p.id !== button.dataset.tab; });
  loaders[button.dataset.tab]();
}));

// ---- KV
async function kvLoad() {
  const { result } = await json("GET", "/storage/kv/namespaces");
  fill($("kv-ns"), result.map((ns) => [ns.id, `${ns.title} (${ns.id})`]));
  await kvList();
}

async function kvList() {
  const ns = $("kv-ns").value;
  if (!ns) return;
  const prefix = $("kv-prefix").value;
  const { result } = await json("GET", `/storage/kv/namespaces/${enc(ns)}/keys?prefix=${enc(prefix)}`);
  $("kv-keys").replaceChildren(...result.map((key) => {
    const li = document.createElement("li");
    li.textContent = key.name;
    li.dataset.key = key.name;
    li.addEventListener("click", () => kvOpen(key));
    return li;
  }));
  status(`${result.length} key(s)`);
}

function hex(bytes) {
  const lines = [];
  for (let i = 0; i < Math.min(bytes.length, 4096); i += 16) {
    const row = Array.from(bytes.slice(i, i + 16), (b) => b.toString(16).padStart(2, "0")).join(" ");
    lines.push(i.toString(16).padStart(8, "0") + "  " + row);
  }
  return lines.join("\n");
}

async function kvOpen(key) {
  const ns = $("kv-ns").value;
  document.querySelectorAll("#kv-keys li").forEach((li) => li.classList.toggle("selected", li.dataset.key === key.name));
  const response = await call("GET", `/storage/kv/namespaces/${enc(ns)}/values/${enc(key.name)}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  $("kv-key").value = key.name;
  $("kv-metadata").value = key.metadata === undefined ? "" : JSON.stringify(key.metadata);
  $("kv-ttl").value = "";
  const preview = $("kv-preview");
  preview.replaceChildren();
  let text = null;
  try { text = new TextDecoder("utf-8", { fatal: true }).decode(bytes); } catch { text = null; }
  if (text !== null) {
    try {
      const pretty = JSON.stringify(JSON.parse(text), null, 2);
      const pre = document.createElement("pre");
      pre.textContent = pretty;
      preview.append(pre);
    } catch { /* plain text: shown in the editor */ }
    $("kv-value").value = text;
  } else {
    const isImage = [[0x89, 0x50], [0xff, 0xd8], [0x47, 0x49], [0x52, 0x49]].some(([a, b]) => bytes[0] === a && bytes[1] === b);
    if (isImage) {
      const img = document.createElement("img");
      img.src = URL.createObjectURL(new Blob([bytes]));
      preview.append(img);
    }
    const pre = document.createElement("div");
    pre.className = "hex";
    pre.textContent = hex(bytes);
    preview.append(pre);
    $("kv-value").value = "";
  }
  status(`${key.name}: ${bytes.length} byte(s)`);
}

async function kvSave() {
  const ns = $("kv-ns").value;
  const key = $("kv-key").value;
  const form = new FormData();
  form.append("value", $("kv-value").value);
  if ($("kv-metadata").value.trim()) form.append("metadata", $("kv-metadata").value);
  const ttl = $("kv-ttl").value ? `?expiration_ttl=${enc($("kv-ttl").value)}` : "";
  await json("PUT", `/storage/kv/namespaces/${enc(ns)}/values/${enc(key)}${ttl}`, form);
  await kvList();
  status(`saved ${key}`);
}

async function kvDelete() {
  const ns = $("kv-ns").value;
  const key = $("kv-key").value;
  await json("DELETE", `/storage/kv/namespaces/${enc(ns)}/values/${enc(key)}`);
  await kvList();
  status(`deleted ${key}`);
}

$("kv-search").addEventListener("click", kvList);
$("kv-ns").addEventListener("change", kvList);
$("kv-save").addEventListener("click", kvSave);
$("kv-delete").addEventListener("click", kvDelete);
$("kv-new").addEventListener("click", () => {
  ["kv-key", "kv-value", "kv-metadata", "kv-ttl"].forEach((id) => { $(id).value = ""; });
  $("kv-preview").replaceChildren();
});

// ---- R2
async function r2Load() {
  const { result } = await json("GET", "/r2/buckets");
  fill($("r2-bucket"), result.buckets.map((b) => [b.name, b.name]));
  await r2List();
}

async function r2List() {
  const bucket = $("r2-bucket").value;
  if (!bucket) return;
  const prefix = $("r2-prefix").value;
  const payload = await json("GET", `/r2/buckets/${enc(bucket)}/objects?delimiter=/&prefix=${enc(prefix)}`);
  const rows = payload.result_info.delimited.map((p) => {
    const tr = document.createElement("tr");
    const td = document.createElement("td");
    const a = document.createElement("a");
    a.href = "#";
    a.textContent = p;
    a.addEventListener("click", (e) => { e.preventDefault(); $("r2-prefix").value = p; r2List(); });
    td.append(a);
    tr.append(td);
    return tr;
  });
  for (const obj of payload.result) {
    const tr = document.createElement("tr");
    tr.dataset.key = obj.key;
    const url = `${API}/r2/buckets/${enc(bucket)}/objects/${enc(obj.key)}`;
    const cells = [obj.key, String(obj.size), obj.http_metadata.contentType || "", obj.last_modified];
    for (const text of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    const actions = document.createElement("td");
    const download = document.createElement("a");
    download.href = url;
    download.download = obj.key.split("/").pop();
    download.textContent = "download";
    const del = document.createElement("button");
    del.textContent = "delete";
    del.className = "danger";
    del.addEventListener("click", async () => {
      await json("DELETE", `/r2/buckets/${enc(bucket)}/objects`, JSON.stringify([obj.key]), { "content-type": "application/json" });
      await r2List();
      status(`deleted ${obj.key}`);
    });
    actions.append(download, " ", del);
    tr.append(actions);
    rows.push(tr);
  }
  $("r2-objects").replaceChildren(...rows);
  status(`${payload.result.length} object(s)`);
}

async function r2Upload() {
  const bucket = $("r2-bucket").value;
  const file = $("r2-file").files[0];
  if (!file) { status("choose a file first", true); return; }
  const key = $("r2-prefix").value + file.name;
  // the File is sent as the request body: the browser streams it from disk
  await json("PUT", `/r2/buckets/${enc(bucket)}/objects/${enc(key)}`, file, { "content-type": file.type || "application/octet-stream" });
  await r2List();
  status(`uploaded ${key}`);
}

$("r2-browse").addEventListener("click", r2List);
$("r2-bucket").addEventListener("change", r2List);
$("r2-upload").addEventListener("click", r2Upload);

// ---- D1
async function d1Load() {
  const { result } = await json("GET", "/d1/database");
  fill($("d1-db"), result.map((db) => [db.uuid, `${db.name} (${db.uuid})`]));
}

async function d1Run() {
  const db = $("d1-db").value;
  const payload = await json("POST", `/d1/database/${enc(db)}/raw`, JSON.stringify({ sql: $("d1-sql").value }), { "content-type": "application/json" });
  const out = $("d1-results");
  out.replaceChildren();
  for (const result of payload.result) {
    const table = document.createElement("table");
    table.className = "grid";
    const head = document.createElement("tr");
    for (const column of result.results.columns) {
      const th = document.createElement("th");
      th.textContent = column;
      head.append(th);
    }
    table.append(head);
    for (const row of result.results.rows) {
      const tr = document.createElement("tr");
      for (const value of row) {
        const td = document.createElement("td");
        td.textContent = value === null ? "NULL" : String(value);
        tr.append(td);
      }
      table.append(tr);
    }
    const meta = document.createElement("p");
    meta.textContent = `${result.results.rows.length} row(s), ${result.meta.changes} change(s), ${Number(result.meta.duration).toFixed(2)} ms`;
    out.append(table, meta);
  }
  status("query ran");
}

$("d1-run").addEventListener("click", d1Run);

// ---- Workflows
async function wfLoad() {
  const { result } = await json("GET", "/workflows");
  $("wf-list").replaceChildren(...result.map((wf) => {
    const li = document.createElement("li");
    li.textContent = wf.name;
    li.addEventListener("click", () => wfOpen(wf.name));
    return li;
  }));
}

async function wfOpen(name) {
  const { result } = await json("GET", `/workflows/${enc(name)}/instances`);
  const detail = $("wf-detail");
  detail.replaceChildren();
  for (const instance of result) {
    const { result: info } = await json("GET", `/workflows/${enc(name)}/instances/${enc(instance.id)}`);
    const pre = document.createElement("pre");
    pre.textContent = `${instance.id}: ${info.status}\n` + info.steps.map((s) => `  ${s.type} ${s.name} ${s.start || ""} → ${s.end || ""}`).join("\n");
    detail.append(pre);
  }
}

const loaders = { kv: kvLoad, r2: r2Load, d1: d1Load, workflows: wfLoad };
kvLoad().catch((e) => status(String(e), true));

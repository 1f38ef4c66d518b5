// automerge-repo side by side with kdcd: the same Automerge document (kdc-bench writes it),
// served by one Repo over automerge-repo's WebSocket adapter on loopback, with its Node file
// storage on both sides. Prints one JSON line: {"first_sync_ms": [...], "edit_ms": [...]}.
//
// node web/repo-bench/repo-bench.mjs DOC.automerge FIRST_SYNC_RUNS EDITS [SPACING_MS]
//
// first sync: a new Repo (empty storage) connects, finds the document by URL, and has every
//   change (its heads equal the server's);
// edit: one field changed on the server's handle → the client's handle shows the new value,
//   back to back ("edit_ms") and SPACING_MS apart, like a person's taps ("edit_spaced_ms";
//   automerge-repo throttles a burst of changes to one sync message per 100 ms).
// Both repos run in this one process (no process boundary, no HTTP API, no fsync: kdcd's
// figures include all three).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Repo } from "@automerge/automerge-repo";
import { WebSocketClientAdapter, WebSocketServerAdapter } from "@automerge/automerge-repo-network-websocket";
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs";
import * as A from "@automerge/automerge";
import { WebSocketServer } from "ws";

const [docPath, runsArg, editsArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 5);
const edits = Number(editsArg ?? 100);
const spacing = Number(process.argv[5] ?? 150);
/** The document: an Automerge file, or the first area of a `.kdcsnap` snapshot file
 * ("KDCSNAP\0", u16 version, u32 count, then per area: u8 id length, id, u64 document length,
 * document; SHA-256 at the end). */
function readDoc(path) {
  const file = readFileSync(path);
  if (file.subarray(0, 8).toString("latin1") !== "KDCSNAP\0") return new Uint8Array(file);
  const idLen = file[14];
  const docLen = Number(file.readBigUInt64BE(15 + idLen));
  const start = 23 + idLen;
  return new Uint8Array(file.subarray(start, start + docLen));
}
const bytes = readDoc(docPath);
const dirs = [];
const noStorage = process.env.REPO_BENCH_NO_STORAGE === "1";
const storage = () => {
  if (noStorage) return undefined;
  const dir = mkdtempSync(join(tmpdir(), "repo-bench-"));
  dirs.push(dir);
  return new NodeFSStorageAdapter(dir);
};

const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
await new Promise((ok) => wss.once("listening", ok));
const url = `ws://127.0.0.1:${wss.address().port}`;
const server = new Repo({ network: [new WebSocketServerAdapter(wss)], storage: storage(), sharePolicy: async () => true });
const handle = server.import(bytes);
const serverHeads = () => JSON.stringify(A.getHeads(handle.doc()));
const wanted = serverHeads();

const sameHeads = (h) => JSON.stringify(A.getHeads(h.doc())) === wanted;
const firstSync = [];
const clients = [];
for (let i = 0; i < runs; i++) {
  const started = performance.now();
  const client = new Repo({ network: [new WebSocketClientAdapter(url)], storage: storage() });
  clients.push(client);
  const h = await client.find(handle.url);
  await new Promise((ok) => {
    if (sameHeads(h)) return ok();
    const check = () => {
      if (sameHeads(h)) {
        h.off("change", check);
        ok();
      }
    };
    h.on("change", check);
  });
  firstSync.push(performance.now() - started);
}

// Edits: server → the last client.
const client = clients[clients.length - 1];
const h = await client.find(handle.url);
const key = Object.keys(handle.doc()).find((k) => k.endsWith("/members")) ?? "h/T1-001/members";
async function timeEdits(gapMs, offset) {
  const out = [];
  for (let i = 0; i < edits; i++) {
    if (gapMs > 0) await new Promise((ok) => setTimeout(ok, gapMs));
    const value = 1 + ((i + offset) % 9);
    if (h.doc()[key] === value) continue;
    const seen = new Promise((ok) => {
      const check = () => {
        if (h.doc()[key] === value) {
          h.off("change", check);
          ok();
        }
      };
      h.on("change", check);
    });
    const started = performance.now();
    handle.change((d) => {
      d[key] = value;
    });
    await seen;
    out.push(performance.now() - started);
  }
  return out;
}
const editMs = await timeEdits(0, 0);
const editSpacedMs = await timeEdits(spacing, 4);

console.log(JSON.stringify({ first_sync_ms: firstSync, edit_ms: editMs, edit_spaced_ms: editSpacedMs }));
for (const c of clients) await c.shutdown();
await server.shutdown();
wss.close();
for (const d of dirs) rmSync(d, { recursive: true, force: true });
process.exit(0);

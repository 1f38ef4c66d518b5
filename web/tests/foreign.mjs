// Edits an area document with the official JavaScript Automerge (@automerge/automerge), as a
// third-party program would, and writes one document per case for the Rust test
// tests/tests/js_automerge.rs to offer kdcd (import, verify, report).
//
// node web/tests/foreign.mjs IN.automerge OUTDIR MEMBER_PEER_ID
//
// MEMBER_PEER_ID is a device on the area's roster: kdcd's actor ids are the peer id's bytes, so
// the JavaScript changes are made under that actor. Writes OUTDIR/<case>.automerge and prints
// the case names, one per line.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as A from "@automerge/automerge";

const [input, outdir, member] = process.argv.slice(2);
if (!input || !outdir || !member) {
  console.error("usage: node foreign.mjs IN.automerge OUTDIR MEMBER_PEER_ID");
  process.exit(2);
}
const base = readFileSync(input);
const memberActor = Buffer.from(member, "utf8").toString("hex");
const S = (s) => new A.ImmutableString(s);

/** One case: a change made by `actor` (hex; null: a random one) with `edit`. */
function write(name, actor, edit) {
  const doc = actor ? A.load(new Uint8Array(base), { actor }) : A.load(new Uint8Array(base));
  const changed = A.change(doc, { time: Math.floor(Date.now() / 1000) }, edit);
  writeFileSync(join(outdir, `${name}.automerge`), A.save(changed));
  console.log(name);
}

// Accepted: what kdcd itself would write. JavaScript numbers are stored as integers when they
// are whole; strings must be ImmutableString (a plain string is collaborative text in
// Automerge 3).
write("good", memberActor, (d) => {
  d["h/T1-001/members"] = 5;
  d["h/T1-001/internet"] = S("yes");
  d["h/T1-001/@at"] = new Date();
  d["h/T1-001/@by"] = S(member);
  d["h/T9-001/@group"] = S("Tổ 9");
  d["h/T9-001/members"] = 2;
  d["h/T9-001/members_14plus"] = 2;
  d["h/T9-001/@at"] = new Date();
  d["h/T9-001/@by"] = S(member);
});

// Refused, each for its own reason.
write("plain-string", memberActor, (d) => {
  d["h/T1-001/internet"] = "yes";
});
write("out-of-range", memberActor, (d) => {
  d["h/T1-001/members"] = 999;
});
write("fraction", memberActor, (d) => {
  d["h/T1-001/members"] = 2.5;
});
write("not-an-answer", memberActor, (d) => {
  d["h/T1-001/internet"] = S("maybe");
});
write("nested-object", memberActor, (d) => {
  d["h/T1-001/eid_accounts"] = { value: 2 };
});
write("list", memberActor, (d) => {
  d["h/T1-001/eid_accounts"] = [2];
});
write("counter", memberActor, (d) => {
  d["h/T1-001/eid_accounts"] = new A.Counter(2);
});
write("root-key", memberActor, (d) => {
  d["evil"] = 1;
});
write("identity", memberActor, (d) => {
  d["meta/id"] = S("khu-khac");
});
write("delete-meta", memberActor, (d) => {
  delete d["meta/name"];
});
// A random actor, as JavaScript Automerge picks by default: never on the roster.
write("stranger", null, (d) => {
  d["h/T1-001/members"] = 3;
});

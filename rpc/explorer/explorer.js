// The Cairn explorer: one page over the node's HTTP/JSON API (POST /cairn.v1.*/*, the
// gRPC services in protobuf's JSON mapping). Views by URL fragment: #/ (head and latest
// blocks), #/block/H, #/tx/HASH, #/account/ADDRESS, #/validators, #/consensus. Proofs
// are checked here, with the browser's SHA-256, by the rules the node and the CLI use
// (crypto/domain.h, crypto/merkle.h, ledger/state_tree.h), against the header the node
// sends; whether the validators committed that header is not checked here, and each
// view says so. Everything from the node goes into the page as text, never as markup:
// names and messages can hold anything.
"use strict";

const LATEST_BLOCKS = 12;
const REFRESH_MS = 1000;

// ---- the API ----

async function api(method, body = {}) {
  const response = await fetch("/" + method, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = await response.json();
  if (!response.ok) throw new Error(`${method}: ${answer.message} (code ${answer.code})`);
  return answer;
}

// ---- bytes ----

const fromBase64 = (s) => Uint8Array.from(atob(s || ""), (c) => c.charCodeAt(0));
const toBase64 = (bytes) => btoa(String.fromCharCode(...bytes));
const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const b64hex = (s) => toHex(fromBase64(s));
function fromHex(hex) {
  if (!/^([0-9a-fA-F]{2})*$/.test(hex)) throw new Error(`'${hex}' is not hex`);
  return Uint8Array.from(hex.match(/../g) || [], (h) => parseInt(h, 16));
}
function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}
const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const u32be = (n) => Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
const utf8 = (s) => new TextEncoder().encode(s);
const sha256 = async (...parts) => new Uint8Array(await crypto.subtle.digest("SHA-256", concat(...parts)));

// "cairn/<tag>/v1" 0x00 || u32be(len(chain_id)) || chain_id || payload
const domainHash = (tag, chainId, payload) =>
  sha256(utf8(`cairn/${tag}/v1`), Uint8Array.of(0), u32be(utf8(chainId).length), utf8(chainId), payload);

// ---- protobuf wire format, for the bytes that travel serialized (headers, bodies) ----

function decodeProto(bytes) {
  const fields = {};
  let at = 0;
  const varint = () => {
    let value = 0n, shift = 0n;
    for (;;) {
      if (at >= bytes.length) throw new Error("truncated protobuf");
      const b = bytes[at++];
      value |= BigInt(b & 127) << shift;
      if (b < 128) return value;
      shift += 7n;
    }
  };
  while (at < bytes.length) {
    const key = varint();
    const number = Number(key >> 3n), wire = Number(key & 7n);
    let value;
    if (wire === 0) value = varint();
    else if (wire === 2) { const n = Number(varint()); value = bytes.subarray(at, at + n); at += n; }
    else if (wire === 1) { value = bytes.subarray(at, at + 8); at += 8; }
    else if (wire === 5) { value = bytes.subarray(at, at + 4); at += 4; }
    else throw new Error(`unknown wire type ${wire}`);
    (fields[number] = fields[number] || []).push(value);
  }
  return fields;
}
const num = (f, n) => (f[n] ? f[n][f[n].length - 1] : 0n).toString();
const byt = (f, n) => (f[n] ? f[n][f[n].length - 1] : new Uint8Array());
const str = (f, n) => new TextDecoder().decode(byt(f, n));
function packed(f, n) {
  const out = [];
  for (const v of f[n] || []) {
    if (typeof v === "bigint") { out.push(Number(v)); continue; }
    let at = 0, value = 0, shift = 0;
    while (at < v.length) {
      const b = v[at++];
      value += (b & 127) * 2 ** shift;
      if (b < 128) { out.push(value); value = 0; shift = 0; } else shift += 7;
    }
  }
  return out;
}

function decodeHeader(b64) {
  const f = decodeProto(fromBase64(b64));
  return {
    height: num(f, 1), round: num(f, 2), epoch: num(f, 3), parentHash: toHex(byt(f, 4)), txRoot: byt(f, 5),
    stateRoot: toHex(byt(f, 6)), receiptsRoot: toHex(byt(f, 7)), proposer: num(f, 8), timestampMs: num(f, 9),
    failedProposers: packed(f, 12), parentSigners: packed(f, 13),
  };
}

const ROLES = ["unspecified", "user", "issuer", "admin"];
function describeBody(b64) {
  const f = decodeProto(fromBase64(b64));
  const op = (n) => (f[n] ? decodeProto(f[n][0]) : null);
  let operation = "unknown";
  if (op(10)) operation = `create account ${toHex(byt(op(10), 1))} as ${ROLES[Number(num(op(10), 2))] || "?"}`;
  else if (op(11)) operation = `transfer ${num(op(11), 3)} ${str(op(11), 2)} to ${toHex(byt(op(11), 1))}`;
  else if (op(12)) operation = `mint ${num(op(12), 3)} ${str(op(12), 2)} to ${toHex(byt(op(12), 1))}`;
  else if (op(13)) operation = "set a role";
  else if (op(14)) operation = "propose a validator-set change";
  else if (op(15)) operation = "vote on a validator-set change";
  else if (op(16)) operation = "rotate a validator key";
  return { chainId: str(f, 1), nonce: num(f, 2), operation };
}

// ---- proofs ----

// RFC 6962: `leaf` is entry `index` of `size` under `root` (crypto/merkle.h).
async function verifyInclusion(leaf, index, size, proof, root) {
  if (index >= size) return false;
  let fn = index, sn = size - 1;
  let r = await sha256(Uint8Array.of(0), leaf);
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(Uint8Array.of(1), p, r);
      while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      r = await sha256(Uint8Array.of(1), r, p);
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(r, root);
}

async function txHash(chainId, tx) {
  const lp = (b) => concat(u32be(b.length), b);
  return domainHash("tx", chainId, concat(lp(fromBase64(tx.publicKey)), lp(fromBase64(tx.signature)), lp(fromBase64(tx.body))));
}

// The committed transaction is in its block: hash, receipt, inclusion, block hash.
async function checkTransaction(answer) {
  const body = describeBody(answer.transaction.body);
  const hash = await txHash(body.chainId, answer.transaction);
  const header = decodeHeader(answer.blockHeader);
  return equal(hash, fromBase64(answer.receipt.txHash)) &&
    await verifyInclusion(hash, answer.receipt.index, answer.blockTxCount, answer.inclusionProof.map(fromBase64), header.txRoot) &&
    equal(await domainHash("block", body.chainId, fromBase64(answer.blockHeader)), fromBase64(answer.blockHash));
}

const bit = (key, depth) => (key[depth >> 3] >> (7 - (depth & 7))) & 1;

// The account (or its absence) under the state root of the header sent with it
// (ledger/state_tree.h: leaf = H(0 || key || value), node = H(1 || left || right)).
async function checkAccount(answer) {
  const p = answer.proof;
  const root = fromBase64(answer.stateRoot);
  if (decodeHeader(answer.blockHeader).stateRoot !== toHex(root)) return false;
  const key = await sha256(fromBase64(p.address));
  const accountBytes = fromBase64(p.account);
  const siblings = p.siblings.map(fromBase64);
  let current = new Uint8Array(32);
  if (accountBytes.length) {
    if (p.otherLeafKey) return false;
    current = await sha256(Uint8Array.of(0), key, await domainHash("account", "", accountBytes));
  } else if (p.otherLeafKey) {
    const other = fromBase64(p.otherLeafKey);
    if (equal(other, key)) return false;
    for (let d = 0; d < siblings.length; d++) if (bit(other, d) !== bit(key, d)) return false;
    current = await sha256(Uint8Array.of(0), other, fromBase64(p.otherLeafValueHash));
  }
  for (let i = 0; i < siblings.length; i++) {
    const depth = siblings.length - 1 - i;
    current = bit(key, depth) ? await sha256(Uint8Array.of(1), siblings[i], current)
                              : await sha256(Uint8Array.of(1), current, siblings[i]);
  }
  return equal(current, root);
}

// ---- the page ----

// el("dd", {field: "height"}, "42"): an element; strings become text nodes.
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "field") node.dataset.field = v;
    else node.setAttribute(k, v);
  }
  for (const c of children.flat()) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}
const link = (href, text) => el("a", { href }, text);
const fields = (rows) => el("dl", {}, rows.flatMap(([label, field, value]) => [el("dt", {}, label), el("dd", { field }, value)]));
const verdict = (ok) => el("span", { class: ok ? "ok" : "bad" }, ok ? "checks" : "FAILS");
// What this page does not check: whether the validators committed the header it checks
// against. It says so beside every value rather than claim it (cairn and the Python
// client verify that: README, "What a wallet trusts").
const NOT_VERIFIED = "not verified in this page: checked only against the header this node sent";
const time = (ms) => new Date(Number(ms)).toISOString();

function table(headers, rows) {
  return el("table", {}, el("tr", {}, headers.map((h) => el("th", {}, h))), rows);
}

let refresh = null;
function show(...content) {
  const app = document.getElementById("app");
  app.replaceChildren(...content);
}

async function viewHome() {
  const status = await api("cairn.v1.Node/GetStatus");
  const head = Number(status.height);
  const blocks = [];
  for (let h = head; h >= 1 && h > head - LATEST_BLOCKS; h--) blocks.push(api("cairn.v1.Ledger/GetBlock", { height: String(h) }));
  const rows = (await Promise.all(blocks)).map((b) => {
    const header = decodeHeader(b.block.header);
    return el("tr", { "data-block-height": b.height },
      el("td", {}, link(`#/block/${b.height}`, b.height)), el("td", {}, b64hex(b.hash)), el("td", {}, header.round),
      el("td", {}, header.proposer), el("td", {}, (b.block.transactions || []).length), el("td", {}, time(header.timestampMs)));
  });
  show(
    el("h1", {}, `Chain ${status.chainId}`),
    el("section", { class: "card" }, fields([
      ["chain", "chain_id", status.chainId], ["height", "height", status.height], ["head", "head_hash", b64hex(status.headHash)],
      ["round", "round", status.round], ["peers", "peers", status.peers], ["pending transactions", "mempool_size", status.mempoolSize],
      ["syncing", "syncing", status.syncing ? "yes" : "no"], ["node", "version", `${status.version} (${status.revision})`],
    ])),
    el("h2", {}, "Latest blocks"),
    table(["height", "hash", "round", "proposer", "txs", "time"], rows),
  );
  refresh = setTimeout(route, REFRESH_MS);  // new blocks as they commit
}

async function viewBlock(height) {
  const b = await api("cairn.v1.Ledger/GetBlock", { height });
  const header = decodeHeader(b.block.header);
  const status = await api("cairn.v1.Node/GetStatus");
  const hashChecks = equal(await domainHash("block", status.chainId, fromBase64(b.block.header)), fromBase64(b.hash));
  const txs = await Promise.all((b.block.transactions || []).map(async (tx, i) => {
    const body = describeBody(tx.body);
    const hash = toHex(await txHash(body.chainId, tx));
    return el("tr", { "data-tx": hash }, el("td", {}, i), el("td", {}, link(`#/tx/${hash}`, hash)), el("td", {}, body.operation));
  }));
  const signers = (b.certificate && b.certificate.signatures || []).map((s) => s.validatorIndex);
  show(
    el("h1", {}, `Block ${b.height}`),
    el("section", { class: "card" }, fields([
      ["height", "height", b.height], ["hash", "hash", b64hex(b.hash)], ["hash of the header", "hash_check", verdict(hashChecks)],
      ["round", "round", header.round], ["epoch", "epoch", header.epoch], ["proposer", "proposer", header.proposer],
      ["time", "timestamp", time(header.timestampMs)], ["parent", "parent_hash", header.parentHash],
      ["transactions root", "tx_root", toHex(header.txRoot)], ["state root", "state_root", header.stateRoot],
      ["transactions", "transactions", txs.length],
      ["certificate", "signers", signers.length ? `signed by validators ${signers.join(", ")}` : "none"],
      ["finality proof", "finality", b.finality ? `certificate of round ${b.finality.round}, ${b.finality.signatures.length} signatures` : "none yet"],
      ["committed by the validators", "verified", NOT_VERIFIED],
    ])),
    el("h2", {}, "Transactions"),
    table(["#", "hash", "operation"], txs),
    el("p", {}, link(`#/block/${Number(b.height) + 1}`, "next block"), " · ", Number(b.height) > 1 ? link(`#/block/${Number(b.height) - 1}`, "previous block") : ""),
  );
}

async function viewTx(hex) {
  const answer = await api("cairn.v1.Transactions/GetTransaction", { txHash: toBase64(fromHex(hex)) });
  if (answer.state !== "COMMITTED") {
    show(el("h1", {}, "Transaction"), el("section", { class: "card" }, fields([["hash", "tx_hash", hex], ["state", "state", answer.state]])));
    if (answer.state === "PENDING") refresh = setTimeout(route, REFRESH_MS);
    return;
  }
  const body = describeBody(answer.transaction.body);
  const r = answer.receipt;
  show(
    el("h1", {}, "Transaction"),
    el("section", { class: "card" }, fields([
      ["hash", "tx_hash", hex], ["state", "state", answer.state], ["operation", "operation", body.operation],
      ["sender key", "sender", b64hex(answer.transaction.publicKey)], ["nonce", "nonce", body.nonce],
      ["block", "height", link(`#/block/${r.height}`, r.height)], ["index in block", "index", r.index],
      ["result", "result", r.result], ["message", "message", r.message || "—"],
      ["block hash", "block_hash", b64hex(answer.blockHash)],
      ["inclusion proof", "inclusion", verdict(await checkTransaction(answer))],
      ["committed by the validators", "verified", NOT_VERIFIED],
    ])),
  );
}

async function viewAccount(hex) {
  const address = fromHex(hex);
  const answer = await api("cairn.v1.Ledger/GetAccount", { address: toBase64(address) });
  const a = answer.account;
  const proven = await checkAccount(answer);
  const history = await api("cairn.v1.Ledger/GetAccountHistory", { address: toBase64(address), limit: 20 });
  show(
    el("h1", {}, "Account"),
    el("section", { class: "card" }, fields([
      ["address", "address", hex], ["exists", "exists", a ? "yes" : "no"], ["role", "role", a ? a.role.replace("ROLE_", "").toLowerCase() : "—"],
      ["nonce", "nonce", a ? a.nonce : "0"], ["at height", "height", answer.height], ["state root", "state_root", b64hex(answer.stateRoot)],
      ["proof", "proof", verdict(proven)],
      ["committed by the validators", "verified", NOT_VERIFIED],
    ])),
    el("h2", {}, "Balances"),
    table(["asset", "amount"], (a ? a.balances : []).map((b) => el("tr", { "data-asset": b.asset }, el("td", {}, b.asset), el("td", {}, b.amount)))),
    el("h2", {}, "History (oldest first)"),
    table(["transaction", "height", "index"], history.entries.map((e) => el("tr", {},
      el("td", {}, link(`#/tx/${b64hex(e.txHash)}`, b64hex(e.txHash))), el("td", {}, link(`#/block/${e.height}`, e.height)), el("td", {}, e.index)))),
  );
}

async function viewValidators() {
  const v = await api("cairn.v1.Node/GetValidators");
  const set = v.validators;
  show(
    el("h1", {}, `Validators of epoch ${set.epoch}`),
    el("section", { class: "card" }, fields([
      ["epoch", "epoch", set.epoch], ["from height", "first_height", v.firstHeight], ["validators", "count", set.validators.length],
      ["quorum", "quorum", v.quorum], ["tolerates", "max_faulty", `${v.maxFaulty} faulty`],
      ["admin approvals needed", "admin_threshold", v.governance.adminThreshold],
    ])),
    table(["#", "name", "public key", "address"], set.validators.map((x, i) => el("tr", { "data-validator": i },
      el("td", {}, i), el("td", { "data-field": "name" }, x.name), el("td", {}, b64hex(x.publicKey)), el("td", {}, x.address)))),
    el("h2", {}, "Open proposals"),
    table(["id", "change", "status", "approvals", "proposed at"], v.openProposals.map((p) => el("tr", { "data-proposal": p.id },
      el("td", {}, p.id), el("td", {}, `${p.change.kind.replace("KIND_", "").toLowerCase()} ${p.change.validator.name}`),
      el("td", {}, p.status.replace("PROPOSAL_", "").toLowerCase()), el("td", {}, p.approvals.length), el("td", {}, p.proposedHeight)))),
  );
}

async function viewConsensus() {
  const c = await api("cairn.v1.Node/GetConsensusState");
  const names = Object.fromEntries(c.standings.map((s) => [s.validator, s.name]));
  const who = (list) => (list.length ? list.map((i) => `${i} ${names[i] || ""}`.trim()).join(", ") : "none");
  show(
    el("h1", {}, `Round ${c.round}`),
    el("section", { class: "card" }, fields([
      ["round", "round", c.round], ["leader", "leader", `${c.leader} ${names[c.leader] || ""}`.trim()],
      ["next leader", "next_leader", c.nextLeader], ["voted", "voted", who(c.voted)], ["timed out", "timed_out", who(c.timedOut)],
      ["quorum", "quorum", c.quorum], ["votes missing", "votes_missing", c.votesMissing], ["committed height", "committed_height", c.committedHeight],
      ["upcoming leaders", "upcoming_leaders", c.upcomingLeaders.join(", ")],
    ])),
    el("h2", {}, "Leader reputation"),
    table(["#", "name", "standing", "failures in window", "last active round"], c.standings.map((s) => el("tr", {},
      el("td", {}, s.validator), el("td", {}, s.name), el("td", {}, s.candidate ? "candidate" : "left out"),
      el("td", {}, s.failures), el("td", {}, s.lastActiveRound)))),
  );
  refresh = setTimeout(route, REFRESH_MS);
}

async function route() {
  clearTimeout(refresh);
  const [, view, arg] = (location.hash || "#/").split("/");
  try {
    if (view === "block") await viewBlock(arg);
    else if (view === "tx") await viewTx(arg);
    else if (view === "account") await viewAccount(arg);
    else if (view === "validators") await viewValidators();
    else if (view === "consensus") await viewConsensus();
    else await viewHome();
    document.body.dataset.loaded = location.hash || "#/";
  } catch (error) {
    show(el("p", { class: "error", "data-field": "error" }, String(error.message || error)));
    document.body.dataset.loaded = "error";
  }
}

document.getElementById("search").addEventListener("submit", (event) => {
  event.preventDefault();
  const q = event.target.q.value.trim().toLowerCase();
  if (/^\d+$/.test(q)) location.hash = `#/block/${q}`;
  else if (/^[0-9a-f]{40}$/.test(q)) location.hash = `#/account/${q}`;
  else if (/^[0-9a-f]{64}$/.test(q)) location.hash = `#/tx/${q}`;
});
window.addEventListener("hashchange", route);
route();

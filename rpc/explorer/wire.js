// The node's API and its bytes, as the explorer's checks need them: calls in JSON (what
// the page only shows) or in protobuf (what it verifies: the gateway's
// application/x-protobuf, so that it hashes exactly the bytes the validators signed,
// never a re-encoding of JSON), the node's domain-separated hashes (crypto/domain.h),
// Merkle roots and inclusion proofs (crypto/merkle.h), and a protobuf reader.
"use strict";

// ---- the API: POST /cairn.v1.<Service>/<Method> ----

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

// `request`: the request message's bytes; the answer's bytes. Errors come as JSON.
async function apiBytes(method, request) {
  const response = await fetch("/" + method, {
    method: "POST",
    headers: { "Content-Type": "application/x-protobuf" },
    body: request,
  });
  if (!response.ok) {
    const answer = await response.json();
    throw new Error(`${method}: ${answer.message} (code ${answer.code})`);
  }
  return new Uint8Array(await response.arrayBuffer());
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
function u64be(n) {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}
const utf8 = (s) => new TextEncoder().encode(s);
const sha256 = async (...parts) => new Uint8Array(await crypto.subtle.digest("SHA-256", concat(...parts)));

// "cairn/<tag>/v1" 0x00 || u32be(len(chain_id)) || chain_id: what every signed or
// hashed payload starts with.
const domainPrefix = (tag, chainId) => concat(utf8(`cairn/${tag}/v1`), Uint8Array.of(0), u32be(utf8(chainId).length), utf8(chainId));
const domainHash = (tag, chainId, payload) => sha256(domainPrefix(tag, chainId), payload);

// ---- Merkle trees (RFC 6962 hashing: leaf = H(0 || x), node = H(1 || l || r)) ----

async function merkleRoot(leaves) {
  if (!leaves.length) return sha256(new Uint8Array());
  let level = await Promise.all(leaves.map((leaf) => sha256(Uint8Array.of(0), leaf)));
  while (level.length > 1) {
    const next = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? await sha256(Uint8Array.of(1), level[i], level[i + 1]) : level[i]);
    level = next;
  }
  return level[0];
}

// `leaf` is entry `index` of `size` under `root`.
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

// ---- protobuf wire format ----

// A message's fields by number, each a list of its values in order: BigInt for varints,
// the bytes for the rest (a nested message stays bytes until read as one).
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
  const take = (n) => {
    if (at + n > bytes.length) throw new Error("truncated protobuf");
    const value = bytes.subarray(at, at + n);
    at += n;
    return value;
  };
  while (at < bytes.length) {
    const key = varint();
    const number = Number(key >> 3n), wire = Number(key & 7n);
    let value;
    if (wire === 0) value = varint();
    else if (wire === 2) value = take(Number(varint()));
    else if (wire === 1) value = take(8);
    else if (wire === 5) value = take(4);
    else throw new Error(`unknown wire type ${wire}`);
    (fields[number] = fields[number] || []).push(value);
  }
  return fields;
}
// Singular fields: the last value wins, as in protobuf; absent ones are their zero.
const num = (f, n) => (f[n] ? f[n][f[n].length - 1] : 0n).toString();
const byt = (f, n) => (f[n] ? f[n][f[n].length - 1] : new Uint8Array());
const str = (f, n) => new TextDecoder().decode(byt(f, n));
const msg = (f, n) => decodeProto(byt(f, n));
const all = (f, n) => f[n] || [];
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

// Writing: only requests, which are a field or two.
function varintBytes(n) {
  const out = [];
  let v = BigInt(n);
  do { let b = Number(v & 127n); v >>= 7n; if (v > 0n) b |= 128; out.push(b); } while (v > 0n);
  return Uint8Array.from(out);
}
const encodeVarint = (number, value) => concat(varintBytes(number << 3), varintBytes(value));
const encodeBytes = (number, bytes) => concat(varintBytes((number << 3) | 2), varintBytes(bytes.length), bytes);
const encodeString = (number, text) => encodeBytes(number, new TextEncoder().encode(text));

// ---- the node's messages ----

function decodeHeader(bytes) {
  const f = decodeProto(bytes);
  return {
    height: num(f, 1), round: num(f, 2), epoch: num(f, 3), parentHash: byt(f, 4), txRoot: byt(f, 5),
    stateRoot: byt(f, 6), receiptsRoot: byt(f, 7), proposer: num(f, 8), timestampMs: num(f, 9),
    governanceHash: byt(f, 10), evidenceRoot: byt(f, 11), failedProposers: packed(f, 12), parentSigners: packed(f, 13),
  };
}

function decodeQc(bytes) {
  const f = decodeProto(bytes);
  return {
    present: bytes.length > 0, epoch: num(f, 1), round: num(f, 2), height: num(f, 3), blockHash: byt(f, 4), commitHash: byt(f, 5),
    signatures: all(f, 6).map((s) => { const g = decodeProto(s); return { validator: Number(num(g, 1)), signature: byt(g, 2) }; }),
  };
}

const decodeCommitProof = (bytes) => { const f = decodeProto(bytes); return { descendants: all(f, 1), finality: decodeQc(byt(f, 2)) }; };

// Transaction: one signer (fields 2, 3) or several (4: TxSignature public_key, signature).
function decodeTransaction(bytes) {
  const f = decodeProto(bytes);
  const signatures = all(f, 4).map((s) => { const g = decodeProto(s); return { publicKey: byt(g, 1), signature: byt(g, 2) }; });
  return { body: byt(f, 1), publicKey: byt(f, 2), signature: byt(f, 3), signatures };
}

// GovernanceState: the set it names (ValidatorSet.validators: name, public_key, address).
function decodeGovernance(bytes) {
  const f = decodeProto(bytes);
  const set = msg(f, 2);
  return {
    epoch: num(f, 1),
    validators: all(set, 2).map((v) => { const g = decodeProto(v); return { name: str(g, 1), publicKey: byt(g, 2), address: str(g, 3) }; }),
  };
}

const ROLES = ["unspecified", "user", "issuer", "admin"];
function decodeAccount(bytes) {
  const f = decodeProto(bytes);
  return {
    address: byt(f, 1), publicKey: byt(f, 2), role: ROLES[Number(num(f, 3))] || `role ${num(f, 3)}`, nonce: num(f, 4),
    balances: all(f, 5).map((b) => { const g = decodeProto(b); return { asset: str(g, 1), amount: num(g, 2) }; }),
  };
}

// AssetDefinition (state.proto).
function decodeAsset(bytes) {
  const f = decodeProto(bytes);
  return {
    name: str(f, 1), precision: Number(num(f, 2)), issuers: all(f, 3), supplyCap: num(f, 4),
    frozen: Number(num(f, 5)) === 1, supply: num(f, 6), owner: byt(f, 7),
  };
}

const TX_RESULTS = ["TX_RESULT_UNSPECIFIED", "TX_OK", "TX_INSUFFICIENT_FUNDS", "TX_PERMISSION_DENIED", "TX_UNKNOWN_ACCOUNT",
  "TX_ACCOUNT_EXISTS", "TX_OVERFLOW", "TX_INVALID_GOVERNANCE", "TX_UNKNOWN_ASSET", "TX_ASSET_EXISTS", "TX_ASSET_FROZEN",
  "TX_SUPPLY_CAP", "TX_LIMIT", "TX_INVALID_OPERATION"];
function decodeReceipt(bytes) {
  const f = decodeProto(bytes);
  const result = Number(num(f, 4));
  return { txHash: byt(f, 1), height: num(f, 2), index: Number(num(f, 3)), result: TX_RESULTS[result] || `result ${result}`, message: str(f, 5) };
}

function describeBody(bytes) {
  const f = decodeProto(bytes);
  const op = (n) => (f[n] ? decodeProto(f[n][0]) : null);
  let operation = "unknown";
  if (op(10)) operation = `create account ${toHex(byt(op(10), 1))} as ${ROLES[Number(num(op(10), 2))] || "?"}`;
  else if (op(11)) operation = `transfer ${num(op(11), 3)} ${str(op(11), 2)} to ${toHex(byt(op(11), 1))}`;
  else if (op(12)) operation = `mint ${num(op(12), 3)} ${str(op(12), 2)} to ${toHex(byt(op(12), 1))}`;
  else if (op(13)) operation = "set a role";
  else if (op(14)) operation = "propose a validator-set change";
  else if (op(15)) operation = "vote on a validator-set change";
  else if (op(16)) operation = "rotate a validator key";
  else if (f[6]) operation = describeOperations(all(f, 6));
  return { chainId: str(f, 1), nonce: num(f, 2), sender: byt(f, 3), memo: str(f, 5), operation };
}

// TxBody.operations: each Operation's kind (its field number, transaction.proto).
const OPERATION_KINDS = { 10: "create account", 11: "transfer", 12: "mint", 13: "set role", 20: "register asset",
  21: "burn", 22: "freeze or thaw", 23: "add signatory", 24: "remove signatory", 25: "set quorum", 26: "record",
  27: "grant", 28: "revoke" };
function describeOperations(operations) {
  return operations.map((bytes) => {
    const g = decodeProto(bytes);
    const kind = Object.keys(OPERATION_KINDS).find((n) => g[n]);
    const by = byt(g, 1).length ? ` by ${toHex(byt(g, 1))}` : "";
    if (kind === "11") { const t = decodeProto(g[11][0]); return `transfer ${num(t, 3)} ${str(t, 2)} to ${toHex(byt(t, 1))}${by}`; }
    return (OPERATION_KINDS[kind] || "unknown") + by;
  }).join("; ");
}

// crypto::TxHash: over the length-prefixed key, signature and body; with several
// signers, crypto::MultiSignedTxHash: two empty fields, the body, the count, then each
// key and signature.
function txHash(chainId, tx) {
  const lp = (b) => concat(u32be(b.length), b);
  if (!tx.signatures || tx.signatures.length === 0) {
    return domainHash("tx", chainId, concat(lp(tx.publicKey), lp(tx.signature), lp(tx.body)));
  }
  const empty = new Uint8Array(0);
  const parts = [lp(empty), lp(empty), lp(tx.body), u32be(tx.signatures.length)];
  for (const s of tx.signatures) parts.push(lp(s.publicKey), lp(s.signature));
  return domainHash("tx", chainId, concat(...parts));
}

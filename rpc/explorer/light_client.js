// The explorer's light client: the checks of node/light_client.h, in the browser, with
// WebCrypto's SHA-256 and Ed25519. It trusts one checkpoint the user gives (HEIGHT:HASH,
// as `cairn epochs` lists them; 0:HASH is the genesis block) and proves the rest from
// the node's answers: each set change by a certificate of the set before it, a header
// by a certificate of its epoch's set that names it (or a later block of its epoch
// whose headers chain back to it) committed, then the transaction or account under
// that header. A check that fails throws a Refusal naming it.
//
// What it cannot do: make the page itself trustworthy. The page's script comes from the
// node it reads, so these checks guard against wrong answers (a proxy that rewrites
// them, a damaged or lagging store), not against a node that serves a lying script:
// against such a node, use cairn or the Python client (README, "What a wallet trusts").
"use strict";

class Refusal extends Error {}
const refuse = (what) => { throw new Refusal(what); };

// The most headers a commit proof may carry (ledger::kMaxCommitProofHeaders).
const MAX_COMMIT_PROOF_HEADERS = 64;
// The state tree's depth: its keys are SHA-256 hashes (ledger::kMaxDepth).
const MAX_TREE_DEPTH = 256;
// An account answer older than this is refused as stale (the CLI's --max-age default).
const MAX_ACCOUNT_AGE_MS = 300 * 1000;

const quorumOf = (n) => n - Math.floor((n - 1) / 3);
const blockHash = (chainId, headerBytes) => domainHash("block", chainId, headerBytes);

// crypto::VoteStatement's payload: what each signature of a certificate covers.
const votePayload = (qc) => concat(u64be(qc.epoch), u64be(qc.round), u64be(qc.height), qc.blockHash,
  Uint8Array.of(qc.commitHash.length ? 1 : 0), qc.commitHash);

async function verifyEd25519(publicKey, message, signature) {
  try {
    const key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
    return await crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
  } catch (error) {
    return false;  // a malformed key or signature verifies nothing
  }
}

// consensus::VerifyQc and crypto::VerifyQuorum: a quorum of `epoch`'s set signed `qc`,
// each signer once, in index order.
async function verifyCertificate(chainId, epoch, qc) {
  const n = epoch.validators.length, quorum = quorumOf(n);
  if (!qc.present || qc.epoch !== String(epoch.epoch)) refuse(`the certificate is not of epoch ${epoch.epoch}`);
  if (qc.blockHash.length !== 32 || (qc.commitHash.length && qc.commitHash.length !== 32)) refuse("certificate hashes must be 32 bytes");
  if (qc.round === "0") refuse("a certificate of round 0 (an epoch's start) proves nothing final");
  if (qc.signatures.length < quorum) refuse(`the certificate has ${qc.signatures.length} signatures, a quorum of ${n} validators needs ${quorum}`);
  if (qc.signatures.length > n) refuse("the certificate has more signatures than validators");
  const message = concat(domainPrefix("vote", chainId), votePayload(qc));
  let previous = -1;
  for (const s of qc.signatures) {
    if (s.validator >= n || s.validator <= previous) refuse(`the certificate's signers are unknown, repeated or out of order at ${s.validator}`);
    previous = s.validator;
    if (!await verifyEd25519(epoch.validators[s.validator].publicKey, message, s.signature)) {
      refuse(`certificate signature of validator ${s.validator} is invalid`);
    }
  }
}

// An EpochChangesResponse's changes (p2p.proto EpochChangeProof): the header, the
// certificate that proves it final, and the governance state's bytes as sent, which
// are what the header's governance_hash covers.
async function epochChanges(fromEpoch) {
  const f = decodeProto(await apiBytes("cairn.v1.Ledger/GetEpochChanges", encodeVarint(1, fromEpoch)));
  return {
    currentEpoch: Number(num(f, 3)), error: str(f, 4),
    changes: all(f, 2).map((c) => { const g = decodeProto(c); return { header: byt(g, 1), finality: decodeQc(byt(g, 2)), governance: byt(g, 3) }; }),
  };
}

// A proven epoch: its number, set, and root block (the last block of the epoch before).
async function epochFrom(chainId, change, rootHash) {
  const header = decodeHeader(change.header);
  if (!equal(header.governanceHash, await domainHash("governance", chainId, change.governance))) {
    refuse(`the governance state given with block ${header.height} is not the one its header commits to`);
  }
  const governance = decodeGovernance(change.governance);
  return { epoch: Number(governance.epoch), validators: governance.validators, rootHeight: Number(header.height), rootHash: toHex(rootHash) };
}

class LightClient {
  // `checkpoint` is "HEIGHT:HASH", the root of an epoch: the genesis block (height 0) or
  // the last block of an epoch. Its set comes from the change the node gives for it,
  // whose header must hash to HASH.
  static async fromCheckpoint(chainId, checkpoint) {
    const match = /^(\d+):([0-9a-fA-F]{64})$/.exec(checkpoint.trim());
    if (!match) refuse(`'${checkpoint}' is not a checkpoint HEIGHT:HASH (cairn epochs lists them)`);
    const height = Number(match[1]), hash = fromHex(match[2].toLowerCase());
    // Which epoch it starts: 0 for genesis, else one after its own block's epoch.
    const epoch = height === 0 ? 0 : Number(decodeHeader(decodeBlockAnswer(await apiBytes("cairn.v1.Ledger/GetBlock", encodeVarint(1, height))).header).epoch) + 1;
    const page = await epochChanges(epoch);
    const change = page.changes[0];
    const what = `checkpoint ${height}:${toHex(hash)}`;
    if (!change || !equal(await blockHash(chainId, change.header), hash) || decodeHeader(change.header).height !== String(height)) {
      refuse(`${what} is not the root of an epoch of chain ${chainId} (a checkpoint names the genesis block or the last block of an epoch: cairn epochs lists them)`);
    }
    // The epoch it starts, from its own (now hash-checked) header: 0 for genesis, else
    // the one after the block's.
    if (height > 0 && Number(decodeHeader(change.header).epoch) + 1 !== epoch) {
      refuse(`${what} is not the last block of an epoch (cairn epochs lists the checkpoints)`);
    }
    const proven = await epochFrom(chainId, change, hash);
    if (proven.epoch !== epoch) refuse(`${what}: the governance state given with it does not start epoch ${epoch}`);
    return new LightClient(chainId, `${height}:${toHex(hash)}`, [proven]);
  }

  constructor(chainId, checkpoint, epochs) {
    this.chainId = chainId;
    this.checkpoint = checkpoint;
    this.epochs = epochs;  // proven, in order, from the checkpoint's
    this.onProven = () => {};  // called with each epoch proven, to keep it
  }

  get firstEpoch() { return this.epochs[0].epoch; }
  get latestEpoch() { return this.epochs[this.epochs.length - 1].epoch; }

  // Proves epochs up to `target`, each change by the set before it (node/epoch_chain.h).
  async proveEpoch(target) {
    while (this.latestEpoch < target) {
      const next = this.latestEpoch + 1;
      const page = await epochChanges(next);
      if (!page.changes.length) refuse(`cannot prove epoch ${target}: the node gives no change to epoch ${next}${page.error ? ` (${page.error})` : ""}`);
      for (const change of page.changes) {
        await this.proveChange(change);
        if (this.latestEpoch >= target) break;
      }
    }
  }

  async proveChange(change) {
    const before = this.epochs[this.epochs.length - 1];
    const next = before.epoch + 1;
    const header = decodeHeader(change.header);
    const hash = await blockHash(this.chainId, change.header);
    const fail = (what) => refuse(`the change to epoch ${next}: ${what}`);
    if (header.epoch !== String(before.epoch)) fail(`the block is not of epoch ${before.epoch}`);
    if (Number(header.height) <= before.rootHeight) fail("the block is not above the epoch's root");
    if (change.finality.epoch !== String(before.epoch) || !equal(change.finality.commitHash, hash)) fail("the certificate does not prove that block final");
    try {
      await verifyCertificate(this.chainId, before, change.finality);
    } catch (error) {
      fail(`the certificate: ${error.message}`);
    }
    const proven = await epochFrom(this.chainId, change, hash);
    if (proven.epoch !== next) fail("the governance state does not start it");
    this.epochs.push(proven);
    this.onProven();
  }

  // `headerBytes` committed, by `proof` (a CommitProof) and its epoch's proven set.
  async verifyCommitted(headerBytes, proof) {
    const header = decodeHeader(headerBytes);
    const hash = await blockHash(this.chainId, headerBytes);
    const height = Number(header.height), epochNumber = Number(header.epoch);
    const what = `block ${height}`;
    const [rootHeight, rootHash] = this.checkpoint.split(":");
    if (height === Number(rootHeight) && toHex(hash) === rootHash) return { header, hash, root: true };
    if (epochNumber < this.firstEpoch) refuse(`epoch ${epochNumber} is before this page's checkpoint (${this.checkpoint}): it cannot prove it`);
    await this.proveEpoch(epochNumber);
    const epoch = this.epochs[epochNumber - this.firstEpoch];
    if (height <= epoch.rootHeight) refuse(`${what} is not above the root of its epoch ${epochNumber} (block ${epoch.rootHeight})`);
    if (epochNumber < this.latestEpoch) {
      const next = this.epochs[epochNumber + 1 - this.firstEpoch];
      if (height > next.rootHeight || (height === next.rootHeight && toHex(hash) !== next.rootHash)) {
        refuse(`${what} is not a block of epoch ${epochNumber}, which ended at block ${next.rootHeight}`);
      }
    }
    if (proof.descendants.length > MAX_COMMIT_PROOF_HEADERS) refuse(`${what}: the commit proof carries more than ${MAX_COMMIT_PROOF_HEADERS} headers`);
    let named = hash, namedHeight = height;
    for (const bytes of proof.descendants) {
      const next = decodeHeader(bytes);
      if (Number(next.height) !== namedHeight + 1 || !equal(next.parentHash, named) || next.epoch !== header.epoch) {
        refuse(`${what}: the headers of its commit proof are not a chain of its epoch after it`);
      }
      named = await blockHash(this.chainId, bytes);
      namedHeight += 1;
    }
    if (proof.finality.epoch !== header.epoch || !equal(proof.finality.commitHash, named)) {
      refuse(`${what} is not proven committed: the certificate given does not name it (or a block after it) committed in epoch ${epochNumber}`);
    }
    try {
      await verifyCertificate(this.chainId, epoch, proof.finality);
    } catch (error) {
      refuse(`${what}: its commit certificate: ${error.message}`);
    }
    return { header, hash, signers: proof.finality.signatures.length, setSize: epoch.validators.length, epoch: epochNumber };
  }

  // A GetBlock answer (decodeBlockAnswer): its header committed, its hash the answer's,
  // its body the one the header commits to.
  async verifyBlock(answer) {
    const verified = await this.verifyCommitted(answer.header, answer.commitProof);
    await checkBlockBody(this.chainId, answer);
    return verified;
  }

  // A committed GetTransaction answer: its block committed, and its proofs under it.
  async verifyTransaction(answer) {
    if (answer.state !== "COMMITTED") refuse("the transaction is not committed");
    const verified = await this.verifyCommitted(answer.header, answer.commitProof);
    await checkTransactionProofs(this.chainId, answer);
    return verified;
  }

  // A GetAccount answer for `address`: its block committed and fresh (of the newest
  // epoch the node names and this page can prove, at most MAX_ACCOUNT_AGE_MS old), and
  // the account (or its absence) under its state root.
  async verifyAccount(answer, address, nowMs) {
    const verified = await this.verifyState(answer, nowMs);
    await checkAccountProof(answer, address);
    return verified;
  }

  // A GetAsset answer for the asset `name`, the same way.
  async verifyAsset(answer, name, nowMs) {
    const verified = await this.verifyState(answer, nowMs);
    await checkAssetProof(answer, name);
    return verified;
  }

  // A state answer's block committed and fresh.
  async verifyState(answer, nowMs) {
    const verified = await this.verifyCommitted(answer.header, answer.commitProof);
    const header = verified.header;
    if (header.height !== answer.height) refuse("the answer's height is not its header's");
    await this.proveEpoch((await epochChanges(this.latestEpoch + 1)).currentEpoch);
    if (Number(header.epoch) < this.latestEpoch) {
      refuse(`the answer is the state after block ${header.height} of epoch ${header.epoch}, but epoch ${this.latestEpoch} has begun since (proven): the node serves an old state`);
    }
    const age = nowMs - Number(header.timestampMs);
    if (age > MAX_ACCOUNT_AGE_MS) refuse(`the answer is the state after block ${header.height}, made ${Math.floor(age / 1000)} s ago: the node is behind or serves an old state`);
    return verified;
  }
}

// ---- the proofs under a header (node/read_proofs.h); whether the validators
// committed that header is the light client's check ----

// A block answer's hash is its header's, and its transactions and evidence are the ones
// the header commits to.
async function checkBlockBody(chainId, answer) {
  const header = decodeHeader(answer.header);
  if (!equal(await blockHash(chainId, answer.header), answer.hash) || answer.height !== header.height) {
    refuse("the answer's block hash or height is not its header's");
  }
  const txRoot = await merkleRoot(await Promise.all(answer.transactions.map((tx) => txHash(chainId, tx))));
  if (!equal(txRoot, header.txRoot)) refuse(`block ${header.height}: its transactions are not the ones its header commits to`);
  // (The genesis header has no evidence root: it holds no evidence.)
  if (header.height !== "0" || answer.evidence.length || header.evidenceRoot.length) {
    const evidenceRoot = await merkleRoot(await Promise.all(answer.evidence.map((e) => domainHash("evidence", chainId, e))));
    if (!equal(evidenceRoot, header.evidenceRoot)) refuse(`block ${header.height}: its evidence is not the one its header commits to`);
  }
}

// A committed transaction is at its receipt's index under the header's transactions
// root, and its receipt (its result) at the same index under the receipts root.
async function checkTransactionProofs(chainId, answer) {
  const header = decodeHeader(answer.header);
  if (!equal(await blockHash(chainId, answer.header), answer.blockHash) || answer.receipt.height !== header.height) {
    refuse("the answer's block hash or height is not its header's");
  }
  const hash = await txHash(chainId, answer.transaction);
  if (!equal(hash, answer.receipt.txHash)) refuse("the receipt is for another transaction");
  if (!await verifyInclusion(hash, answer.receipt.index, answer.blockTxCount, answer.inclusionProof, header.txRoot)) {
    refuse("the inclusion proof does not lead to the header's transactions root");
  }
  const receiptHash = await domainHash("receipt", chainId, answer.receiptBytes);
  if (!await verifyInclusion(receiptHash, answer.receipt.index, answer.blockTxCount, answer.receiptProof, header.receiptsRoot)) {
    refuse("the receipt proof does not lead to the header's receipts root: the result is not proven");
  }
}

// The account at `address` (or its absence) under the header's state root.
async function checkAccountProof(answer, address) {
  if (!equal(answer.proof.address, address)) refuse("the proof is for another address");
  await checkStateProof(answer, await sha256(address), answer.proof.account, "account");
}

// The asset definition `name` (or its absence) under the header's state root; its key
// is the one of that name (ledger/state_entries.h), so no other entry can pass for it.
async function checkAssetProof(answer, name) {
  const key = await domainHash("asset", "", new TextEncoder().encode(name));
  if (!equal(answer.proof.key, key)) refuse("the proof is about another entry than the asset asked for");
  await checkStateProof(answer, key, answer.proof.value, "asset");
}

// The leaf under `key` holding `value` (empty: nothing) under the header's state root
// (ledger/state_tree.h: leaf = H(0 || key || value hash), node = H(1 || left || right)).
async function checkStateProof(answer, key, value, what) {
  const p = answer.proof;
  if (!equal(decodeHeader(answer.header).stateRoot, answer.stateRoot)) refuse("the state root is not the block header's");
  // Every hash is 32 bytes (ledger/state_tree.h): a longer "key" glued to a shorter value
  // hash could otherwise hash to the entry's own leaf and pass as another key's.
  if (p.siblings.length > MAX_TREE_DEPTH || p.siblings.some((s) => s.length !== 32)) refuse("the proof's siblings are malformed");
  if (p.otherLeafKey.length && (p.otherLeafKey.length !== 32 || p.otherLeafValueHash.length !== 32)) {
    refuse("the proof's other leaf is malformed");
  }
  const bit = (k, depth) => (k[depth >> 3] >> (7 - (depth & 7))) & 1;
  let current = new Uint8Array(32);
  if (value.length) {
    if (p.otherLeafKey.length) refuse(`the proof shows both the ${what} and another leaf`);
    current = await sha256(Uint8Array.of(0), key, await domainHash("account", "", value));
  } else if (p.otherLeafKey.length) {
    if (equal(p.otherLeafKey, key)) refuse(`the proof's other leaf is the ${what}'s own`);
    for (let d = 0; d < p.siblings.length; d++) if (bit(p.otherLeafKey, d) !== bit(key, d)) refuse(`the proof's other leaf is not on the ${what}'s path`);
    current = await sha256(Uint8Array.of(0), p.otherLeafKey, p.otherLeafValueHash);
  }
  for (let i = 0; i < p.siblings.length; i++) {
    const depth = p.siblings.length - 1 - i;
    current = bit(key, depth) ? await sha256(Uint8Array.of(1), p.siblings[i], current) : await sha256(Uint8Array.of(1), current, p.siblings[i]);
  }
  if (!equal(current, answer.stateRoot)) refuse(`the ${what} proof does not lead to the state root`);
}

// ---- the answers, as protobuf bytes (api.proto) ----

function decodeBlockAnswer(bytes) {
  const f = decodeProto(bytes);
  const block = msg(f, 1);
  return {
    header: byt(block, 1), parentQc: decodeQc(byt(block, 2)), transactions: all(block, 3).map(decodeTransaction), evidence: all(block, 4),
    hash: byt(f, 2), height: num(f, 3), certificate: decodeQc(byt(f, 4)), finality: decodeQc(byt(f, 5)), commitProof: decodeCommitProof(byt(f, 6)),
  };
}

const TX_STATES = ["STATE_UNSPECIFIED", "UNKNOWN", "PENDING", "COMMITTED"];
function decodeTransactionAnswer(bytes) {
  const f = decodeProto(bytes);
  return {
    state: TX_STATES[Number(num(f, 1))] || "?", transaction: decodeTransaction(byt(f, 2)), receiptBytes: byt(f, 3), receipt: decodeReceipt(byt(f, 3)),
    header: byt(f, 4), blockHash: byt(f, 5), blockTxCount: Number(num(f, 6)), inclusionProof: all(f, 7),
    commitProof: decodeCommitProof(byt(f, 8)), receiptProof: all(f, 9),
  };
}

// GetAssetResponse: the definition's bytes are the proof's value (StateEntryProof).
function decodeAssetAnswer(bytes) {
  const f = decodeProto(bytes);
  const p = msg(f, 4);
  return {
    height: num(f, 2), stateRoot: byt(f, 3), header: byt(f, 5), commitProof: decodeCommitProof(byt(f, 6)),
    proof: { key: byt(p, 1), value: byt(p, 2), siblings: all(p, 3), otherLeafKey: byt(p, 4), otherLeafValueHash: byt(p, 5) },
  };
}

function decodeAccountAnswer(bytes) {
  const f = decodeProto(bytes);
  const p = msg(f, 4);
  return {
    height: num(f, 2), stateRoot: byt(f, 3), header: byt(f, 5), commitProof: decodeCommitProof(byt(f, 6)),
    proof: { address: byt(p, 1), account: byt(p, 2), siblings: all(p, 3), otherLeafKey: byt(p, 4), otherLeafValueHash: byt(p, 5) },
  };
}

// ---- the trust root and what has been proven from it ----

// The checkpoint the page trusts for `chainId`: ?trust=HEIGHT:HASH in the address (a
// link can carry it), else the one saved in this browser from the Trust view. Every
// verified mark names it whole, and where it came from: a link can carry any root.
function trustRootFor(chainId) {
  const linked = new URLSearchParams(location.search).get("trust");
  return linked || localStorage.getItem(`cairn-trust-root/${chainId}`);
}
const trustRootSource = () => (new URLSearchParams(location.search).get("trust") ? "given in this page's address" : "saved in this browser");
const saveTrustRoot = (chainId, checkpoint) => localStorage.setItem(`cairn-trust-root/${chainId}`, checkpoint);

// The light client for the chain, or null when no checkpoint is given. What it has
// proven is kept in this browser per chain and checkpoint, so the next read costs one
// certificate check.
async function lightClientFor(chainId) {
  const checkpoint = trustRootFor(chainId);
  if (!checkpoint) return null;
  const key = `cairn-trust-store/${chainId}/${checkpoint.trim().toLowerCase()}`;
  let client = null;
  try {
    const saved = JSON.parse(localStorage.getItem(key) || "null");
    if (saved) client = new LightClient(chainId, saved.checkpoint, saved.epochs.map((e) => ({ ...e, validators: e.validators.map((v) => ({ ...v, publicKey: fromHex(v.publicKey) })) })));
  } catch (error) {
    client = null;  // a damaged store is proven again from the checkpoint
  }
  client = client || await LightClient.fromCheckpoint(chainId, checkpoint);
  client.onProven = () => localStorage.setItem(key, JSON.stringify({
    checkpoint: client.checkpoint,
    epochs: client.epochs.map((e) => ({ ...e, validators: e.validators.map((v) => ({ ...v, publicKey: toHex(v.publicKey) })) })),
  }));
  client.onProven();
  return client;
}

// The Cairn explorer: one page over the node's HTTP API (POST /cairn.v1.*/*, the gRPC
// services in protobuf's JSON mapping, or as protobuf bytes). Views by URL fragment:
// #/ (head and latest blocks), #/block/H, #/tx/HASH, #/account/ADDRESS, #/asset/NAME,
// #/validators, #/consensus, #/trust. A block, a transaction, an account or an asset is
// checked here, in the browser, by the light client (light_client.js): its proofs under
// its block's header, and, given a checkpoint to trust, that the validators committed
// that header. Each view says which of the two it checked and never claims more.
// Everything from the node goes into the page as text, never as markup: names and
// messages can hold anything.
"use strict";

const LATEST_BLOCKS = 12;
const REFRESH_MS = 1000;

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
const time = (ms) => new Date(Number(ms)).toISOString();

function table(headers, rows) {
  return el("table", {}, el("tr", {}, headers.map((h) => el("th", {}, h))), rows);
}

// A check's outcome: "checks", or "FAILS: why".
async function proofVerdict(check) {
  try {
    await check();
    return el("span", { class: "ok" }, "checks");
  } catch (error) {
    return el("span", { class: "bad" }, `FAILS: ${error.message}`);
  }
}

// Whether the validators committed what the view shows, as far as this page proved it.
async function commitVerdict(trust, check) {
  if (trust.error) return el("span", { class: "bad" }, `FAILS: the trust root: ${trust.error}`);
  if (!trust.client) {
    return el("span", { class: "warn" }, `not verified: no checkpoint to trust for chain ${trust.chainId} (give one in Trust); ` +
      "the proofs above are checked only against the header this node sent");
  }
  try {
    const v = await check(trust.client);
    const root = `trusting checkpoint ${trust.client.checkpoint}, ${trustRootSource()}`;
    if (v.root) return el("span", { class: "ok" }, `verified in this page: block ${v.header.height} is the checkpoint trusted (${root})`);
    return el("span", { class: "ok" },
      `verified in this page: block ${v.header.height} of epoch ${v.epoch} committed, ${v.signers} of ${v.setSize} validators signed (${root})`);
  } catch (error) {
    return el("span", { class: "bad" }, `FAILS: ${error.message}`);
  }
}

// The chain's light client, if the page has a checkpoint for it.
async function trusted() {
  const status = await api("cairn.v1.Node/GetStatus");
  try {
    return { chainId: status.chainId, status, client: await lightClientFor(status.chainId) };
  } catch (error) {
    return { chainId: status.chainId, status, error: error.message };
  }
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
    const header = decodeHeader(fromBase64(b.block.header));
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
    el("p", {}, "As this node reports them; each block's page verifies it."),
    table(["height", "hash", "round", "proposer", "txs", "time"], rows),
  );
  refresh = setTimeout(route, REFRESH_MS);  // new blocks as they commit
}

async function viewBlock(height) {
  const trust = await trusted();
  const b = decodeBlockAnswer(await apiBytes("cairn.v1.Ledger/GetBlock", encodeVarint(1, height)));
  const header = decodeHeader(b.header);
  // The block asked for: a block of another height in its place fails, however well it checks.
  const asked = () => { if (header.height !== String(BigInt(height))) refuse(`the node answered with block ${header.height}, not ${height}`); };
  const txs = await Promise.all(b.transactions.map(async (tx, i) => {
    const body = describeBody(tx.body);
    const hash = toHex(await txHash(trust.chainId, tx));
    return el("tr", { "data-tx": hash }, el("td", {}, i), el("td", {}, link(`#/tx/${hash}`, hash)), el("td", {}, body.operation));
  }));
  const signers = b.certificate.signatures.map((s) => s.validator);
  show(
    el("h1", {}, `Block ${b.height}`),
    el("section", { class: "card" }, fields([
      ["height", "height", b.height], ["hash", "hash", toHex(b.hash)],
      ["hash and body", "hash_check", await proofVerdict(async () => { asked(); await checkBlockBody(trust.chainId, b); })],
      ["round", "round", header.round], ["epoch", "epoch", header.epoch], ["proposer", "proposer", header.proposer],
      ["time", "timestamp", time(header.timestampMs)], ["parent", "parent_hash", toHex(header.parentHash)],
      ["transactions root", "tx_root", toHex(header.txRoot)], ["state root", "state_root", toHex(header.stateRoot)],
      ["transactions", "transactions", txs.length],
      ["certificate", "signers", signers.length ? `signed by validators ${signers.join(", ")} (as this node reports)` : "none"],
      ["finality proof", "finality", b.finality.present ? `certificate of round ${b.finality.round}, ${b.finality.signatures.length} signatures (as this node reports)` : "none yet"],
      ["committed by the validators", "verified", await commitVerdict(trust, (client) => { asked(); return client.verifyBlock(b); })],
    ])),
    el("h2", {}, "Transactions"),
    table(["#", "hash", "operation"], txs),
    el("p", {}, link(`#/block/${Number(b.height) + 1}`, "next block"), " · ", Number(b.height) > 1 ? link(`#/block/${Number(b.height) - 1}`, "previous block") : ""),
  );
}

async function viewTx(hex) {
  const trust = await trusted();
  const answer = decodeTransactionAnswer(await apiBytes("cairn.v1.Transactions/GetTransaction", encodeBytes(1, fromHex(hex))));
  if (answer.state !== "COMMITTED") {
    show(el("h1", {}, "Transaction"), el("section", { class: "card" }, fields([["hash", "tx_hash", hex], ["state", "state", answer.state]])));
    if (answer.state === "PENDING") refresh = setTimeout(route, REFRESH_MS);
    return;
  }
  const body = describeBody(answer.transaction.body);
  const r = answer.receipt;
  // The transaction asked for: another one in its place fails, however well it checks.
  const asked = () => { if (toHex(r.txHash) !== hex.toLowerCase()) refuse("the node answered about another transaction"); };
  show(
    el("h1", {}, "Transaction"),
    el("section", { class: "card" }, fields([
      ["hash", "tx_hash", hex], ["state", "state", answer.state], ["operation", "operation", body.operation],
      ["sender", "sender", body.sender.length ? toHex(body.sender) : `key ${toHex(answer.transaction.publicKey)}`],
      ["signed by", "signers", answer.transaction.signatures.length ? answer.transaction.signatures.map((s) => toHex(s.publicKey)).join(", ")
                                                                   : toHex(answer.transaction.publicKey)],
      ["nonce", "nonce", body.nonce], ["memo", "memo", body.memo || "—"],
      ["block", "height", link(`#/block/${r.height}`, r.height)], ["index in block", "index", r.index],
      ["result", "result", r.result], ["message", "message", r.message || "—"],
      ["block hash", "block_hash", toHex(answer.blockHash)],
      ["inclusion and result proofs", "inclusion", await proofVerdict(async () => { asked(); await checkTransactionProofs(trust.chainId, answer); })],
      ["committed by the validators", "verified", await commitVerdict(trust, (client) => { asked(); return client.verifyTransaction(answer); })],
    ])),
  );
}

async function viewAccount(hex) {
  const trust = await trusted();
  const address = fromHex(hex);
  const answer = decodeAccountAnswer(await apiBytes("cairn.v1.Ledger/GetAccount", encodeBytes(1, address)));
  // What is shown is what the proof covers: the account's bytes under the state root.
  const a = answer.proof.account.length ? decodeAccount(answer.proof.account) : null;
  const history = await api("cairn.v1.Ledger/GetAccountHistory", { address: toBase64(address), limit: 20 });
  show(
    el("h1", {}, "Account"),
    el("section", { class: "card" }, fields([
      ["address", "address", hex], ["exists", "exists", a ? "yes" : "no"], ["role", "role", a ? a.role : "—"],
      ["nonce", "nonce", a ? a.nonce : "0"], ["at height", "height", answer.height], ["state root", "state_root", toHex(answer.stateRoot)],
      ["proof", "proof", await proofVerdict(() => checkAccountProof(answer, address))],
      ["committed by the validators", "verified", await commitVerdict(trust, (client) => client.verifyAccount(answer, address, Date.now()))],
    ])),
    el("h2", {}, "Balances"),
    table(["asset", "amount"], (a ? a.balances : []).map((b) => el("tr", { "data-asset": b.asset }, el("td", {}, b.asset), el("td", {}, b.amount)))),
    el("h2", {}, "History (oldest first)"),
    el("p", {}, "As this node's index lists it; each transaction's page verifies it."),
    table(["transaction", "height", "index"], history.entries.map((e) => el("tr", {},
      el("td", {}, link(`#/tx/${b64hex(e.txHash)}`, b64hex(e.txHash))), el("td", {}, link(`#/block/${e.height}`, e.height)), el("td", {}, e.index)))),
  );
}

async function viewAsset(name) {
  const trust = await trusted();
  if (!/^[A-Z0-9]{1,16}$/.test(name)) throw new Error("an asset name is 1 to 16 characters of A-Z, 0-9");
  const answer = decodeAssetAnswer(await apiBytes("cairn.v1.Ledger/GetAsset", encodeString(1, name)));
  // What is shown is what the proof covers: the definition's bytes under the state root.
  const a = answer.proof.value.length ? decodeAsset(answer.proof.value) : null;
  show(
    el("h1", {}, "Asset"),
    el("section", { class: "card" }, fields([
      ["name", "name", name], ["registered", "registered", a ? "yes" : "no"], ["supply", "supply", a ? a.supply : "—"],
      ["supply cap", "supply_cap", a && a.supplyCap !== "0" ? a.supplyCap : "none"], ["precision", "precision", a ? a.precision : "—"],
      ["frozen", "frozen", a ? (a.frozen ? "yes" : "no") : "—"],
      ["issuers", "issuers", a ? a.issuers.map((i) => toHex(i)).join(", ") || "none" : "—"],
      ["at height", "height", answer.height], ["state root", "state_root", toHex(answer.stateRoot)],
      ["proof", "proof", await proofVerdict(() => checkAssetProof(answer, name))],
      ["committed by the validators", "verified", await commitVerdict(trust, (client) => client.verifyAsset(answer, name, Date.now()))],
    ])),
  );
}

// The checkpoint this page trusts, and every epoch it has proven from it.
async function viewTrust() {
  const trust = await trusted();
  const form = el("form", { id: "trust-form" },
    el("input", { name: "checkpoint", placeholder: "HEIGHT:HASH", "aria-label": "checkpoint", size: "80" }), el("button", {}, "Trust"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    saveTrustRoot(trust.chainId, event.target.checkpoint.value.trim());
    route();
  });
  let rows = [], state = trust.error ? `FAILS: ${trust.error}` : "no checkpoint given";
  if (trust.client) {
    try {
      await trust.client.proveEpoch((await epochChanges(trust.client.latestEpoch + 1)).currentEpoch);
      state = `proven up to epoch ${trust.client.latestEpoch}`;
    } catch (error) {
      state = `FAILS: ${error.message}`;
    }
    rows = trust.client.epochs.map((e) => el("tr", { "data-epoch": e.epoch },
      el("td", {}, e.epoch), el("td", {}, e.rootHeight + 1), el("td", {}, e.validators.map((v) => v.name).join(", ")),
      el("td", {}, `${e.rootHeight}:${e.rootHash}`)));
  }
  show(
    el("h1", {}, `Trust for chain ${trust.chainId}`),
    el("p", {}, "This page verifies what it shows from one checkpoint you trust: HEIGHT:HASH of the genesis block (0:HASH) " +
      "or of the last block of an epoch, as `cairn epochs` prints them after checking them against the genesis file. " +
      "Give it here (kept in this browser) or as ?trust=HEIGHT:HASH in the address. The checks run in this page's script, " +
      "which this node serves: against a node you do not trust, use cairn or the Python client."),
    el("section", { class: "card" }, fields([
      ["checkpoint", "checkpoint", trust.client ? trust.client.checkpoint : trustRootFor(trust.chainId) || "none"],
      ["epochs", "trust_state", state],
    ])),
    form,
    el("h2", {}, "Proven validator sets"),
    table(["epoch", "from block", "validators", "checkpoint"], rows),
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
    el("p", {}, "As this node reports them; ", link("#/trust", "Trust"), " lists the sets this page has proven."),
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
    else if (view === "asset") await viewAsset(arg);
    else if (view === "validators") await viewValidators();
    else if (view === "consensus") await viewConsensus();
    else if (view === "trust") await viewTrust();
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
  else if (/^[a-z0-9]{1,16}$/.test(q)) location.hash = `#/asset/${q.toUpperCase()}`;
});
window.addEventListener("hashchange", route);
route();

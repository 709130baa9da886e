#!/usr/bin/python3
"""The explorer (rpc/explorer/) in a real browser: headless Chromium loads each view from
a 4-validator devnet's HTTP port, and the values it shows (after its own proof checks)
are compared with what the CLI reads over gRPC. A validator name and a receipt message
holding markup show up as text, never as markup. Screenshots of every view go to
SCREENSHOT_DIR.

usage: explorer_test.py CAIRN CAIRND SCREENSHOT_DIR
"""
import html.parser
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

cairn, cairnd, screenshots = sys.argv[1:4]
seed = int(os.environ.get("CAIRN_TEST_SEED", random.randrange(1 << 30)))
print(f"explorer test: seed {seed}", flush=True)
base_port = 20000 + random.Random(seed).randrange(750) * 16
work = tempfile.mkdtemp(prefix="cairn-explorer-")
os.makedirs(screenshots, exist_ok=True)
MARKUP = '<img src=x onerror="document.title=1">&<b>"x"</b>'


def cli(*args, check=True):
    env = {**os.environ, "CAIRN_TRUST_GENESIS": f"{work}/net/genesis.json", "CAIRN_TRUST_DIR": f"{work}/trust"}
    run = subprocess.run([cairn, *args, "--node", f"127.0.0.1:{base_port + 1}"], capture_output=True, text=True, env=env)
    if check and run.returncode != 0:
        raise AssertionError(f"cairn {' '.join(args)}: {run.stderr}")
    return json.loads(run.stdout.splitlines()[-1]) if run.stdout.strip() else None


def chromium(*args):
    return subprocess.run(["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                           "--hide-scrollbars", "--virtual-time-budget=4000", *args],
                          capture_output=True, text=True, timeout=90)


class Fields(html.parser.HTMLParser):
    """The text of every element with data-field, the attributes of every <tr>, and
    every tag seen (to prove no markup from the chain became elements)."""

    def __init__(self):
        super().__init__()
        self.fields, self.rows, self.tags, self.loaded = {}, [], [], None
        self._open = []  # [field, depth, text]
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "body":
            self.loaded = attrs.get("data-loaded")
        if tag == "tr":
            self.rows.append(attrs)
        self._depth += 1
        if "data-field" in attrs:
            self._open.append([attrs["data-field"], self._depth, ""])

    def handle_endtag(self, tag):
        if self._open and self._open[-1][1] == self._depth:
            name, _, text = self._open.pop()
            self.fields.setdefault(name, text.strip())
        self._depth -= 1

    def handle_data(self, data):
        for entry in self._open:
            entry[2] += data


def view(fragment, name):
    """Loads the view, saves its screenshot, and returns what the page shows."""
    url = f"http://127.0.0.1:{base_port + 3}/{fragment}"
    page = Fields()
    for _ in range(3):  # a view whose data is not there yet (a block a moment old) is retried
        dom = chromium("--dump-dom", url)
        page = Fields()
        page.feed(dom.stdout)
        if page.loaded == fragment:
            break
        time.sleep(1)
    assert page.loaded == fragment, f"{fragment} did not load: {page.fields.get('error')} {dom.stderr[-500:]}"
    shot = os.path.join(screenshots, f"{name}.png")
    chromium(f"--screenshot={shot}", "--window-size=1280,1000", url)
    assert os.path.getsize(shot) > 10_000, f"no screenshot of {fragment}"
    return page


subprocess.run([cairn, "testnet", "--validators", "4", "--out", f"{work}/net", "--base-port", str(base_port),
                "--admin-threshold", "2"], check=True, stdout=subprocess.DEVNULL)
nodes = [subprocess.Popen([cairnd, "--config", f"{work}/net/node{i}/config.json"],
                          stderr=open(f"{work}/node{i}.log", "w")) for i in range(4)]
try:
    deadline = time.time() + 60
    while time.time() < deadline and (cli("status", "--json", check=False) or {}).get("height", 0) < 2:
        time.sleep(0.3)
    admin = f"{work}/net/client.key"
    alice = json.loads(subprocess.run([cairn, "keygen", "--out", f"{work}/alice.key", "--json"],
                                      capture_output=True, text=True, check=True).stdout)
    cli("create-account", "--key", admin, "--public-key", alice["public_key"], "--wait", "--json")
    sent = cli("transfer", "--key", admin, "--to", alice["address"], "--amount", "1234", "--wait", "--json")
    refused = cli("propose-validator", "--key", admin, "--remove", MARKUP, "--wait", "--json", check=False)
    assert refused["result"] == "TX_INVALID_GOVERNANCE", refused
    cli("propose-validator", "--key", admin, "--add", MARKUP, "--public-key", alice["public_key"],
        "--address", "127.0.0.1:9", "--wait", "--json")

    status = cli("status", "--json")
    home = view("#/", "home")
    assert home.fields["chain_id"] == status["chain_id"] and int(home.fields["height"]) >= status["height"], home.fields
    assert home.fields["version"].startswith(status["version"]), home.fields
    assert any(r.get("data-block-height") == str(sent["height"]) or int(r.get("data-block-height", 0)) > sent["height"]
               for r in home.rows), "the latest blocks are not listed"

    block = cli("block", str(sent["height"]), "--json")
    page = view(f"#/block/{sent['height']}", "block").fields
    for field in ("hash", "round", "proposer", "timestamp", "state_root", "tx_root", "epoch", "transactions"):
        assert page[field] == str(block[field]), (field, page[field], block[field])
    assert page["hash_check"] == "checks" and page["height"] == str(sent["height"]), page
    assert page["signers"].startswith("signed by validators") == (block["signers"] > 0), page

    tx = cli("tx", sent["tx_hash"], "--json")
    page = view(f"#/tx/{sent['tx_hash']}", "transaction").fields
    assert page["inclusion"] == "checks" and page["result"] == tx["result"] and page["height"] == str(tx["height"]), page
    assert page["block_hash"] == tx["block_hash"] and page["index"] == str(tx["index"]), page
    assert page["operation"] == f"transfer 1234 CAIRN to {alice['address']}", page
    page = view(f"#/tx/{refused['tx_hash']}", "refused").fields
    assert page["message"] == f"no validator is named {MARKUP}", page  # the text, exactly

    account = cli("account", alice["address"], "--json")
    page = view(f"#/account/{alice['address']}", "account")
    assert page.fields["proof"] == "checks" and page.fields["exists"] == "yes", page.fields
    # The page never claims what it did not check: the validators' commit of the header.
    assert page.fields["verified"].startswith("not verified in this page"), page.fields
    assert page.fields["nonce"] == str(account["nonce"]) and page.fields["role"] == account["role"], page.fields
    assert [r["data-asset"] for r in page.rows if "data-asset" in r] == ["CAIRN"], page.rows

    validators = cli("validators", "--json")
    page = view("#/validators", "validators")
    assert page.fields["count"] == "4" and page.fields["quorum"] == str(validators["quorum"]), page.fields
    assert [r["data-proposal"] for r in page.rows if "data-proposal" in r] == \
        [str(p["id"]) for p in validators["open_proposals"]], page.rows

    page = view("#/consensus", "consensus").fields
    assert int(page["committed_height"]) >= status["height"] and int(page["round"]) >= 1, page
    assert page["leader"].split()[0].isdigit(), page

    # The markup in the chain stayed text everywhere: no <img> or <b> was ever made.
    for fragment in (f"#/tx/{refused['tx_hash']}", "#/validators"):
        page = Fields()
        page.feed(chromium("--dump-dom", f"http://127.0.0.1:{base_port + 3}/{fragment}").stdout)
        assert not [t for t, _ in page.tags if t in ("img", "b")], f"markup from the chain became elements in {fragment}"
    print(f"explorer test passed; screenshots in {screenshots}", flush=True)
finally:
    for node in nodes:
        node.send_signal(signal.SIGTERM)
    for node in nodes:
        try:
            node.wait(timeout=10)
        except subprocess.TimeoutExpired:
            node.kill()
    shutil.rmtree(work, ignore_errors=True)

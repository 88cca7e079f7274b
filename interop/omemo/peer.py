#!/usr/bin/python3
"""OMEMO interop peer around python-omemo (Debian python3-omemo 1.0.2, python3-twomemo 1.0.3,
python3-oldmemo 1.0.3; MIT, by Syndace). This script is our own thin driver: it uses the libraries
through their public API (omemo.SessionManager with the twomemo and oldmemo backends, and the
backends' etree helpers for the XEP-0384 XML), and copies none of their code.

Run with Debian's /usr/bin/python3. One JSON object per line each way on stdin/stdout (the protocol
of interop/peer); logs go to stderr. Bytes are lowercase hex, XML is a string.

The process holds a small fake XMPP world: a PEP store of bundles and device lists per namespace
and bare JID (fed by the Go test for its own devices, and by the python devices through the
SessionManager callbacks), any number of python devices (one SessionManager each, each with its own
in-memory storage), and an outbox per device for the messages python-omemo sends on its own
(empty messages that complete a key exchange or prevent staleness). A device list published for a
JID is pushed to every python device, as a PEP notification would be.

Trust: blind trust (every undecided device becomes "trusted" when python-omemo asks), except that
during `encrypt` only the listed recipient devices evaluate as trusted, so that the Go test chooses
the recipient set (python-omemo itself always encrypts to every trusted device of the JIDs).

Ops (request fields -> response fields):
  create        name, jid, device_id, namespaces[], identity_priv?|identity_seed?, import?{ns: {...}}
                -> device_id, identity_key (Ed25519, 32 B)
  publish_bundle        namespace, jid, device_id, xml          -> {}
  publish_device_list   namespace, jid, xml | device_ids[]      -> {}
  get_bundle            namespace, jid, device_id               -> xml
  get_device_list       namespace, jid                          -> xml, device_ids
  encrypt       name, namespace, recipients[{jid, device_id}], plaintext
                -> xml, keys[{jid, device_id, kex}], key (payload key material), errors[], sent[]
  decrypt       name, namespace, from_jid, xml
                -> plaintext (absent for an empty message), device_id, key, sent[]
  outbox        name                                            -> sent[] (drained)
  replace_session name, jid, device_id    (SessionManager.replace_sessions)  -> sent[]
  session       name, namespace, jid, device_id
                -> exists, initiation?, confirmed?, sending_chain_length?, receiving_chain_length?
  prekeys       name, namespace                                 -> visible, ids[]
  queue_random  bytes      (served before os randomness to secrets.token_bytes and to the ratchet's
                            key generation; for replaying fixed transcripts)   -> {}
  queued                                                        -> queued (bytes not drawn yet)
  versions                                                      -> versions of the packages
  shutdown
Errors: {"ok": false, "error": "<ExceptionClass>: message [<- CauseClass: message]... [while handling C: m]"}.
"""

import asyncio
import base64
import json
import logging
import secrets
import sys
import traceback
import xml.etree.ElementTree as ET

logging.basicConfig(stream=sys.stderr, level=logging.WARNING)

import omemo  # noqa: E402
import omemo.session_manager  # noqa: E402
from omemo import (  # noqa: E402
    BundleNotFound,
    Just,
    Nothing,
    SessionManager,
    Storage,
    TrustLevel,
)
import oldmemo  # noqa: E402
import oldmemo.etree  # noqa: E402
import twomemo  # noqa: E402
import twomemo.etree  # noqa: E402
from doubleratchet.recommended import diffie_hellman_ratchet_curve25519 as _dhr  # noqa: E402
import x3dh  # noqa: E402
import xeddsa  # noqa: E402

NS2 = twomemo.twomemo.NAMESPACE  # urn:xmpp:omemo:2
NS1 = oldmemo.oldmemo.NAMESPACE  # eu.siacs.conversations.axolotl

ETREE = {NS2: twomemo.etree, NS1: oldmemo.etree}


class PeerError(Exception):
    pass


# ---------------------------------------------------------------- randomness

QUEUE = bytearray()
_orig_token_bytes = secrets.token_bytes
_orig_generate_priv = _dhr.DiffieHellmanRatchet._generate_priv


def _take(n):
    if len(QUEUE) < n:
        raise PeerError(f"queued randomness exhausted: need {n}, have {len(QUEUE)}")
    out = bytes(QUEUE[:n])
    del QUEUE[:n]
    return out


def _token_bytes(n=None):
    if QUEUE:
        return _take(32 if n is None else n)
    return _orig_token_bytes(n)


def _generate_priv():
    if QUEUE:
        return _take(32)
    return _orig_generate_priv()


secrets.token_bytes = _token_bytes
_dhr.DiffieHellmanRatchet._generate_priv = staticmethod(_generate_priv)


# ---------------------------------------------------------------- storage


class MemStorage(Storage):
    """In-memory key/value storage (python-omemo's Storage over a dict)."""

    def __init__(self):
        super().__init__(disable_cache=True)
        self.data = {}

    async def _load(self, key):
        if key in self.data:
            return Just(json.loads(self.data[key]))
        return Nothing()

    async def _store(self, key, value):
        self.data[key] = json.dumps(value)

    async def _delete(self, key):
        self.data.pop(key, None)


# ---------------------------------------------------------------- the fake world


def xml_string(elem, ns):
    # ElementTree names the namespace ns0 (its default_namespace option refuses unqualified
    # attributes); clients write it as the default namespace, so the peer does too. Tags are the
    # only place "<ns0:" can occur: text is base64 and attribute values are escaped.
    s = ET.tostring(elem, encoding="unicode")
    if f'xmlns:ns0="{ns}"' not in s:
        raise PeerError(f"unexpected serialization {s[:80]!r}")
    return s.replace("<ns0:", "<").replace("</ns0:", "</").replace("xmlns:ns0=", "xmlns=")


class World:
    def __init__(self):
        self.bundles = {}  # (ns, jid, device_id) -> xml string
        self.device_lists = {}  # (ns, jid) -> {device_id: label}
        self.devices = {}  # name -> Device
        self.dirty = set()  # (ns, jid) whose device list changed since the last push

    def set_device_list(self, ns, jid, device_list):
        self.device_lists[(ns, jid)] = dict(device_list)
        self.dirty.add((ns, jid))

    async def push_device_lists(self):
        # PEP notifications: every python device subscribed to the namespace hears of the change.
        while self.dirty:
            ns, jid = self.dirty.pop()
            for dev in list(self.devices.values()):
                if ns in dev.namespaces:
                    await dev.manager.update_device_list(ns, jid, self.device_lists[(ns, jid)])


WORLD = World()


class Device:
    def __init__(self, name, jid, namespaces):
        self.name = name
        self.jid = jid
        self.namespaces = list(namespaces)
        self.storage = MemStorage()
        self.backends = {}
        self.manager = None
        self.outbox = []
        self.recipients = None  # set of (jid, device_id) while encrypting

    def drain(self):
        out, self.outbox = self.outbox, []
        return out


def make_manager_class(dev):
    class Manager(SessionManager):
        @staticmethod
        async def _upload_bundle(bundle):
            ns = bundle.namespace
            elem = ETREE[ns].serialize_bundle(bundle)
            WORLD.bundles[(ns, bundle.bare_jid, bundle.device_id)] = xml_string(elem, ns)

        @staticmethod
        async def _download_bundle(namespace, bare_jid, device_id):
            xml = WORLD.bundles.get((namespace, bare_jid, device_id))
            if xml is None:
                raise BundleNotFound(f"no bundle for {namespace} {bare_jid} {device_id}")
            return ETREE[namespace].parse_bundle(ET.fromstring(xml), bare_jid, device_id)

        @staticmethod
        async def _delete_bundle(namespace, device_id):
            WORLD.bundles.pop((namespace, dev.jid, device_id), None)

        @staticmethod
        async def _upload_device_list(namespace, device_list):
            WORLD.set_device_list(namespace, dev.jid, device_list)

        @staticmethod
        async def _download_device_list(namespace, bare_jid):
            return dict(WORLD.device_lists.get((namespace, bare_jid), {}))

        async def _evaluate_custom_trust_level(self, device):
            if dev.recipients is not None and (device.bare_jid, device.device_id) not in dev.recipients:
                return TrustLevel.DISTRUSTED
            if device.trust_level_name == "trusted":
                return TrustLevel.TRUSTED
            if device.trust_level_name == "distrusted":
                return TrustLevel.DISTRUSTED
            return TrustLevel.UNDECIDED

        async def _make_trust_decision(self, undecided, identifier):
            for device in undecided:
                await self.set_trust(device.bare_jid, device.identity_key, "trusted")

        @staticmethod
        async def _send_message(message, bare_jid):
            ns = message.namespace
            elem = ETREE[ns].serialize_message(message)
            dev.outbox.append({
                "namespace": ns,
                "to": bare_jid,
                "xml": xml_string(elem, ns),
                "keys": key_list(message),
            })

    Manager.__name__ = f"Manager_{dev.name}"
    return Manager


def key_list(message):
    return [
        {"jid": k.bare_jid, "device_id": k.device_id, "kex": kex is not None}
        for k, kex in sorted(message.keys, key=lambda t: (t[0].bare_jid, t[0].device_id))
    ]


def hx(b):
    return b.hex()


def unhex(s, field):
    try:
        return bytes.fromhex(s)
    except (TypeError, ValueError) as e:
        raise PeerError(f"field {field}: not hex") from e


def device(req):
    d = WORLD.devices.get(req.get("name"))
    if d is None:
        raise PeerError(f"no device named {req.get('name')!r}")
    return d


def namespace(req):
    ns = req.get("namespace")
    if ns not in (NS1, NS2):
        raise PeerError(f"unknown namespace {ns!r}")
    return ns


async def import_state(dev, ns, imp):
    """Writes fixed keys into a device's storage before SessionManager.create: the backend then
    loads its X3DH state (signed prekey, one-time prekeys) instead of generating one. The
    identity key is set by create from identity_priv/identity_seed."""
    spk_priv = unhex(imp["signed_prekey_private"], "signed_prekey_private")
    spk_sig = unhex(imp["signed_prekey_signature"], "signed_prekey_signature")
    pre_keys = [unhex(p, "prekeys") for p in imp.get("prekeys", [])]
    is_seed = (await dev.storage.load_primitive("/ikp/is_seed", bool)).from_just()
    key = (await dev.storage.load_bytes("/ikp/key")).from_just()
    latin = lambda b: "".join(map(chr, b))  # the x3dh models' JSON encoding of bytes
    state = {
        "version": "1.0.0",
        "identity_key": {"version": "1.0.0", "secret": latin(key), "secret_type": "SEED" if is_seed else "PRIV"},
        "signed_pre_key": {"version": "1.0.0", "priv": latin(spk_priv), "sig": latin(spk_sig),
                           "timestamp": imp.get("timestamp", 2000000000)},
        "old_signed_pre_key": None,
        "pre_keys": [latin(p) for p in pre_keys],
    }
    await dev.storage.store(f"/{ns}/x3dh", state)
    spk_pub = xeddsa.priv_to_curve25519_pub(spk_priv)
    await dev.storage.store(f"/{ns}/signed_pre_key_ids",
                            {base64.b64encode(spk_pub).decode(): imp["signed_prekey_id"]})
    ids = imp.get("prekey_ids", [])
    if len(ids) != len(pre_keys):
        raise PeerError("prekey_ids and prekeys differ in length")
    await dev.storage.store(f"/{ns}/pre_key_ids", {
        base64.b64encode(xeddsa.priv_to_curve25519_pub(p)).decode(): i for p, i in zip(pre_keys, ids)
    })
    await dev.storage.store(f"/{ns}/pre_key_id_counter", max(ids, default=0))


async def trim_pre_keys(dev, ns, imp):
    """create generated 100 prekeys besides the imported ones. python-omemo 1.0.2's decrypt then
    fails after a key exchange: it refills and re-reads its bundle only when at most 99 prekeys
    remain visible, and otherwise uploads a variable it never set (UnboundLocalError, after the
    session was stored). Drop generated prekeys until 100 are left, the count python-omemo keeps
    itself, and publish the bundle again."""
    state = (await dev.storage.load(f"/{ns}/x3dh")).from_just()
    keep = {"".join(map(chr, unhex(p, "prekeys"))) for p in imp.get("prekeys", [])}
    extra = [p for p in state["pre_keys"] if p not in keep]
    drop = len(state["pre_keys"]) - 100
    if drop > 0:
        state["pre_keys"] = [p for p in state["pre_keys"] if p not in set(extra[:drop])]
        await dev.storage.store(f"/{ns}/x3dh", state)
        backend = dev.backends[ns]
        own_id = (await dev.storage.load_primitive("/own_device_id", int)).from_just()
        await dev.manager._upload_bundle(await backend.get_bundle(dev.jid, own_id))


# ---------------------------------------------------------------- ops


async def op_create(req):
    name = req["name"]
    if name in WORLD.devices:
        raise PeerError(f"device {name!r} exists")
    namespaces = req.get("namespaces") or [NS2]
    for ns in namespaces:
        if ns not in (NS1, NS2):
            raise PeerError(f"unknown namespace {ns!r}")
    dev = Device(name, req["jid"], namespaces)
    if req.get("identity_priv"):
        await dev.storage.store("/ikp/is_seed", False)
        await dev.storage.store_bytes("/ikp/key", unhex(req["identity_priv"], "identity_priv"))
    elif req.get("identity_seed"):
        await dev.storage.store("/ikp/is_seed", True)
        await dev.storage.store_bytes("/ikp/key", unhex(req["identity_seed"], "identity_seed"))
    for ns, imp in (req.get("import") or {}).items():
        if not req.get("identity_priv") and not req.get("identity_seed"):
            raise PeerError("import needs identity_priv or identity_seed")
        await import_state(dev, ns, imp)
    for ns in namespaces:
        if ns == NS2:
            dev.backends[ns] = twomemo.Twomemo(dev.storage)
        else:
            dev.backends[ns] = oldmemo.Oldmemo(dev.storage)
    device_id = int(req["device_id"])
    # SessionManager.create draws the device id with secrets.randbelow (plus 1) among ids not in
    # the device list; the test chooses it instead.
    orig = secrets.randbelow
    secrets.randbelow = lambda n: device_id - SessionManager.DEVICE_ID_MIN
    try:
        WORLD.devices[name] = dev
        dev.manager = await make_manager_class(dev).create(
            [dev.backends[ns] for ns in namespaces],
            dev.storage,
            dev.jid,
            req.get("label"),
            "undecided",
        )
    except BaseException:
        WORLD.devices.pop(name, None)
        raise
    finally:
        secrets.randbelow = orig
    for ns, imp in (req.get("import") or {}).items():
        await trim_pre_keys(dev, ns, imp)
    got = (await dev.storage.load_primitive("/own_device_id", int)).from_just()
    if got != device_id:
        raise PeerError(f"device id {got} instead of {device_id}")
    # Subscribing to PEP delivers the device lists published so far.
    for (ns, jid), device_list in list(WORLD.device_lists.items()):
        if ns in dev.namespaces and jid != dev.jid:
            await dev.manager.update_device_list(ns, jid, device_list)
    if not req.get("history_sync", False):
        await dev.manager.after_history_sync()
    own, _ = await dev.manager.get_own_device_information()
    return {"device_id": got, "identity_key": hx(own.identity_key)}


async def op_publish_bundle(req):
    ns = namespace(req)
    xml = req["xml"]
    ET.fromstring(xml)  # well-formed
    WORLD.bundles[(ns, req["jid"], int(req["device_id"]))] = xml
    return {}


async def op_publish_device_list(req):
    ns = namespace(req)
    if "xml" in req:
        device_list = ETREE[ns].parse_device_list(ET.fromstring(req["xml"]))
    else:
        device_list = {int(i): None for i in req["device_ids"]}
    WORLD.set_device_list(ns, req["jid"], device_list)
    return {}


async def op_get_bundle(req):
    ns = namespace(req)
    xml = WORLD.bundles.get((ns, req["jid"], int(req["device_id"])))
    if xml is None:
        raise PeerError("no such bundle")
    return {"xml": xml}


async def op_get_device_list(req):
    ns = namespace(req)
    device_list = WORLD.device_lists.get((ns, req["jid"]), {})
    elem = ETREE[ns].serialize_device_list(device_list)
    return {"xml": xml_string(elem, ns), "device_ids": sorted(device_list)}


def key_material(ns, pkm):
    return hx(pkm.key + pkm.auth_tag)


async def op_encrypt(req):
    dev = device(req)
    ns = namespace(req)
    recipients = {(r["jid"], int(r["device_id"])) for r in req["recipients"]}
    plaintext = unhex(req["plaintext"], "plaintext")
    jids = frozenset(j for j, _ in recipients) - {dev.jid}
    dev.recipients = recipients
    try:
        messages, errors = await dev.manager.encrypt(jids, {ns: plaintext}, [ns])
    finally:
        dev.recipients = None
    if len(messages) != 1:
        raise PeerError(f"{len(messages)} messages for one namespace")
    (message, pkm), = messages.items()
    elem = ETREE[ns].serialize_message(message)
    return {
        "xml": xml_string(elem, ns),
        "keys": key_list(message),
        "key": key_material(ns, pkm),
        "errors": [f"{e.bare_jid}/{e.device_id}: {describe(e.exception)}" for e in errors],
        "sent": dev.drain(),
    }


async def op_decrypt(req):
    dev = device(req)
    ns = namespace(req)
    elem = ET.fromstring(req["xml"])
    if ns == NS2:
        message = twomemo.etree.parse_message(elem, req["from_jid"])
    else:
        message = await oldmemo.etree.parse_message(elem, req["from_jid"], dev.jid, dev.manager)
    try:
        plaintext, sender, pkm = await dev.manager.decrypt(message)
    finally:
        await WORLD.push_device_lists()
    resp = {"device_id": sender.device_id, "key": key_material(ns, pkm), "sent": dev.drain()}
    if plaintext is not None:
        resp["plaintext"] = hx(plaintext)
    return resp


async def op_replace_session(req):
    """SessionManager.replace_sessions: a new session with the device, announced by an empty message
    carrying a key exchange (returned in sent)."""
    dev = device(req)
    info = next((d for d in await dev.manager.get_device_information(req["jid"]) if d.device_id == int(req["device_id"])), None)
    if info is None:
        raise PeerError("no such device")
    failed = await dev.manager.replace_sessions(info)
    if failed:
        raise PeerError("; ".join(f"{ns}: {describe(e)}" for ns, e in failed.items()))
    return {"sent": dev.drain()}


async def op_outbox(req):
    return {"sent": device(req).drain()}


async def op_session(req):
    dev = device(req)
    ns = namespace(req)
    session = await dev.backends[ns].load_session(req["jid"], int(req["device_id"]))
    if session is None:
        return {"exists": False}
    return {
        "exists": True,
        "initiation": session.initiation.name,
        "confirmed": session.confirmed,
        "sending_chain_length": session.sending_chain_length,
        "receiving_chain_length": session.receiving_chain_length,
    }


async def op_prekeys(req):
    dev = device(req)
    ns = namespace(req)
    bundle = await dev.backends[ns].get_bundle(dev.jid, 1)
    return {"visible": await dev.backends[ns].get_num_visible_pre_keys(),
            "ids": sorted(bundle.pre_key_ids.values())}


async def op_queue_random(req):
    QUEUE.extend(unhex(req["bytes"], "bytes"))
    return {}


async def op_queued(req):
    return {"queued": len(QUEUE)}


async def op_versions(req):
    import importlib.metadata as md
    return {p: md.version(p) for p in ("OMEMO", "Twomemo", "Oldmemo", "X3DH", "DoubleRatchet", "XEdDSA")}


OPS = {
    "create": op_create,
    "publish_bundle": op_publish_bundle,
    "publish_device_list": op_publish_device_list,
    "get_bundle": op_get_bundle,
    "get_device_list": op_get_device_list,
    "encrypt": op_encrypt,
    "decrypt": op_decrypt,
    "outbox": op_outbox,
    "replace_session": op_replace_session,
    "session": op_session,
    "prekeys": op_prekeys,
    "queue_random": op_queue_random,
    "queued": op_queued,
    "versions": op_versions,
}


def describe(e):
    """The exception and its explicit causes ("A: msg <- B: msg"), then the exception the innermost
    one was raised while handling, if any ("[while handling C: msg]")."""
    parts = []
    seen = set()
    last = e
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        parts.append(f"{type(e).__name__}: {e}")
        last = e
        e = e.__cause__
    out = " <- ".join(parts)
    ctx = last.__context__
    if ctx is not None and not last.__suppress_context__ and id(ctx) not in seen:
        out += f" [while handling {type(ctx).__name__}: {ctx}]"
    return out


async def handle(req):
    op = req.get("op")
    fn = OPS.get(op)
    if fn is None:
        raise PeerError(f"unknown op {op!r}")
    resp = await fn(req)
    await WORLD.push_device_lists()
    return resp


def main():
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    out = sys.stdout
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
        except ValueError as e:
            out.write(json.dumps({"ok": False, "error": f"bad json: {e}"}) + "\n")
            out.flush()
            continue
        if req.get("op") == "shutdown":
            out.write(json.dumps({"ok": True}) + "\n")
            out.flush()
            break
        try:
            resp = loop.run_until_complete(handle(req))
            resp["ok"] = True
        except Exception as e:  # reported to the test, never fatal
            if not isinstance(e, PeerError):
                traceback.print_exc(file=sys.stderr)
            resp = {"ok": False, "error": describe(e)}
        out.write(json.dumps(resp) + "\n")
        out.flush()


if __name__ == "__main__":
    main()

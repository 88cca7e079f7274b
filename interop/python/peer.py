#!/usr/bin/python3
"""Interop peer around python-axolotl 0.2.3 (GPL-3.0, Debian python3-axolotl).

A thin driver speaking the JSON-lines peer protocol of interop/peer on
stdin/stdout; logs go to stderr only. Run with Debian's /usr/bin/python3.

Workaround for a library bug: PreKeyWhisperMessage parsing reads an absent
pre_key_id as 0 (proto2 default), so a PreKey message built without a
one-time prekey fails with "No such prekeyRecord". The peer checks HasField
on the raw protobuf and resets the id to None.

Randomness: os.urandom, or with init {"seed": hex} a deterministic stream
(block i = SHA-256(seed || be64(i)), one byte stream), the same construction
as the C peer. The library draws randomness through os.urandom, which the
peer replaces when seeded. Private keys in requests are clamped on load.
"""

import hashlib
import json
import logging
import os
import sys
import time
import traceback

logging.basicConfig(stream=sys.stderr, level=logging.WARNING)

import axolotl_curve25519 as _curve  # noqa: E402
from axolotl.ecc.curve import Curve  # noqa: E402
from axolotl.ecc.djbec import DjbECPrivateKey, DjbECPublicKey  # noqa: E402
from axolotl.ecc.eckeypair import ECKeyPair  # noqa: E402
from axolotl.identitykey import IdentityKey  # noqa: E402
from axolotl.identitykeypair import IdentityKeyPair  # noqa: E402
from axolotl.protocol.prekeywhispermessage import PreKeyWhisperMessage  # noqa: E402
from axolotl.protocol.whispermessage import WhisperMessage  # noqa: E402
from axolotl.protocol import whisperprotos_pb2 as whisperprotos  # noqa: E402
from axolotl.sessionbuilder import SessionBuilder  # noqa: E402
from axolotl.sessioncipher import SessionCipher  # noqa: E402
from axolotl.state.axolotlstore import AxolotlStore  # noqa: E402
from axolotl.state.prekeybundle import PreKeyBundle  # noqa: E402
from axolotl.state.prekeyrecord import PreKeyRecord  # noqa: E402
from axolotl.state.sessionrecord import SessionRecord  # noqa: E402
from axolotl.state.signedprekeyrecord import SignedPreKeyRecord  # noqa: E402
from axolotl.invalidkeyidexception import InvalidKeyIdException  # noqa: E402
from axolotl.kdf.hkdfv3 import HKDFv3  # noqa: E402
from axolotl.ratchet.bobaxolotlparamaters import BobAxolotlParameters  # noqa: E402
from axolotl.ratchet.chainkey import ChainKey  # noqa: E402
from axolotl.ratchet.ratchetingsession import RatchetingSession  # noqa: E402
from axolotl.ratchet.rootkey import RootKey  # noqa: E402
from axolotl.state.sessionstate import SessionState  # noqa: E402


class PeerError(Exception):
    pass


class SeededRandom:
    def __init__(self, seed):
        self.seed = seed
        self.counter = 0
        self.buf = b""

    def __call__(self, n):
        out = b""
        while len(out) < n:
            if not self.buf:
                self.buf = hashlib.sha256(self.seed + self.counter.to_bytes(8, "big")).digest()
                self.counter += 1
            take = min(n - len(out), len(self.buf))
            out += self.buf[:take]
            self.buf = self.buf[take:]
        return out


class QueuedRandom:
    """Serves bytes given to the queue_random op before the wrapped source."""

    def __init__(self, fallback):
        self.fallback = fallback
        self.queue = b""

    def __call__(self, n):
        out = self.queue[:n]
        self.queue = self.queue[n:]
        if len(out) < n:
            out += self.fallback(n - len(out))
        return out


def clamp(k):
    k = bytearray(k)
    k[0] &= 248
    k[31] &= 127
    k[31] |= 64
    return bytes(k)


def key_pair(priv=None):
    if priv is None:
        return Curve.generateKeyPair()
    if len(priv) != 32:
        raise PeerError("private key must be 32 bytes")
    priv = clamp(priv)
    pub = Curve.generatePublicKey(priv)
    return ECKeyPair(DjbECPublicKey(pub), DjbECPrivateKey(priv))


def decode_point(b, what):
    if b is None or len(b) != 33 or b[0] != 0x05:
        raise PeerError("%s: not a 33-byte 0x05 public key" % what)
    return Curve.decodePoint(bytearray(b), 0)


class Store(AxolotlStore):
    """In-memory stores keyed by (name, device id); trust on first use."""

    def __init__(self, identity, registration_id):
        self.identity = identity
        self.registration_id = registration_id
        self.trusted = {}
        self.prekeys = {}
        self.signed = {}
        self.sessions = {}

    # identity
    def getIdentityKeyPair(self):
        return self.identity

    def getLocalRegistrationId(self):
        return self.registration_id

    def saveIdentity(self, recipientId, identityKey):
        self.trusted[recipientId] = identityKey.serialize()

    def isTrustedIdentity(self, recipientId, identityKey):
        t = self.trusted.get(recipientId)
        return t is None or t == identityKey.serialize()

    # prekeys
    def loadPreKey(self, preKeyId):
        if preKeyId not in self.prekeys:
            raise InvalidKeyIdException("No such prekeyRecord! %s" % preKeyId)
        return PreKeyRecord(serialized=self.prekeys[preKeyId])

    def storePreKey(self, preKeyId, preKeyRecord):
        self.prekeys[preKeyId] = preKeyRecord.serialize()

    def containsPreKey(self, preKeyId):
        return preKeyId in self.prekeys

    def removePreKey(self, preKeyId):
        self.prekeys.pop(preKeyId, None)

    # signed prekeys
    def loadSignedPreKey(self, signedPreKeyId):
        if signedPreKeyId not in self.signed:
            raise InvalidKeyIdException("No such signedprekeyrecord! %s" % signedPreKeyId)
        return SignedPreKeyRecord(serialized=self.signed[signedPreKeyId])

    def loadSignedPreKeys(self):
        return [SignedPreKeyRecord(serialized=s) for s in self.signed.values()]

    def storeSignedPreKey(self, signedPreKeyId, signedPreKeyRecord):
        self.signed[signedPreKeyId] = signedPreKeyRecord.serialize()

    def containsSignedPreKey(self, signedPreKeyId):
        return signedPreKeyId in self.signed

    def removeSignedPreKey(self, signedPreKeyId):
        self.signed.pop(signedPreKeyId, None)

    # sessions (the identity store is keyed by recipient id only in this
    # library's API, so the peer uses "name.device" as the recipient id)
    def loadSession(self, recipientId, deviceId):
        s = self.sessions.get((recipientId, deviceId))
        return SessionRecord(serialized=s) if s is not None else SessionRecord()

    def getSubDeviceSessions(self, recipientId):
        return [d for (r, d) in self.sessions if r == recipientId]

    def storeSession(self, recipientId, deviceId, sessionRecord):
        self.sessions[(recipientId, deviceId)] = sessionRecord.serialize()

    def containsSession(self, recipientId, deviceId):
        return (recipientId, deviceId) in self.sessions

    def deleteSession(self, recipientId, deviceId):
        self.sessions.pop((recipientId, deviceId), None)

    def deleteAllSessions(self, recipientId):
        for k in [k for k in self.sessions if k[0] == recipientId]:
            del self.sessions[k]


class Peer:
    def __init__(self):
        self.store = None
        self.next_prekey = 0

    def _hex(self, req, name, required=True):
        v = req.get(name)
        if v is None:
            if required:
                raise PeerError("%s required" % name)
            return None
        try:
            return bytes.fromhex(v)
        except (TypeError, ValueError):
            raise PeerError("%s: bad hex" % name)

    def _recipient(self, req):
        name = req.get("name")
        dev = req.get("device_id")
        if not isinstance(name, str) or not isinstance(dev, int):
            raise PeerError("name and device_id required")
        return "%s.%d" % (name, dev), dev

    def _cipher(self, rid, dev):
        s = self.store
        return SessionCipher(s, s, s, s, rid, dev)

    def op_init(self, req):
        seed = self._hex(req, "seed", False)
        if seed is not None:
            if isinstance(os.urandom, QueuedRandom):
                os.urandom.fallback = SeededRandom(seed)
            else:
                os.urandom = SeededRandom(seed)
        kp = key_pair(self._hex(req, "identity_private", False))
        identity = IdentityKeyPair(IdentityKey(kp.getPublicKey()), kp.getPrivateKey())
        self.store = Store(identity, int(req.get("registration_id", 0)))
        self.device_id = int(req.get("device_id", 0))
        return {"identity_public": identity.getPublicKey().serialize().hex()}

    def op_bundle(self, req):
        s = self.store
        spk_id = int(req.get("signed_prekey_id", 0))
        spk = key_pair(self._hex(req, "signed_prekey_private", False))
        spk_pub = spk.getPublicKey().serialize()
        sig = Curve.calculateSignature(s.identity.getPrivateKey(), spk_pub)
        s.storeSignedPreKey(spk_id, SignedPreKeyRecord(spk_id, int(time.time() * 1000), spk, sig))
        out = {
            "registration_id": s.registration_id,
            "device_id": self.device_id,
            "identity_key": s.identity.getPublicKey().serialize().hex(),
            "signed_prekey_id": spk_id,
            "signed_prekey": bytes(spk_pub).hex(),
            "signed_prekey_signature": bytes(sig).hex(),
        }
        if req.get("one_time"):
            pid = req.get("prekey_id")
            if pid is None:
                pid = self.next_prekey + 1
            self.next_prekey = pid
            pk = key_pair(self._hex(req, "prekey_private", False))
            s.storePreKey(pid, PreKeyRecord(pid, pk))
            out["prekey_id"] = pid
            out["prekey"] = bytes(pk.getPublicKey().serialize()).hex()
        return out

    def op_process_bundle(self, req):
        rid, dev = self._recipient(req)
        b = req.get("bundle")
        if not isinstance(b, dict):
            raise PeerError("bundle required")
        ik = IdentityKey(decode_point(self._hex(b, "identity_key"), "identity_key"))
        spk = decode_point(self._hex(b, "signed_prekey"), "signed_prekey")
        sig = self._hex(b, "signed_prekey_signature")
        pk_id = b.get("prekey_id")
        pk = decode_point(self._hex(b, "prekey"), "prekey") if pk_id is not None else None
        bundle = PreKeyBundle(b.get("registration_id", 0), b.get("device_id", 0), pk_id, pk,
                              b.get("signed_prekey_id", 0), spk, sig, ik)
        s = self.store
        SessionBuilder(s, s, s, s, rid, dev).processPreKeyBundle(bundle)
        return {}

    def op_encrypt(self, req):
        rid, dev = self._recipient(req)
        if not self.store.containsSession(rid, dev):
            raise PeerError("no session")
        pt = self._hex(req, "plaintext", False) or b""
        m = self._cipher(rid, dev).encrypt(pt)
        return {"type": m.getType(), "body": bytes(m.serialize()).hex()}

    def op_decrypt(self, req):
        rid, dev = self._recipient(req)
        body = self._hex(req, "body")
        t = req.get("type")
        c = self._cipher(rid, dev)
        if t == 3:
            m = PreKeyWhisperMessage(serialized=body)
            raw = whisperprotos.PreKeyWhisperMessage()
            raw.ParseFromString(body[1:])
            if not raw.HasField("preKeyId"):
                m.preKeyId = None  # library bug workaround, see module doc
            pt = c.decryptPkmsg(m)
        elif t == 2:
            pt = c.decryptMsg(WhisperMessage(serialized=body))
        else:
            raise PeerError("unknown message type %r" % (t,))
        return {"plaintext": bytes(pt).hex()}

    def op_has_session(self, req):
        rid, dev = self._recipient(req)
        if not self.store.containsSession(rid, dev):
            return {"has": False}
        st = self.store.loadSession(rid, dev).getSessionState()
        return {"has": bool(st.hasSenderChain())}

    # Known-answer ops: python-axolotl's own KDF classes on given keys, for
    # checking the generated vectors (vectors/data/ratchet_kdf.json,
    # pqxdh.json) against an independent implementation.

    def op_root_step(self, req):
        # (root, chain) = KDF_RK(root_key, DH(our_private, their_public))
        root = RootKey(HKDFv3(), self._hex(req, "root_key"))
        their = decode_point(self._hex(req, "their_public"), "their_public")
        new_root, chain = root.createChain(their, key_pair(self._hex(req, "our_private")))
        return {"root_key": bytes(new_root.getKeyBytes()).hex(), "chain_key": bytes(chain.getKey()).hex()}

    def op_chain_keys(self, req):
        # Message keys of indexes 0..count-1 of the chain that starts at
        # chain_key; salts (optional, one per index) salt the message-key
        # HKDF as v4 does (python-axolotl's HKDF, its ChainKey seed).
        kdf = HKDFv3()
        ck = ChainKey(kdf, self._hex(req, "chain_key"), 0)
        salts = req.get("salts") or []
        out = []
        for i in range(int(req.get("count", 0))):
            if salts:
                seed = ck.getBaseMaterial(ChainKey.MESSAGE_KEY_SEED)
                m = kdf.deriveSecrets(seed, bytearray(b"WhisperMessageKeys"), 80, salt=bytes.fromhex(salts[i]))
                cipher, mac, iv = m[:32], m[32:64], m[64:80]
            else:
                mk = ck.getMessageKeys()
                cipher, mac, iv = mk.getCipherKey(), mk.getMacKey(), mk.getIv()
            out.append({"chain_key": bytes(ck.getKey()).hex(), "cipher_key": bytes(cipher).hex(),
                        "mac_key": bytes(mac).hex(), "iv": bytes(iv).hex()})
            ck = ck.getNextChainKey()
        return {"keys": out}

    def op_x3dh_responder(self, req):
        # Bob's side of X3DH (v3): root key and first sending chain key.
        ident = key_pair(self._hex(req, "identity_private"))
        spk = key_pair(self._hex(req, "signed_prekey_private"))
        b = BobAxolotlParameters.newBuilder()
        b.setOurIdentityKey(IdentityKeyPair(IdentityKey(ident.getPublicKey()), ident.getPrivateKey()))
        b.setOurSignedPreKey(spk).setOurRatchetKey(spk)
        otp = self._hex(req, "one_time_prekey_private", False)
        b.setOurOneTimePreKey(key_pair(otp) if otp else None)
        b.setTheirIdentityKey(IdentityKey(decode_point(self._hex(req, "their_identity"), "their_identity")))
        b.setTheirBaseKey(decode_point(self._hex(req, "their_base_key"), "their_base_key"))
        st = SessionState()
        RatchetingSession.initializeSessionAsBob(st, b.create())
        return {"root_key": bytes(st.getRootKey().getKeyBytes()).hex(),
                "chain_key": bytes(st.getSenderChainKey().getKey()).hex()}

    def op_pqxdh_responder(self, req):
        # Bob's side of PQXDH (v4) from python-axolotl's primitives (its X25519
        # and HKDF): secret = 0xFF*32 || DH(SPK, IK_A) || DH(IK_B, EK_A) ||
        # DH(SPK, EK_A) [|| DH(OPK, EK_A)] || kem_shared_secret; okm =
        # HKDF(salt none, secret, info, length). The KEM secret is an input
        # (python-axolotl has no KEM).
        ident = key_pair(self._hex(req, "identity_private"))
        spk = key_pair(self._hex(req, "signed_prekey_private"))
        ik_a = decode_point(self._hex(req, "their_identity"), "their_identity")
        ek_a = decode_point(self._hex(req, "their_base_key"), "their_base_key")
        secret = bytearray(b"\xff" * 32)
        secret += Curve.calculateAgreement(ik_a, spk.getPrivateKey())
        secret += Curve.calculateAgreement(ek_a, ident.getPrivateKey())
        secret += Curve.calculateAgreement(ek_a, spk.getPrivateKey())
        otp = self._hex(req, "one_time_prekey_private", False)
        if otp:
            secret += Curve.calculateAgreement(ek_a, key_pair(otp).getPrivateKey())
        secret += self._hex(req, "kem_shared_secret")
        okm = HKDFv3().deriveSecrets(bytes(secret), req.get("info", "").encode(), int(req.get("length", 0)))
        return {"okm": bytes(okm).hex()}

    def op_queue_random(self, req):
        # The next random draws come from bytes, in order, before the usual
        # source (for replaying transcripts with listed keys).
        b = self._hex(req, "bytes", False) or b""
        if not isinstance(os.urandom, QueuedRandom):
            os.urandom = QueuedRandom(os.urandom)
        os.urandom.queue += b
        return {"pending": len(os.urandom.queue)}

    def op_xeddsa_sign(self, req):
        priv = self._hex(req, "private")
        if len(priv) != 32:
            raise PeerError("private must be 32 bytes")
        msg = self._hex(req, "message", False) or b""
        rnd = self._hex(req, "random", False)
        if rnd is None:
            rnd = os.urandom(64)
        if len(rnd) != 64:
            raise PeerError("random must be 64 bytes")
        sig = _curve.calculateSignature(rnd, clamp(priv), msg)
        return {"signature": bytes(sig).hex()}

    def op_xeddsa_verify(self, req):
        pub = decode_point(self._hex(req, "public"), "public")
        msg = self._hex(req, "message", False) or b""
        sig = self._hex(req, "signature")
        if len(sig) != 64:
            return {"valid": False}
        return {"valid": bool(Curve.verifySignature(pub, msg, sig))}

    def handle(self, req):
        op = req.get("op")
        fn = getattr(self, "op_" + str(op), None) if isinstance(op, str) else None
        if fn is None:
            raise PeerError("unknown op %s" % (op,))
        if self.store is None and op not in ("init", "xeddsa_sign", "xeddsa_verify", "queue_random",
                                             "root_step", "chain_keys", "x3dh_responder", "pqxdh_responder"):
            raise PeerError("not initialized")
        return fn(req)


def main():
    peer = Peer()
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        op = None
        try:
            req = json.loads(line)
            op = req.get("op")
            if op == "shutdown":
                res = {}
            else:
                res = peer.handle(req)
            res["ok"] = True
        except Exception as e:  # report every failure to the driver
            if not isinstance(e, PeerError):
                traceback.print_exc(file=sys.stderr)
            msg = str(e) if isinstance(e, PeerError) else "%s: %s" % (type(e).__name__, e)
            res = {"ok": False, "error": msg}
        sys.stdout.write(json.dumps(res) + "\n")
        sys.stdout.flush()
        if op == "shutdown":
            break


if __name__ == "__main__":
    main()

#!/usr/bin/env node
// Interop peer around npm @signalapp/libsignal-client 0.103.0 (AGPL-3.0; the
// official Rust libsignal through its Node binding). It speaks the v4
// profile only: PQXDH with a Kyber1024 prekey in every bundle, SPQR, 0x44
// messages. It cannot talk to the v3 peers.
//
// A thin driver speaking the JSON-lines peer protocol of interop/peer on
// stdin/stdout; logs go to stderr only. Bundles carry the extra fields
// kyber_prekey_id, kyber_prekey (1569 bytes, 0x08 type byte) and
// kyber_prekey_signature. init accepts an optional "name": the local
// address the library wants for encrypt/decrypt (default "local").
//
// XEdDSA: PrivateKey.sign draws its own randomness; an injected random is
// refused as unsupported.
'use strict';

const readline = require('readline');

console.log = console.error;
console.info = console.error;
console.debug = console.error;

const S = require('@signalapp/libsignal-client');

S.initLogger(S.LogLevel.Warn, (level, target, file, line, message) => {
    process.stderr.write(`libsignal[${level}] ${target}: ${message}\n`);
});

class PeerError extends Error {}

function hexField(obj, name, required = true) {
    const v = obj[name];
    if (v === undefined || v === null) {
        if (required) throw new PeerError(name + ' required');
        return null;
    }
    if (typeof v !== 'string' || v.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(v)) {
        throw new PeerError(name + ': bad hex');
    }
    return new Uint8Array(Buffer.from(v, 'hex'));
}

const hex = (u8) => Buffer.from(u8).toString('hex');

function privateKey(b) {
    if (!b) return S.PrivateKey.generate();
    if (b.length !== 32) throw new PeerError('private key must be 32 bytes');
    return S.PrivateKey.deserialize(b);
}

function publicKey(obj, name) {
    const b = hexField(obj, name);
    if (b.length !== 33 || b[0] !== 5) throw new PeerError(name + ': not a 33-byte 0x05 public key');
    return S.PublicKey.deserialize(b);
}

const key = (addr) => `${addr.name()}.${addr.deviceId()}`;

class SessionStore extends S.SessionStore {
    constructor() { super(); this.m = new Map(); }
    async saveSession(addr, record) { this.m.set(key(addr), record.serialize()); }
    async getSession(addr) {
        const b = this.m.get(key(addr));
        return b ? S.SessionRecord.deserialize(b) : null;
    }
    async getExistingSessions(addrs) {
        return addrs.map((a) => {
            const b = this.m.get(key(a));
            if (!b) throw new Error('no session for ' + key(a));
            return S.SessionRecord.deserialize(b);
        });
    }
}

// Trust on first use, then only the stored key.
class IdentityStore extends S.IdentityKeyStore {
    constructor(priv, regId) { super(); this.priv = priv; this.regId = regId; this.m = new Map(); }
    async getIdentityKey() { return this.priv; }
    async getLocalRegistrationId() { return this.regId; }
    async saveIdentity(addr, pub) {
        const old = this.m.get(key(addr));
        this.m.set(key(addr), pub);
        return old && !old.equals(pub) ? S.IdentityChange.ReplacedExisting : S.IdentityChange.NewOrUnchanged;
    }
    async isTrustedIdentity(addr, pub) {
        const old = this.m.get(key(addr));
        return !old || old.equals(pub);
    }
    async getIdentity(addr) { return this.m.get(key(addr)) || null; }
}

class PreKeyStore extends S.PreKeyStore {
    constructor() { super(); this.m = new Map(); }
    async savePreKey(id, r) { this.m.set(id, r.serialize()); }
    async getPreKey(id) {
        const b = this.m.get(id);
        if (!b) throw new Error('no prekey ' + id);
        return S.PreKeyRecord.deserialize(b);
    }
    async removePreKey(id) { this.m.delete(id); }
}

class SignedPreKeyStore extends S.SignedPreKeyStore {
    constructor() { super(); this.m = new Map(); }
    async saveSignedPreKey(id, r) { this.m.set(id, r.serialize()); }
    async getSignedPreKey(id) {
        const b = this.m.get(id);
        if (!b) throw new Error('no signed prekey ' + id);
        return S.SignedPreKeyRecord.deserialize(b);
    }
}

class KyberPreKeyStore extends S.KyberPreKeyStore {
    constructor() { super(); this.m = new Map(); this.used = []; }
    async saveKyberPreKey(id, r) { this.m.set(id, r.serialize()); }
    async getKyberPreKey(id) {
        const b = this.m.get(id);
        if (!b) throw new Error('no kyber prekey ' + id);
        return S.KyberPreKeyRecord.deserialize(b);
    }
    async markKyberPreKeyUsed(id, signedId, baseKey) { this.used.push([id, signedId, hex(baseKey.serialize())]); }
}

// Sender-key records per (sender address, distribution id). Group ops and
// fingerprint need no init: sender keys carry their own signing keys.
class SenderKeyStore extends S.SenderKeyStore {
    constructor() { super(); this.m = new Map(); }
    async saveSenderKey(sender, distributionId, record) {
        this.m.set(`${key(sender)}|${distributionId.toLowerCase()}`, record.serialize());
    }
    async getSenderKey(sender, distributionId) {
        const b = this.m.get(`${key(sender)}|${distributionId.toLowerCase()}`);
        return b ? S.SenderKeyRecord.deserialize(b) : null;
    }
}

const senderKeys = new SenderKeyStore();

function group(req) {
    if (typeof req.group !== 'string' || !/^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$/.test(req.group)) {
        throw new PeerError('group must be a distribution id (UUID string)');
    }
    return req.group.toLowerCase();
}

let st = null; // stores and identity after init
let nextPreKey = 0;
let nextKyber = 0;

function address(req) {
    if (typeof req.name !== 'string' || typeof req.device_id !== 'number') {
        throw new PeerError('name and device_id required');
    }
    return S.ProtocolAddress.new(req.name, req.device_id);
}

const ops = {
    async init(req) {
        if (req.seed) throw new PeerError('unsupported: seeded randomness');
        const priv = privateKey(hexField(req, 'identity_private', false));
        const deviceId = req.device_id || 1;
        st = {
            priv,
            regId: req.registration_id || 0,
            deviceId,
            local: S.ProtocolAddress.new(typeof req.name === 'string' ? req.name : 'local', deviceId),
            sessions: new SessionStore(),
            identities: new IdentityStore(priv, req.registration_id || 0),
            prekeys: new PreKeyStore(),
            signed: new SignedPreKeyStore(),
            kyber: new KyberPreKeyStore(),
        };
        return { identity_public: hex(priv.getPublicKey().serialize()) };
    },
    async bundle(req) {
        const spkId = req.signed_prekey_id || 0;
        const spkPriv = privateKey(hexField(req, 'signed_prekey_private', false));
        const spkPub = spkPriv.getPublicKey();
        const sig = st.priv.sign(spkPub.serialize());
        await st.signed.saveSignedPreKey(spkId, S.SignedPreKeyRecord.new(spkId, Date.now(), spkPub, spkPriv, sig));
        const kyberId = req.kyber_prekey_id == null ? nextKyber + 1 : req.kyber_prekey_id;
        nextKyber = kyberId;
        const kp = S.KEMKeyPair.generate();
        const kyberPub = kp.getPublicKey().serialize();
        const kyberSig = st.priv.sign(kyberPub);
        await st.kyber.saveKyberPreKey(kyberId, S.KyberPreKeyRecord.new(kyberId, Date.now(), kp, kyberSig));
        const out = {
            registration_id: st.regId,
            device_id: st.deviceId,
            identity_key: hex(st.priv.getPublicKey().serialize()),
            signed_prekey_id: spkId,
            signed_prekey: hex(spkPub.serialize()),
            signed_prekey_signature: hex(sig),
            kyber_prekey_id: kyberId,
            kyber_prekey: hex(kyberPub),
            kyber_prekey_signature: hex(kyberSig),
        };
        if (req.one_time) {
            const id = req.prekey_id == null ? nextPreKey + 1 : req.prekey_id;
            nextPreKey = id;
            const pk = privateKey(hexField(req, 'prekey_private', false));
            await st.prekeys.savePreKey(id, S.PreKeyRecord.new(id, pk.getPublicKey(), pk));
            out.prekey_id = id;
            out.prekey = hex(pk.getPublicKey().serialize());
        }
        return out;
    },
    // import_prekeys {signed_prekey_id, signed_prekey_private,
    // signed_prekey_signature, kyber_prekey_record, prekey_id?,
    // prekey_private?}: stores given prekeys (no generation), so that this
    // peer can play Bob of a published transcript. kyber_prekey_record is a
    // serialized KyberPreKeyRecord (libsignal's SignedPreKeyRecordStructure
    // with the KEM keys), since the API builds KEM key pairs only by
    // generating them.
    async import_prekeys(req) {
        const spkId = req.signed_prekey_id;
        if (!Number.isInteger(spkId)) throw new PeerError('signed_prekey_id required');
        const spkPriv = privateKey(hexField(req, 'signed_prekey_private'));
        await st.signed.saveSignedPreKey(spkId, S.SignedPreKeyRecord.new(spkId, Date.now(),
            spkPriv.getPublicKey(), spkPriv, hexField(req, 'signed_prekey_signature')));
        const kr = S.KyberPreKeyRecord.deserialize(hexField(req, 'kyber_prekey_record'));
        await st.kyber.saveKyberPreKey(kr.id(), kr);
        const out = { signed_prekey: hex(spkPriv.getPublicKey().serialize()), kyber_prekey_id: kr.id(),
            kyber_prekey: hex(kr.publicKey().serialize()) };
        if (req.prekey_id != null) {
            if (!Number.isInteger(req.prekey_id)) throw new PeerError('prekey_id must be an integer');
            const pk = privateKey(hexField(req, 'prekey_private'));
            await st.prekeys.savePreKey(req.prekey_id, S.PreKeyRecord.new(req.prekey_id, pk.getPublicKey(), pk));
            out.prekey = hex(pk.getPublicKey().serialize());
        }
        return out;
    },
    async process_bundle(req) {
        const addr = address(req);
        const b = req.bundle;
        if (!b || typeof b !== 'object') throw new PeerError('bundle required');
        if (b.kyber_prekey_id == null) throw new PeerError('bundle without a Kyber prekey (v4 requires one)');
        const hasPk = b.prekey_id != null;
        const bundle = S.PreKeyBundle.new(
            b.registration_id || 0, b.device_id || 0,
            hasPk ? b.prekey_id : null, hasPk ? publicKey(b, 'prekey') : null,
            b.signed_prekey_id || 0, publicKey(b, 'signed_prekey'), hexField(b, 'signed_prekey_signature'),
            publicKey(b, 'identity_key'),
            b.kyber_prekey_id, S.KEMPublicKey.deserialize(hexField(b, 'kyber_prekey')), hexField(b, 'kyber_prekey_signature'));
        await S.processPreKeyBundle(bundle, addr, st.local, st.sessions, st.identities);
        return {};
    },
    async encrypt(req) {
        const addr = address(req);
        const pt = hexField(req, 'plaintext', false) || new Uint8Array(0);
        const m = await S.signalEncrypt(pt, addr, st.local, st.sessions, st.identities);
        return { type: m.type(), body: hex(m.serialize()) };
    },
    async decrypt(req) {
        const addr = address(req);
        const body = hexField(req, 'body');
        let pt;
        if (req.type === 3) {
            pt = await S.signalDecryptPreKey(S.PreKeySignalMessage.deserialize(body), addr, st.local,
                st.sessions, st.identities, st.prekeys, st.signed, st.kyber);
        } else if (req.type === 2) {
            pt = await S.signalDecrypt(S.SignalMessage.deserialize(body), addr, st.local, st.sessions, st.identities);
        } else {
            throw new PeerError('unknown message type ' + req.type);
        }
        return { plaintext: hex(pt) };
    },
    async has_session(req) {
        const r = await st.sessions.getSession(address(req));
        return { has: !!r && r.hasCurrentState() };
    },
    async xeddsa_sign(req) {
        if (req.random != null) throw new PeerError('unsupported: libsignal-client draws its own XEdDSA random');
        const priv = hexField(req, 'private');
        if (priv.length !== 32) throw new PeerError('private must be 32 bytes');
        const msg = hexField(req, 'message', false) || new Uint8Array(0);
        return { signature: hex(S.PrivateKey.deserialize(priv).sign(msg)) };
    },
    async xeddsa_verify(req) {
        const pub = publicKey(req, 'public');
        const msg = hexField(req, 'message', false) || new Uint8Array(0);
        const sig = hexField(req, 'signature');
        if (sig.length !== 64) return { valid: false };
        return { valid: !!pub.verify(msg, sig) };
    },
    // Sender keys (current layout, with distribution ids). name/device_id
    // is our own address for group_create and group_encrypt, the sender's
    // for group_process, group_decrypt and sender_key_record.
    async group_create(req) {
        const m = await S.SenderKeyDistributionMessage.create(address(req), group(req), senderKeys);
        return { skdm: hex(m.serialize()) };
    },
    async group_process(req) {
        const m = S.SenderKeyDistributionMessage.deserialize(hexField(req, 'skdm'));
        await S.processSenderKeyDistributionMessage(address(req), m, senderKeys);
        return {};
    },
    async group_encrypt(req) {
        const pt = hexField(req, 'plaintext', false) || new Uint8Array(0);
        const m = await S.groupEncrypt(address(req), group(req), senderKeys, pt);
        return { body: hex(m.serialize()) };
    },
    async group_decrypt(req) {
        const pt = await S.groupDecrypt(address(req), senderKeys, hexField(req, 'body'));
        return { plaintext: hex(pt) };
    },
    // sender_key_record {group, name, device_id}: the stored record, "" if none.
    async sender_key_record(req) {
        const r = await senderKeys.getSenderKey(address(req), group(req));
        return { record: r ? hex(r.serialize()) : '' };
    },
    // fingerprint {iterations, version, local_id, local_key, remote_id,
    // remote_key}: the safety number (display) and the scannable encoding.
    async fingerprint(req) {
        if (!Number.isInteger(req.iterations) || !Number.isInteger(req.version)) {
            throw new PeerError('iterations and version required');
        }
        const f = S.Fingerprint.new(req.iterations, req.version,
            hexField(req, 'local_id', false) || new Uint8Array(0), publicKey(req, 'local_key'),
            hexField(req, 'remote_id', false) || new Uint8Array(0), publicKey(req, 'remote_key'));
        return {
            display: f.displayableFingerprint().toString(),
            scannable: hex(f.scannableFingerprint().toBuffer()),
        };
    },
    async shutdown() { return {}; },
};

async function main() {
    const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
    for await (const line of rl) {
        if (!line.trim()) continue;
        let res;
        let op;
        try {
            const req = JSON.parse(line);
            op = req.op;
            const fn = Object.prototype.hasOwnProperty.call(ops, op) ? ops[op] : null;
            if (!fn) throw new PeerError('unknown op ' + op);
            if (!st && !['init', 'xeddsa_sign', 'xeddsa_verify', 'shutdown', 'group_create', 'group_process',
                'group_encrypt', 'group_decrypt', 'sender_key_record', 'fingerprint'].includes(op)) {
                throw new PeerError('not initialized');
            }
            res = await fn(req);
            res.ok = true;
        } catch (e) {
            if (!(e instanceof PeerError)) console.error(e && e.stack ? e.stack : e);
            res = { ok: false, error: e instanceof PeerError ? e.message : `${e && e.name}: ${e && e.message}` };
        }
        process.stdout.write(JSON.stringify(res) + '\n');
        if (op === 'shutdown') break;
    }
    process.exit(0);
}

main();

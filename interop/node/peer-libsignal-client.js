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
const SealedSenderMultiRecipientMessage = require('@signalapp/libsignal-client/dist/SealedSenderMultiRecipientMessage.js').default;

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

// ---- Sealed sender (v1, v2 and the multi-recipient form) and recovery ----
//
// Certificates: ss_server_cert and ss_sender_cert make them with the given
// keys; ss_cert_info parses one, ss_validate validates one with
// validateWithTrustRoots. Times are Unix milliseconds.
//
// Envelopes: ss_encrypt seals one message for one device (v1:
// sealedSenderEncrypt; v2: sealedSenderMultiRecipientEncrypt to that one
// address, then sealedSenderMultiRecipientMessageForSingleRecipient, i.e.
// the 0x22 received form). ss_multi_encrypt returns the 0x23 sent message,
// ss_split parses one with SealedSenderMultiRecipientMessage as a server
// does. ss_decrypt is the receiving app: decrypt to the inner content
// (USMC), validate the certificate, refuse self-sends, then decrypt the
// inner message by its type. ss_usmc only opens the envelope.
//
// Errors of ss_decrypt and ss_validate start with a class: "untrusted:"
// (no trust root signed the server certificate), "revoked:" (the server
// key id is revoked), "expired:", "invalid-cert:" (a signature or field of
// the certificate is wrong), "self:" (a self-send), "version:" (unknown
// sealed-sender version), "invalid:" (the envelope does not open or parse);
// after the envelope and certificate passed, the inner message's failure is
// "inner:" followed by "duplicate:", "identity:" (untrusted identity),
// "no-session:", "no-sender-key:" or "invalid:" and libsignal's message.

const CiphertextType = { Whisper: 2, PreKey: 3, SenderKey: 7, Plaintext: 8 };
const REVOKED_KEY_IDS = [0xDEADC357];

function u32Field(obj, name, required = true) {
    const v = obj[name];
    if (v === undefined || v === null) {
        if (required) throw new PeerError(name + ' required');
        return null;
    }
    if (!Number.isInteger(v) || v < 0 || v > 0xFFFFFFFF) throw new PeerError(name + ': not a u32');
    return v;
}

function timeField(obj, name) {
    const v = obj[name];
    if (!Number.isSafeInteger(v) || v < 0) throw new PeerError(name + ': milliseconds required');
    return v;
}

function privField(obj, name) {
    const b = hexField(obj, name);
    if (b.length !== 32) throw new PeerError(name + ' must be 32 bytes');
    return S.PrivateKey.deserialize(b);
}

function trustRoots(req) {
    const list = Array.isArray(req.trust_roots) ? req.trust_roots : (req.trust_root != null ? [req.trust_root] : null);
    if (!list || list.length === 0) throw new PeerError('trust_roots (or trust_root) required');
    return list.map((h, i) => publicKey({ k: h }, 'k'));
}

// An error's class: the ErrorCode of libsignal's error, else its text.
function errorClass(e) {
    const code = e && e.code;
    const msg = String(e && e.message || e);
    if (code === S.ErrorCode.DuplicatedMessage) return 'duplicate';
    if (code === S.ErrorCode.UntrustedIdentity) return 'identity';
    if (code === S.ErrorCode.SealedSenderSelfSend) return 'self';
    if (code === S.ErrorCode.InvalidSenderKeySession || /missing sender key state|no sender key state/i.test(msg)) return 'no-sender-key';
    if (code === S.ErrorCode.InvalidSession || /session .*not found|no session/i.test(msg)) return 'no-session';
    if (/unknown sealed sender message version/i.test(msg)) return 'version';
    return 'invalid';
}

const errText = (e) => `${e && e.name}: ${e && e.message}`;

function certFields(c) {
    const sc = c.serverCertificate();
    return {
        uuid: c.senderUuid(),
        e164: c.senderE164() || '',
        device_id: c.senderDeviceId(),
        expires: c.expiration(),
        identity_key: hex(c.key().serialize()),
        server_key_id: sc.keyId(),
        server_key: hex(sc.key().serialize()),
        server_cert: hex(sc.serialize()),
        certificate: hex(c.certificate()),
        signature: hex(c.signature()),
    };
}

// The reason validateWithTrustRoots refused c (it only says false): the
// checks in libsignal's order, each with the npm API's primitives.
function refusal(c, roots, time) {
    const sc = c.serverCertificate();
    if (REVOKED_KEY_IDS.includes(sc.keyId())) return 'revoked: server certificate key id ' + sc.keyId().toString(16);
    if (!roots.some((r) => r.verify(sc.certificateData(), sc.signature()))) {
        return 'untrusted: server certificate signed by none of the trust roots';
    }
    if (!sc.key().verify(c.certificate(), c.signature())) return 'invalid-cert: sender certificate not signed by the server key';
    if (time > c.expiration()) return `expired: at ${c.expiration()}, now ${time}`;
    return 'invalid-cert: refused';
}

function validate(c, roots, time) {
    if (c.validateWithTrustRoots(roots, time)) return null;
    return refusal(c, roots, time);
}

function usmcFields(u) {
    const c = u.senderCertificate();
    const g = u.groupId();
    return {
        type: u.msgType(),
        sender_cert: hex(c.serialize()),
        sender_uuid: c.senderUuid(),
        sender_e164: c.senderE164() || '',
        device_id: c.senderDeviceId(),
        content: hex(u.contents()),
        content_hint: u.contentHint(),
        group_id: g ? hex(g) : '',
    };
}

// The inner message of an outgoing USMC: a session message to addr
// (plaintext), a PlaintextContent (plaintext_content), or a SenderKey
// message of the peer's own sender key (group + own address in
// sender_name/sender_device_id; plaintext).
async function innerMessage(req, addr) {
    if (req.plaintext_content != null) {
        return S.PlaintextContent.deserialize(hexField(req, 'plaintext_content')).asCiphertextMessage();
    }
    const pt = hexField(req, 'plaintext', false) || new Uint8Array(0);
    if (req.group != null) {
        if (typeof req.sender_name !== 'string' || !Number.isInteger(req.sender_device_id)) {
            throw new PeerError('group messages need sender_name and sender_device_id (own sending address)');
        }
        return S.groupEncrypt(S.ProtocolAddress.new(req.sender_name, req.sender_device_id), group(req), senderKeys, pt);
    }
    if (!addr) throw new PeerError('a session message needs exactly one recipient');
    return S.signalEncrypt(pt, addr, st.local, st.sessions, st.identities);
}

function usmcFor(req, inner) {
    const cert = S.SenderCertificate.deserialize(hexField(req, 'sender_cert'));
    const hint = req.content_hint == null ? S.ContentHint.Default : u32Field(req, 'content_hint');
    return S.UnidentifiedSenderMessageContent.new(inner, cert, hint, hexField(req, 'group_id', false));
}

async function multiEncrypt(usmc, addrs, excluded) {
    return S.sealedSenderMultiRecipientEncrypt({
        content: usmc,
        recipients: addrs,
        excludedRecipients: excluded.map((s) => S.ServiceId.parseFromServiceIdString(s)),
        identityStore: st.identities,
        sessionStore: st.sessions,
    });
}

Object.assign(ops, {
    // ss_server_cert {key_id, trust_root_private, server_public} -> {cert}
    async ss_server_cert(req) {
        const c = S.ServerCertificate.new(u32Field(req, 'key_id'), publicKey(req, 'server_public'), privField(req, 'trust_root_private'));
        return { cert: hex(c.serialize()) };
    },
    // ss_sender_cert {uuid, e164?, device_id, identity_public, expires,
    // server_cert, server_private} -> {cert}
    async ss_sender_cert(req) {
        if (typeof req.uuid !== 'string') throw new PeerError('uuid required');
        const c = S.SenderCertificate.new(req.uuid, req.e164 ? String(req.e164) : null, u32Field(req, 'device_id'),
            publicKey(req, 'identity_public'), timeField(req, 'expires'),
            S.ServerCertificate.deserialize(hexField(req, 'server_cert')), privField(req, 'server_private'));
        return { cert: hex(c.serialize()) };
    },
    // ss_cert_info {cert} -> the sender certificate's fields and its signer's.
    async ss_cert_info(req) {
        return certFields(S.SenderCertificate.deserialize(hexField(req, 'cert')));
    },
    // ss_validate {cert, trust_roots | trust_root, time} -> {valid, reason}
    async ss_validate(req) {
        const roots = trustRoots(req);
        const time = timeField(req, 'time');
        let c;
        try {
            c = S.SenderCertificate.deserialize(hexField(req, 'cert'));
        } catch (e) {
            return { valid: false, reason: 'invalid-cert: ' + errText(e) };
        }
        const why = validate(c, roots, time);
        return { valid: why === null, reason: why || '' };
    },
    // ss_encrypt {name, device_id, sender_cert, version (1|2), plaintext |
    // plaintext_content | group (+ sender_name, sender_device_id),
    // content_hint?, group_id?} -> {envelope, type}
    async ss_encrypt(req) {
        const addr = address(req);
        const version = req.version == null ? 1 : req.version;
        if (version !== 1 && version !== 2) throw new PeerError('version must be 1 or 2');
        const inner = await innerMessage(req, addr);
        const usmc = usmcFor(req, inner);
        let envelope;
        if (version === 1) {
            envelope = await S.sealedSenderEncrypt(usmc, addr, st.identities);
        } else {
            const sent = await multiEncrypt(usmc, [addr], []);
            envelope = S.sealedSenderMultiRecipientMessageForSingleRecipient(sent);
        }
        return { envelope: hex(envelope), type: inner.type() };
    },
    // ss_encrypt_plaintext_content: ss_encrypt with plaintext_content.
    async ss_encrypt_plaintext_content(req) {
        if (req.plaintext_content == null) throw new PeerError('plaintext_content required');
        return ops.ss_encrypt(req);
    },
    // ss_multi_encrypt {recipients: [{name, device_id}], excluded?: [service
    // id], sender_cert, group (+ sender_name, sender_device_id) + plaintext |
    // plaintext (one recipient) | plaintext_content, content_hint?,
    // group_id?} -> {sent, type}
    async ss_multi_encrypt(req) {
        if (!Array.isArray(req.recipients) || req.recipients.length === 0) throw new PeerError('recipients required');
        const addrs = req.recipients.map(address);
        const inner = await innerMessage(req, addrs.length === 1 ? addrs[0] : null);
        const sent = await multiEncrypt(usmcFor(req, inner), addrs, req.excluded || []);
        return { sent: hex(sent), type: inner.type() };
    },
    // ss_split {sent} -> {recipients: [{service_id, device_ids,
    // registration_ids, message}], excluded: [service id]}
    async ss_split(req) {
        const m = new SealedSenderMultiRecipientMessage(hexField(req, 'sent'));
        const rs = m.recipientsByServiceIdString();
        return {
            recipients: Object.keys(rs).map((sid) => ({
                service_id: sid,
                device_ids: rs[sid].deviceIds,
                registration_ids: rs[sid].registrationIds,
                message: hex(m.messageForRecipient(rs[sid])),
            })),
            excluded: [...m.excludedRecipientServiceIdStrings()],
        };
    },
    // ss_usmc {envelope} -> {type, sender_cert, sender_uuid, sender_e164,
    // device_id, content, content_hint, group_id}: opens the envelope only.
    async ss_usmc(req) {
        let u;
        try {
            u = await S.sealedSenderDecryptToUsmc(hexField(req, 'envelope'), st.identities);
        } catch (e) {
            throw new PeerError(errorClass(e) + ': ' + errText(e));
        }
        return usmcFields(u);
    },
    // ss_decrypt {envelope, trust_roots | trust_root, time, local_uuid,
    // local_e164?, local_device_id, one_call?} -> {sender_uuid, sender_e164,
    // device_id, type, content_hint, group_id, plaintext}. With one_call
    // (and one trust root) PreKey and Signal messages go through libsignal's
    // sealedSenderDecryptMessage instead of the steps.
    async ss_decrypt(req) {
        const envelope = hexField(req, 'envelope');
        const roots = trustRoots(req);
        const time = timeField(req, 'time');
        if (typeof req.local_uuid !== 'string') throw new PeerError('local_uuid required');
        const localDevice = u32Field(req, 'local_device_id');
        const localE164 = req.local_e164 ? String(req.local_e164) : null;
        let u;
        try {
            u = await S.sealedSenderDecryptToUsmc(envelope, st.identities);
        } catch (e) {
            throw new PeerError(errorClass(e) + ': ' + errText(e));
        }
        const c = u.senderCertificate();
        const why = validate(c, roots, time);
        if (why) throw new PeerError(why);
        const senderE164 = c.senderE164();
        if ((c.senderUuid() === req.local_uuid || (localE164 && senderE164 && localE164 === senderE164)) &&
            c.senderDeviceId() === localDevice) {
            throw new PeerError('self: sealed sender message from this device');
        }
        const out = usmcFields(u);
        delete out.sender_cert;
        delete out.content;
        const from = S.ProtocolAddress.new(c.senderUuid(), c.senderDeviceId());
        const local = S.ProtocolAddress.new(req.local_uuid, localDevice);
        const body = u.contents();
        let pt;
        try {
            switch (u.msgType()) {
            case CiphertextType.PreKey:
            case CiphertextType.Whisper:
                if (req.one_call && roots.length === 1) {
                    const r = await S.sealedSenderDecryptMessage(envelope, roots[0], time, localE164, req.local_uuid,
                        localDevice, st.sessions, st.identities, st.prekeys, st.signed, st.kyber);
                    pt = r.message();
                } else if (u.msgType() === CiphertextType.PreKey) {
                    pt = await S.signalDecryptPreKey(S.PreKeySignalMessage.deserialize(body), from, local,
                        st.sessions, st.identities, st.prekeys, st.signed, st.kyber);
                } else {
                    pt = await S.signalDecrypt(S.SignalMessage.deserialize(body), from, local, st.sessions, st.identities);
                }
                break;
            case CiphertextType.SenderKey:
                pt = await S.groupDecrypt(from, senderKeys, body);
                break;
            case CiphertextType.Plaintext:
                pt = S.PlaintextContent.deserialize(body).serialize();
                break;
            default:
                throw new PeerError('invalid: inner message type ' + u.msgType());
            }
        } catch (e) {
            if (e instanceof PeerError) throw e;
            throw new PeerError('inner:' + errorClass(e) + ': ' + errText(e));
        }
        out.plaintext = hex(pt);
        return out;
    },
    // dem_for_original {body, type, timestamp, device_id} -> {dem,
    // plaintext_content, timestamp, device_id, ratchet_key?}
    async dem_for_original(req) {
        const m = S.DecryptionErrorMessage.forOriginal(hexField(req, 'body'), u32Field(req, 'type'),
            timeField(req, 'timestamp'), u32Field(req, 'device_id'));
        return Object.assign(demFields(m), { plaintext_content: hex(S.PlaintextContent.from(m).serialize()) });
    },
    // dem_parse {dem} -> {dem, timestamp, device_id, ratchet_key?}
    async dem_parse(req) {
        return demFields(S.DecryptionErrorMessage.deserialize(hexField(req, 'dem')));
    },
    // dem_from_plaintext_content {plaintext_content} -> {body, dem,
    // timestamp, device_id, ratchet_key?}
    async dem_from_plaintext_content(req) {
        const body = S.PlaintextContent.deserialize(hexField(req, 'plaintext_content')).body();
        return Object.assign(demFields(S.DecryptionErrorMessage.extractFromSerializedBody(body)), { body: hex(body) });
    },
    // ratchet_key_matches {name, device_id, ratchet_key} -> {matches}
    // (false without a session)
    async ratchet_key_matches(req) {
        const r = await st.sessions.getSession(address(req));
        return { matches: !!r && r.currentRatchetKeyMatches(publicKey(req, 'ratchet_key')) };
    },
    // archive_session {name, device_id}: SessionRecord.archiveCurrentState, saved.
    async archive_session(req) {
        const addr = address(req);
        const r = await st.sessions.getSession(addr);
        if (r) {
            r.archiveCurrentState();
            await st.sessions.saveSession(addr, r);
        }
        return { had: !!r };
    },
    // delete_session {name, device_id}: forgets the record (a lost session).
    async delete_session(req) {
        return { had: st.sessions.m.delete(key(address(req))) };
    },
    // session_record {name, device_id} -> {record} ("" if none)
    async session_record(req) {
        const b = st.sessions.m.get(key(address(req)));
        return { record: b ? hex(b) : '' };
    },
    // delete_sender_key {group, name, device_id}: forgets a sender's key.
    async delete_sender_key(req) {
        return { had: senderKeys.m.delete(`${key(address(req))}|${group(req)}`) };
    },
});

function demFields(m) {
    const rk = m.ratchetKey();
    const out = { dem: hex(m.serialize()), timestamp: m.timestamp(), device_id: m.deviceId() };
    if (rk) out.ratchet_key = hex(rk.serialize());
    return out;
}

// ---- Continuation: a device's whole state out and in (issue #19) ----
//
// export_state -> {identity_key_pair, registration_id, device_id, name,
// sessions: [{name, device_id, record}], identities: [{name, device_id,
// record}], prekeys, signed_prekeys, kyber_prekeys: [{id, record}],
// sender_keys: [{group, name, device_id, record}]}: every record as the
// library serialized it (the stores keep serialize() output; identities
// are IdentityKey serializations). import_state takes the same object and
// replaces the identity and every store (it stands in for init; name is
// the local address). The Go side is interop/peer/records.go.

// "name.device" store keys back to their parts (names may contain dots).
function splitKey(k) {
    const i = k.lastIndexOf('.');
    return { name: k.slice(0, i), device_id: Number(k.slice(i + 1)) };
}

function idRecords(m) {
    return [...m.entries()].map(([id, b]) => ({ id, record: hex(b) }));
}

function entries(req, name) {
    const v = req[name];
    if (v == null) return [];
    if (!Array.isArray(v)) throw new PeerError(name + ' must be a list');
    return v;
}

Object.assign(ops, {
    async export_state() {
        const sender_keys = [...senderKeys.m.entries()].map(([k, b]) => {
            const bar = k.lastIndexOf('|');
            return Object.assign(splitKey(k.slice(0, bar)), { group: k.slice(bar + 1), record: hex(b) });
        });
        return {
            identity_key_pair: hex(new S.IdentityKeyPair(st.priv.getPublicKey(), st.priv).serialize()),
            registration_id: st.regId,
            device_id: st.deviceId,
            name: st.local.name(),
            sessions: [...st.sessions.m.entries()].map(([k, b]) => Object.assign(splitKey(k), { record: hex(b) })),
            identities: [...st.identities.m.entries()].map(([k, pub]) =>
                Object.assign(splitKey(k), { record: hex(pub.serialize()) })),
            prekeys: idRecords(st.prekeys.m),
            signed_prekeys: idRecords(st.signed.m),
            kyber_prekeys: idRecords(st.kyber.m),
            sender_keys,
        };
    },
    async import_state(req) {
        const pair = S.IdentityKeyPair.deserialize(hexField(req, 'identity_key_pair'));
        const regId = req.registration_id || 0;
        const deviceId = req.device_id || 1;
        const s = {
            priv: pair.privateKey,
            regId,
            deviceId,
            local: S.ProtocolAddress.new(typeof req.name === 'string' ? req.name : 'local', deviceId),
            sessions: new SessionStore(),
            identities: new IdentityStore(pair.privateKey, regId),
            prekeys: new PreKeyStore(),
            signed: new SignedPreKeyStore(),
            kyber: new KyberPreKeyStore(),
        };
        // Each record goes through the library's own parser before it is kept.
        for (const e of entries(req, 'sessions')) {
            await s.sessions.saveSession(address(e), S.SessionRecord.deserialize(hexField(e, 'record')));
        }
        for (const e of entries(req, 'identities')) {
            await s.identities.saveIdentity(address(e), S.PublicKey.deserialize(hexField(e, 'record')));
        }
        for (const e of entries(req, 'prekeys')) {
            await s.prekeys.savePreKey(e.id, S.PreKeyRecord.deserialize(hexField(e, 'record')));
        }
        for (const e of entries(req, 'signed_prekeys')) {
            await s.signed.saveSignedPreKey(e.id, S.SignedPreKeyRecord.deserialize(hexField(e, 'record')));
        }
        for (const e of entries(req, 'kyber_prekeys')) {
            await s.kyber.saveKyberPreKey(e.id, S.KyberPreKeyRecord.deserialize(hexField(e, 'record')));
        }
        const sks = [];
        for (const e of entries(req, 'sender_keys')) {
            sks.push([address(e), group(e), S.SenderKeyRecord.deserialize(hexField(e, 'record'))]);
        }
        st = s;
        senderKeys.m.clear();
        for (const [a, g, r] of sks) await senderKeys.saveSenderKey(a, g, r);
        return {};
    },
});

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
                'group_encrypt', 'group_decrypt', 'sender_key_record', 'fingerprint', 'ss_server_cert',
                'ss_sender_cert', 'ss_cert_info', 'ss_validate', 'ss_split', 'dem_for_original', 'dem_parse',
                'dem_from_plaintext_content', 'delete_sender_key', 'import_state'].includes(op)) {
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

#!/usr/bin/env node
// Interop peer around npm libsignal 6.0.0 (GPL-3.0; the WhatsApp-Web
// libraries' fork). A thin driver speaking the JSON-lines peer protocol of
// interop/peer on stdin/stdout; logs go to stderr only.
//
// Library quirks handled here:
//  - It calls SignalMessage type 1; the peer says 2 on the protocol (both ways).
//  - SessionBuilder.initOutgoing does not check the signed-prekey signature
//    (it passes isInit=true to verifySignature, which then returns true), so
//    process_bundle verifies it itself with the library's curve.verifySignature
//    and refuses a bad one.
//  - It writes diagnostics with console.log/info/debug (stdout); those are
//    redirected to stderr so the JSON stream stays clean.
//  - A one-time prekey id of 0 is dropped from PreKey messages (falsy test).
//  - Its signatures (curve.calculateSignature) pass no random to
//    curve25519-js, so they are deterministic; xeddsa_sign with "random" calls
//    curve25519-js sign(priv, msg, random) directly.
//  - No seeded randomness: keys come from node's crypto.generateKeyPairSync, except
//    key pairs drawn from bytes given to queue_random (see below).
'use strict';

const nodeCrypto = require('crypto');
const readline = require('readline');

// Keep stdout for the protocol.
console.log = console.error;
console.info = console.error;
console.debug = console.error;

const libsignal = require('libsignal');
const curveJs = require('curve25519-js');
const { MlKem1024 } = require('crystals-kyber-js');
const kyberRound3 = require('crystals-kyber');

const { curve, SessionBuilder, SessionCipher, SessionRecord, ProtocolAddress } = libsignal;

// queue_random: key pairs the library generates (base keys, ratchet keys)
// come from the queued bytes first, 32 per key pair, clamped, before node's
// generator. The library calls curve.generateKeyPair through its module
// object, so replacing the export reaches every call.
let queued = Buffer.alloc(0);
const originalGenerateKeyPair = curve.generateKeyPair;
curve.generateKeyPair = function () {
    if (queued.length >= 32) {
        const seed = queued.subarray(0, 32);
        queued = queued.subarray(32);
        return keyPair(seed);
    }
    return originalGenerateKeyPair.apply(this, arguments);
};

const X25519_PKCS8_PREFIX = Buffer.from([48, 46, 2, 1, 0, 48, 5, 6, 3, 43, 101, 110, 4, 34, 4, 32]);

class PeerError extends Error {}

function clamp(k) {
    const c = Buffer.from(k);
    c[0] &= 248;
    c[31] &= 127;
    c[31] |= 64;
    return c;
}

// keyPair returns {pubKey: 33-byte 0x05 form, privKey: 32 bytes}.
function keyPair(priv) {
    if (!priv) return curve.generateKeyPair();
    if (priv.length !== 32) throw new PeerError('private key must be 32 bytes');
    const privKey = clamp(priv);
    const ko = nodeCrypto.createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, privKey]), format: 'der', type: 'pkcs8' });
    const spki = nodeCrypto.createPublicKey(ko).export({ format: 'der', type: 'spki' });
    return { pubKey: Buffer.concat([Buffer.from([5]), spki.subarray(spki.length - 32)]), privKey };
}

function hexField(obj, name, required = true) {
    const v = obj[name];
    if (v === undefined || v === null) {
        if (required) throw new PeerError(name + ' required');
        return null;
    }
    if (typeof v !== 'string' || v.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(v)) {
        throw new PeerError(name + ': bad hex');
    }
    return Buffer.from(v, 'hex');
}

function pub33(obj, name) {
    const b = hexField(obj, name);
    if (b.length !== 33 || b[0] !== 5) throw new PeerError(name + ': not a 33-byte 0x05 public key');
    return b;
}

// In-memory storage in the shape the library expects; sessions are kept
// serialized so a failed decrypt cannot leave a half-updated record behind.
class Storage {
    constructor(identity, registrationId) {
        this.identity = identity;
        this.registrationId = registrationId;
        this.trusted = new Map();
        this.prekeys = new Map();
        this.signed = new Map();
        this.sessions = new Map();
    }
    async getOurIdentity() { return this.identity; }
    async getOurRegistrationId() { return this.registrationId; }
    // Trust on first use. The library passes either "name" or "name.device".
    async isTrustedIdentity(id, key) {
        const t = this.trusted.get(id);
        if (!t) {
            this.trusted.set(id, Buffer.from(key));
            return true;
        }
        return t.equals(key);
    }
    async loadPreKey(id) { return this.prekeys.get(id); }
    async removePreKey(id) { this.prekeys.delete(id); }
    async loadSignedPreKey(id) { return this.signed.get(id); }
    async loadSession(addr) {
        const s = this.sessions.get(addr);
        return s ? SessionRecord.deserialize(JSON.parse(s)) : undefined;
    }
    async storeSession(addr, record) { this.sessions.set(addr, JSON.stringify(record.serialize())); }
}

let storage = null;
let nextPreKey = 0;

function address(req) {
    if (typeof req.name !== 'string' || typeof req.device_id !== 'number') {
        throw new PeerError('name and device_id required');
    }
    return new ProtocolAddress(req.name, req.device_id);
}

const ops = {
    async init(req) {
        const kp = keyPair(hexField(req, 'identity_private', false));
        storage = new Storage(kp, req.registration_id || 0);
        storage.deviceId = req.device_id || 0;
        return { identity_public: kp.pubKey.toString('hex') };
    },
    async bundle(req) {
        const spkId = req.signed_prekey_id || 0;
        const spk = keyPair(hexField(req, 'signed_prekey_private', false));
        const sig = curve.calculateSignature(storage.identity.privKey, spk.pubKey);
        storage.signed.set(spkId, spk);
        const out = {
            registration_id: storage.registrationId,
            device_id: storage.deviceId,
            identity_key: storage.identity.pubKey.toString('hex'),
            signed_prekey_id: spkId,
            signed_prekey: spk.pubKey.toString('hex'),
            signed_prekey_signature: sig.toString('hex'),
        };
        if (req.one_time) {
            const id = req.prekey_id == null ? nextPreKey + 1 : req.prekey_id;
            nextPreKey = id;
            const pk = keyPair(hexField(req, 'prekey_private', false));
            storage.prekeys.set(id, pk);
            out.prekey_id = id;
            out.prekey = pk.pubKey.toString('hex');
        }
        return out;
    },
    async process_bundle(req) {
        const addr = address(req);
        const b = req.bundle;
        if (!b || typeof b !== 'object') throw new PeerError('bundle required');
        const identityKey = pub33(b, 'identity_key');
        const spk = pub33(b, 'signed_prekey');
        const sig = hexField(b, 'signed_prekey_signature');
        // The library skips this check (isInit=true); do it here.
        if (sig.length !== 64 || !curve.verifySignature(identityKey, spk, sig)) {
            throw new PeerError('invalid signed prekey signature');
        }
        const device = {
            identityKey,
            registrationId: b.registration_id || 0,
            signedPreKey: { keyId: b.signed_prekey_id || 0, publicKey: spk, signature: sig },
        };
        if (b.prekey_id != null) {
            device.preKey = { keyId: b.prekey_id, publicKey: pub33(b, 'prekey') };
        }
        await new SessionBuilder(storage, addr).initOutgoing(device);
        return {};
    },
    async encrypt(req) {
        const addr = address(req);
        const pt = hexField(req, 'plaintext', false) || Buffer.alloc(0);
        const m = await new SessionCipher(storage, addr).encrypt(pt);
        const type = m.type === 1 ? 2 : m.type; // library says 1 for SignalMessage
        return { type, body: Buffer.from(m.body).toString('hex') };
    },
    async decrypt(req) {
        const addr = address(req);
        const body = hexField(req, 'body');
        const c = new SessionCipher(storage, addr);
        let pt;
        if (req.type === 3) pt = await c.decryptPreKeyWhisperMessage(body);
        else if (req.type === 2) pt = await c.decryptWhisperMessage(body);
        else throw new PeerError('unknown message type ' + req.type);
        return { plaintext: Buffer.from(pt).toString('hex') };
    },
    async has_session(req) {
        const addr = address(req);
        return { has: await new SessionCipher(storage, addr).hasOpenSession() };
    },
    async xeddsa_sign(req) {
        const priv = hexField(req, 'private');
        if (priv.length !== 32) throw new PeerError('private must be 32 bytes');
        const msg = hexField(req, 'message', false) || Buffer.alloc(0);
        const rnd = hexField(req, 'random', false);
        let sig;
        if (rnd) {
            if (rnd.length !== 64) throw new PeerError('random must be 64 bytes');
            sig = Buffer.from(curveJs.sign(clamp(priv), msg, rnd));
        } else {
            sig = curve.calculateSignature(clamp(priv), msg);
        }
        return { signature: sig.toString('hex') };
    },
    async xeddsa_verify(req) {
        const pub = pub33(req, 'public');
        const msg = hexField(req, 'message', false) || Buffer.alloc(0);
        const sig = hexField(req, 'signature');
        if (sig.length !== 64) return { valid: false };
        return { valid: !!curve.verifySignature(pub, msg, sig) };
    },
    // Known-answer KEM ops for the generated vectors (vectors/data/pqxdh.json,
    // transcript_v4.json), on two independent JavaScript KEMs, not on
    // libsignal: crystals-kyber-js (ML-KEM-1024, FIPS 203) and crystals-kyber
    // (round-3 Kyber1024). Keys and ciphertexts are raw (no type byte). An
    // ML-KEM-1024 decapsulation key is also a round-3 Kyber1024 secret key
    // (same layout), so both KEMs take the key pair derived from the 64-byte
    // seed d || z.
    async kem_keypair(req) {
        const seed = hexField(req, 'seed');
        const [pk, sk] = await new MlKem1024().deriveKeyPair(new Uint8Array(seed));
        return { public: Buffer.from(pk).toString('hex'), secret: Buffer.from(sk).toString('hex') };
    },
    async kem_encap(req) {
        const pk = new Uint8Array(hexField(req, 'public'));
        const rnd = new Uint8Array(hexField(req, 'random'));
        if (rnd.length !== 32) throw new PeerError('random must be 32 bytes');
        let ct, ss;
        if (req.kem === 'ML-KEM-1024') {
            [ct, ss] = await new MlKem1024().encap(pk, rnd); // rnd is FIPS 203's m
        } else if (req.kem === 'Kyber1024') {
            // crystals-kyber draws its coins from webcrypto.getRandomValues.
            const wc = nodeCrypto.webcrypto;
            const orig = wc.getRandomValues;
            wc.getRandomValues = (a) => { a.set(rnd.subarray(0, a.length)); return a; };
            try {
                [ct, ss] = kyberRound3.Encrypt1024(pk);
            } finally {
                wc.getRandomValues = orig;
            }
        } else {
            throw new PeerError('unknown kem ' + req.kem);
        }
        return { ciphertext: Buffer.from(ct).toString('hex'), shared_secret: Buffer.from(ss).toString('hex') };
    },
    async kem_decap(req) {
        const sk = new Uint8Array(hexField(req, 'secret'));
        const ct = new Uint8Array(hexField(req, 'ciphertext'));
        let ss;
        if (req.kem === 'ML-KEM-1024') ss = await new MlKem1024().decap(ct, sk);
        else if (req.kem === 'Kyber1024') ss = kyberRound3.Decrypt1024(ct, sk);
        else throw new PeerError('unknown kem ' + req.kem);
        return { shared_secret: Buffer.from(ss).toString('hex') };
    },
    async queue_random(req) {
        const b = hexField(req, 'bytes', false) || Buffer.alloc(0);
        queued = Buffer.concat([queued, b]);
        return { pending: queued.length };
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
            if (!storage && !['init', 'xeddsa_sign', 'xeddsa_verify', 'queue_random', 'kem_keypair', 'kem_encap', 'kem_decap', 'shutdown'].includes(op)) {
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

#!/usr/bin/env node
// Scenario benchmarks of the official libsignal (npm @signalapp/libsignal-client
// 0.103.0, AGPL-3.0: the Rust library through its Node binding), the same
// scenarios as bench/ (see bench/scenario_test.go), v4 only: PQXDH with a
// Kyber1024 last-resort prekey, Double Ratchet + SPQR (libsignal always runs
// SPQR for new sessions, as this library's v4 does).
//
// Timing is done here, in Node, around the library calls: every number
// includes the JS <-> Rust FFI crossings, the async store callbacks and the
// Promise machinery. ns/op is wall time; cpu-ns/op is process.cpuUsage()
// (user + system, all threads) per operation.
//
// Output is Go benchmark format, one line per run, so that benchstat and
// bench/cmd/results read it with the Go results:
//
//   BenchmarkOneWay100/impl=libsignal-node-v4/store=objects  N  X ns/op  Y cpu-ns/op
//
// Usage: node [--expose-gc] bench-libsignal-client.js [-benchtime 1s|Nx]
//            [-multibenchtime 1s|Nx] [-count N] [-bench REGEXP]
//
// -multibenchtime (default: -benchtime) is the benchtime of
// MultiRecipient1000/encrypt, whose operations take about 100 ms. With
// --expose-gc the sealed-sender scenarios collect their setup's garbage
// before they are timed.
'use strict';

const crypto = require('node:crypto');
const S = require('@signalapp/libsignal-client');
const SealedSenderMultiRecipientMessage = require('@signalapp/libsignal-client/dist/SealedSenderMultiRecipientMessage.js').default;

S.initLogger(S.LogLevel.Warn, (level, target, file, line, message) => {
    process.stderr.write(`libsignal[${level}] ${target}: ${message}\n`);
});

const args = { benchtime: '1s', multibenchtime: '', count: 1, bench: '.' };
for (let i = 2; i < process.argv.length; i += 2) {
    const k = process.argv[i].replace(/^-+/, '');
    if (!(k in args) || i + 1 >= process.argv.length) {
        process.stderr.write('usage: bench-libsignal-client.js [-benchtime 1s|Nx] [-multibenchtime 1s|Nx] [-count N] [-bench REGEXP]\n');
        process.exit(2);
    }
    args[k] = k === 'count' ? Number(process.argv[i + 1]) : process.argv[i + 1];
}
const filter = new RegExp(args.bench);

// benchtime returns the fixed iteration count (Nx) or the target time in ns.
function benchtime(s) {
    const fixedN = /^\d+x$/.test(s) ? Number(s.slice(0, -1)) : 0;
    return { fixedN, targetNs: fixedN ? 0 : Number.parseFloat(s) * 1e9 };
}

const IMPL = 'libsignal-node-v4';

const key = (addr) => `${addr.name()}.${addr.deviceId()}`;

// Session store: "objects" keeps SessionRecord objects, "serialized" keeps
// serialize() bytes and deserializes on every load.
class SessionStore extends S.SessionStore {
    constructor(serialized) { super(); this.serialized = serialized; this.m = new Map(); }
    async saveSession(addr, record) { this.m.set(key(addr), this.serialized ? record.serialize() : record); }
    async getSession(addr) {
        const v = this.m.get(key(addr));
        if (!v) return null;
        return this.serialized ? S.SessionRecord.deserialize(v) : v;
    }
    async getExistingSessions(addrs) {
        return Promise.all(addrs.map((a) => this.getSession(a)));
    }
    delete(addr) { this.m.delete(key(addr)); }
}

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
    async savePreKey(id, r) { this.m.set(id, r); }
    async getPreKey(id) {
        const r = this.m.get(id);
        if (!r) throw new Error('no prekey ' + id);
        return r;
    }
    async removePreKey(id) { this.m.delete(id); }
}

class SignedPreKeyStore extends S.SignedPreKeyStore {
    constructor() { super(); this.m = new Map(); }
    async saveSignedPreKey(id, r) { this.m.set(id, r); }
    async getSignedPreKey(id) {
        const r = this.m.get(id);
        if (!r) throw new Error('no signed prekey ' + id);
        return r;
    }
}

class KyberPreKeyStore extends S.KyberPreKeyStore {
    constructor() { super(); this.m = new Map(); }
    async saveKyberPreKey(id, r) { this.m.set(id, r); }
    async getKyberPreKey(id) {
        const r = this.m.get(id);
        if (!r) throw new Error('no kyber prekey ' + id);
        return r;
    }
    async markKyberPreKeyUsed() {} // last-resort key: kept
}

// Sender-key store: "objects" keeps SenderKeyRecord objects, "serialized"
// keeps serialize() bytes.
class SenderKeyStore extends S.SenderKeyStore {
    constructor(serialized) { super(); this.serialized = serialized; this.m = new Map(); }
    async saveSenderKey(sender, distributionId, record) {
        this.m.set(`${key(sender)}|${distributionId}`, this.serialized ? record.serialize() : record);
    }
    async getSenderKey(sender, distributionId) {
        const v = this.m.get(`${key(sender)}|${distributionId}`);
        if (!v) return null;
        return this.serialized ? S.SenderKeyRecord.deserialize(v) : v;
    }
}

class Device {
    constructor(name, regId, serialized) {
        this.priv = S.PrivateKey.generate();
        this.addr = S.ProtocolAddress.new(name, 1);
        this.sessions = new SessionStore(serialized);
        this.identities = new IdentityStore(this.priv, regId);
        this.prekeys = new PreKeyStore();
        this.signed = new SignedPreKeyStore();
        this.kyber = new KyberPreKeyStore();
        this.regId = regId;
    }

    // bundle gives the device a signed prekey, a one-time prekey and a
    // last-resort Kyber1024 prekey, and returns the bundle and the one-time
    // prekey record.
    bundle() {
        const spk = S.PrivateKey.generate();
        const spkSig = this.priv.sign(spk.getPublicKey().serialize());
        this.signed.m.set(1, S.SignedPreKeyRecord.new(1, Date.now(), spk.getPublicKey(), spk, spkSig));
        const opk = S.PrivateKey.generate();
        const opkRec = S.PreKeyRecord.new(1, opk.getPublicKey(), opk);
        this.prekeys.m.set(1, opkRec);
        const kp = S.KEMKeyPair.generate();
        const kyberSig = this.priv.sign(kp.getPublicKey().serialize());
        this.kyber.m.set(1, S.KyberPreKeyRecord.new(1, Date.now(), kp, kyberSig));
        const bundle = S.PreKeyBundle.new(this.regId, 1, 1, opk.getPublicKey(), 1, spk.getPublicKey(), spkSig,
            this.priv.getPublicKey(), 1, kp.getPublicKey(), kyberSig);
        return { bundle, opkRec };
    }
}

// send: encrypt at `from` for `to`, serialize, parse and decrypt at `to`.
async function encrypt(from, toAddr, pt) {
    return S.signalEncrypt(pt, toAddr, from.addr, from.sessions, from.identities);
}

async function decrypt(to, fromAddr, m) {
    const body = m.serialize();
    if (m.type() === S.CiphertextMessageType.PreKey) {
        return S.signalDecryptPreKey(S.PreKeySignalMessage.deserialize(body), fromAddr, to.addr,
            to.sessions, to.identities, to.prekeys, to.signed, to.kyber);
    }
    return S.signalDecrypt(S.SignalMessage.deserialize(body), fromAddr, to.addr, to.sessions, to.identities);
}

function check(got, want) {
    if (got.length !== want.length || Buffer.compare(Buffer.from(got), Buffer.from(want)) !== 0) {
        throw new Error(`plaintext of ${got.length} bytes, want ${want.length}`);
    }
}

function message(n) {
    const p = new Uint8Array(n);
    for (let i = 0; i < n; i++) p[i] = i & 0xff;
    return p;
}

class Pair {
    static async create(serialized) {
        const p = new Pair();
        p.d = [new Device('alice', 1, serialized), new Device('bob', 2, serialized)];
        const { bundle } = p.d[1].bundle();
        await S.processPreKeyBundle(bundle, p.d[1].addr, p.d[0].addr, p.d[0].sessions, p.d[0].identities);
        const pt = message(100);
        await p.send(0, pt);
        await p.send(1, pt); // acknowledged
        return p;
    }
    async send(from, pt) {
        const m = await encrypt(this.d[from], this.d[1 - from].addr, pt);
        check(await decrypt(this.d[1 - from], this.d[from].addr, m), pt);
    }
    async drop(from, pt) { await encrypt(this.d[from], this.d[1 - from].addr, pt); }
}

async function runBench(name, makeOp, bytes, bt = args.benchtime) {
    if (!filter.test(name)) return;
    const { fixedN, targetNs } = benchtime(bt);
    for (let c = 0; c < args.count; c++) {
        const op = await makeOp();
        let n = fixedN || 1;
        for (;;) {
            const cpu0 = process.cpuUsage();
            const t0 = process.hrtime.bigint();
            for (let i = 0; i < n; i++) await op();
            const dt = Number(process.hrtime.bigint() - t0);
            const cpu = process.cpuUsage(cpu0);
            if (fixedN || dt >= targetNs || n >= 1e9) {
                const cpuNs = (cpu.user + cpu.system) * 1000;
                let line = `Benchmark${name}\t${n}\t${(dt / n).toFixed(0)} ns/op`;
                if (bytes) line += `\t${(bytes * n / (dt / 1e9) / 1e6).toFixed(2)} MB/s`;
                line += `\t${(cpuNs / n).toFixed(0)} cpu-ns/op`;
                if (op.size) line += `\t${op.size} record-B`;
                process.stdout.write(line + '\n');
                break;
            }
            // Aim 20% past the target, growing at most 100x (as testing.B does).
            const next = Math.ceil(n * 1.2 * targetNs / Math.max(dt, 1));
            n = Math.min(Math.max(next, n + 1), 100 * n);
        }
    }
}

const STORES = ['objects', 'serialized'];

async function main() {
    const pt100 = message(100);
    const tag = (scenario, store) => `${scenario}/impl=${IMPL}/store=${store}`;

    for (const store of STORES) {
        await runBench(tag('Setup', store), async () => {
            const alice = new Device('alice', 1, store === 'serialized');
            const bob = new Device('bob', 2, store === 'serialized');
            const { bundle, opkRec } = bob.bundle();
            return async () => {
                bob.prekeys.m.set(1, opkRec); // the handshake consumes it
                await S.processPreKeyBundle(bundle, bob.addr, alice.addr, alice.sessions, alice.identities);
                const m = await encrypt(alice, bob.addr, pt100);
                check(await decrypt(bob, alice.addr, m), pt100);
                alice.sessions.delete(bob.addr);
                bob.sessions.delete(alice.addr);
            };
        });
    }
    for (const [scenario, size] of [['OneWay100', 100], ['PingPong100', 100], ['OneWay16KiB', 16 << 10]]) {
        const pt = message(size);
        for (const store of STORES) {
            await runBench(tag(scenario, store), async () => {
                const p = await Pair.create(store === 'serialized');
                if (scenario === 'PingPong100') {
                    let i = 0;
                    return async () => { await p.send(i & 1, pt); i++; };
                }
                await p.send(0, pt);
                return async () => p.send(0, pt);
            }, size);
        }
    }
    for (const store of STORES) {
        await runBench(tag('Skipped1500', store), async () => {
            const p = await Pair.create(store === 'serialized');
            for (let i = 0; i < 1500; i++) await p.drop(0, pt100);
            await p.send(0, pt100);
            return async () => p.send(0, pt100);
        }, 100);
    }
    for (const skipped of [0, 2000]) {
        await runBench(`Record/skipped=${skipped}/impl=${IMPL}/store=none`, async () => {
            const p = await Pair.create(false);
            for (let i = 0; i < skipped; i++) await p.drop(0, pt100);
            await p.send(0, pt100);
            const rec = await p.d[1].sessions.getSession(p.d[0].addr);
            const op = async () => { S.SessionRecord.deserialize(rec.serialize()); };
            op.size = rec.serialize().length;
            return op;
        });
    }
    // Fan-out: sequential only. The calls are async but run on the JS thread
    // (one at a time); libsignal's multi-recipient API is sealed sender, a
    // different construction, so it is not used here.
    for (const store of STORES) {
        await runBench(`Fanout1000/seq/impl=${IMPL}/store=${store}`, async () => {
            const serialized = store === 'serialized';
            const alice = new Device('alice', 1, serialized);
            const bob = new Device('bob', 2, serialized);
            const { bundle, opkRec } = bob.bundle();
            const to = [];
            for (let i = 0; i < 1000; i++) {
                const toAddr = S.ProtocolAddress.new(`bob-${i}`, 1);
                const fromAddr = S.ProtocolAddress.new(`alice-${i}`, 1);
                bob.prekeys.m.set(1, opkRec);
                await S.processPreKeyBundle(bundle, toAddr, fromAddr, alice.sessions, alice.identities);
                let m = await S.signalEncrypt(pt100, toAddr, fromAddr, alice.sessions, alice.identities);
                check(await decrypt({ ...bob, addr: toAddr }, fromAddr, m), pt100);
                m = await S.signalEncrypt(pt100, fromAddr, toAddr, bob.sessions, bob.identities);
                check(await decrypt({ ...alice, addr: fromAddr }, toAddr, m), pt100);
                to.push([toAddr, fromAddr]);
            }
            return async () => {
                for (const [toAddr, fromAddr] of to) {
                    await S.signalEncrypt(pt100, toAddr, fromAddr, alice.sessions, alice.identities);
                }
            };
        });
    }
}

// ---- Sealed sender (issue 15): the scenarios of bench/sealedsender_test.go ----

// NOW is the time certificates are validated at (ms); they expire a day
// later.
const NOW = 1_800_000_000_000;

// SSWorld is a trust root and a server certificate; device() makes a device
// whose name is a fresh ACI, with a sender certificate and a sender-key
// store.
class SSWorld {
    constructor() {
        this.root = S.PrivateKey.generate();
        this.rootPub = this.root.getPublicKey();
        this.serverKey = S.PrivateKey.generate();
        this.server = S.ServerCertificate.new(7, this.serverKey.getPublicKey(), this.root);
    }
    device(regId, serialized) {
        const uuid = crypto.randomUUID();
        const d = new Device(uuid, regId, serialized);
        d.uuid = uuid;
        d.cert = S.SenderCertificate.new(uuid, null, 1, d.priv.getPublicKey(), NOW + 86400000, this.server, this.serverKey);
        d.senderKeys = new SenderKeyStore(serialized);
        return d;
    }
}

// connect gives a an acknowledged session with b (plain session messages).
async function connect(a, b) {
    const { bundle } = b.bundle();
    await S.processPreKeyBundle(bundle, b.addr, a.addr, a.sessions, a.identities);
    const pt = message(100);
    check(await decrypt(b, a.addr, await encrypt(a, b.addr, pt)), pt);
    check(await decrypt(a, b.addr, await encrypt(b, a.addr, pt)), pt);
}

// ssSend: session encrypt + seal at from (v1: sealedSenderEncryptMessage;
// v2: signalEncrypt, sealedSenderMultiRecipientEncrypt to the one
// recipient, ...ForSingleRecipient), then open + validate + session decrypt
// at to (sealedSenderDecryptMessage).
async function ssSend(w, from, to, version, pt) {
    let env;
    if (version === 1) {
        env = await S.sealedSenderEncryptMessage(pt, to.addr, from.cert, from.sessions, from.identities);
    } else {
        const m = await S.signalEncrypt(pt, to.addr, from.addr, from.sessions, from.identities);
        const usmc = S.UnidentifiedSenderMessageContent.new(m, from.cert, S.ContentHint.Default, null);
        const sent = await S.sealedSenderMultiRecipientEncrypt({
            content: usmc, recipients: [to.addr], identityStore: from.identities, sessionStore: from.sessions,
        });
        env = S.sealedSenderMultiRecipientMessageForSingleRecipient(sent);
    }
    const r = await S.sealedSenderDecryptMessage(env, w.rootPub, NOW, null, to.uuid, 1,
        to.sessions, to.identities, to.prekeys, to.signed, to.kyber);
    check(r.message(), pt);
}

// ssEnvelope: seal + open of a fixed UnidentifiedSenderMessageContent (a
// 100 B session message), no validation, no session.
async function ssEnvelope(version) {
    const w = new SSWorld();
    const a = w.device(1, false);
    const b = w.device(2, false);
    await connect(a, b);
    const m = await S.signalEncrypt(message(100), b.addr, a.addr, a.sessions, a.identities);
    const usmc = S.UnidentifiedSenderMessageContent.new(m, a.cert, S.ContentHint.Default, null);
    const want = m.serialize().length;
    const open = async (env) => {
        const u = await S.sealedSenderDecryptToUsmc(env, b.identities);
        if (u.contents().length !== want) throw new Error('opened a different content');
    };
    if (version === 1) {
        return async () => open(await S.sealedSenderEncrypt(usmc, b.addr, a.identities));
    }
    return async () => {
        const sent = await S.sealedSenderMultiRecipientEncrypt({
            content: usmc, recipients: [b.addr], identityStore: a.identities, sessionStore: a.sessions,
        });
        await open(S.sealedSenderMultiRecipientMessageForSingleRecipient(sent));
    };
}

// multiSetup: Alice has acknowledged sessions with n recipients (one device
// each, each its own identity key) and a sender key for the group; encrypt
// is one group message of 100 B to all of them (groupEncrypt +
// sealedSenderMultiRecipientEncrypt). The first recipient checks its part.
async function multiSetup(serialized, n) {
    const w = new SSWorld();
    const alice = w.device(1, serialized);
    const rs = [];
    for (let i = 0; i < n; i++) {
        const r = w.device(2 + i % 0x3ff0, serialized);
        await connect(alice, r);
        rs.push(r);
    }
    const dist = crypto.randomUUID();
    const skdm = await S.SenderKeyDistributionMessage.create(alice.addr, dist, alice.senderKeys);
    await S.processSenderKeyDistributionMessage(alice.addr, skdm, rs[0].senderKeys);
    const addrs = rs.map((r) => r.addr);
    const groupId = message(32);
    const pt = message(100);
    const encrypt = async () => {
        const skm = await S.groupEncrypt(alice.addr, dist, alice.senderKeys, pt);
        const usmc = S.UnidentifiedSenderMessageContent.new(skm, alice.cert, S.ContentHint.Default, groupId);
        return S.sealedSenderMultiRecipientEncrypt({
            content: usmc, recipients: addrs, identityStore: alice.identities, sessionStore: alice.sessions,
        });
    };
    const sent = await encrypt();
    const mm = new SealedSenderMultiRecipientMessage(sent);
    const byId = mm.recipientsByServiceIdString();
    if (Object.keys(byId).length !== n) throw new Error(`${Object.keys(byId).length} recipients, want ${n}`);
    const u = await S.sealedSenderDecryptToUsmc(mm.messageForRecipient(byId[rs[0].uuid]), rs[0].identities);
    if (!u.senderCertificate().validate(w.rootPub, NOW)) throw new Error('certificate does not validate');
    check(await S.groupDecrypt(alice.addr, rs[0].senderKeys, u.contents()), pt);
    return { encrypt, sent };
}

const MULTI_RECIPIENTS = 1000;

// settled runs a setup and, with --expose-gc, collects its garbage, so
// that the timed operations do not pay for it.
function settled(setup) {
    return async () => {
        const op = await setup();
        if (global.gc) global.gc();
        return op;
    };
}

async function sealedSender() {
    const pt100 = message(100);
    for (const version of [1, 2]) {
        const scenario = `SealedSenderV${version}`;
        for (const store of STORES) {
            await runBench(`${scenario}/full/impl=${IMPL}/store=${store}`, settled(async () => {
                const w = new SSWorld();
                const d = [w.device(1, store === 'serialized'), w.device(2, store === 'serialized')];
                await connect(d[0], d[1]);
                let i = 0;
                return async () => {
                    await ssSend(w, d[i & 1], d[1 - (i & 1)], version, pt100);
                    i++;
                };
            }), 100);
        }
        await runBench(`${scenario}/envelope/impl=${IMPL}/store=none`, settled(() => ssEnvelope(version)));
    }
    const multiTime = args.multibenchtime || args.benchtime;
    let sent = null;
    for (const store of STORES) {
        await runBench(`MultiRecipient1000/encrypt/impl=${IMPL}/store=${store}`, settled(async () => {
            const m = await multiSetup(store === 'serialized', MULTI_RECIPIENTS);
            if (!sent) sent = m.sent;
            return m.encrypt;
        }), 0, multiTime);
    }
    await runBench(`MultiRecipient1000/split/impl=${IMPL}/store=none`, settled(async () => {
        if (!sent) sent = (await multiSetup(false, MULTI_RECIPIENTS)).sent;
        const msg = sent;
        return async () => {
            const mm = new SealedSenderMultiRecipientMessage(msg);
            const byId = mm.recipientsByServiceIdString();
            let k = 0;
            for (const sid in byId) {
                mm.messageForRecipient(byId[sid]);
                k++;
            }
            if (k !== MULTI_RECIPIENTS) throw new Error(`${k} recipients`);
        };
    }));
}

main().then(sealedSender).catch((e) => {
    console.error(e && e.stack ? e.stack : e);
    process.exit(1);
});

package wire

import "fmt"

// Types that carry secret keys print a redacted summary under every fmt
// verb (String for %v and %s, GoString for %#v): lengths, counts and
// indexes, never key bytes.

func secret(b []byte) string { return fmt.Sprintf("[%d bytes redacted]", len(b)) }

// String returns a summary without key material.
func (s SessionStructure) String() string {
	sender := "none"
	if s.SenderChain != nil {
		sender = s.SenderChain.String()
	}
	pq := secret(s.PQRatchetState)
	if s.PQWriter != nil {
		pq = fmt.Sprintf("[%d bytes redacted]", s.PQWriter.EncodedLen())
	}
	return fmt.Sprintf("wire.SessionStructure{Version: %d, RootKey: %s, PreviousCounter: %d, SenderChain: %s, ReceiverChains: %d, PendingPreKey: %t, PendingKyberPreKey: %t, RemoteRegistrationID: %d, LocalRegistrationID: %d, PQRatchetState: %s}",
		s.Version, secret(s.RootKey), s.PreviousCounter, sender, len(s.ReceiverChains),
		s.PendingPreKey != nil, s.PendingKyberPreKey != nil, s.RemoteRegistrationID, s.LocalRegistrationID, pq)
}

// GoString is String, so that %#v does not print keys either.
func (s SessionStructure) GoString() string { return s.String() }

// String returns a summary without key material.
func (c Chain) String() string {
	ck := "none"
	if c.ChainKey != nil {
		ck = c.ChainKey.String()
	}
	return fmt.Sprintf("wire.Chain{RatchetKeyPrivate: %s, ChainKey: %s, MessageKeys: %d}",
		secret(c.RatchetKeyPrivate), ck, c.NumMessageKeys())
}

// GoString is String, so that %#v does not print keys either.
func (c Chain) GoString() string { return c.String() }

// String returns a summary without key material.
func (k ChainKey) String() string {
	return fmt.Sprintf("wire.ChainKey{Index: %d, Key: %s}", k.Index, secret(k.Key))
}

// GoString is String, so that %#v does not print keys either.
func (k ChainKey) GoString() string { return k.String() }

// String returns a summary without key material.
func (k MessageKey) String() string {
	return fmt.Sprintf("wire.MessageKey{Index: %d, CipherKey: %s, MACKey: %s, IV: %s, Seed: %s}",
		k.Index, secret(k.CipherKey), secret(k.MACKey), secret(k.IV), secret(k.Seed))
}

// GoString is String, so that %#v does not print keys either.
func (k MessageKey) GoString() string { return k.String() }

// String returns a summary without key material.
func (r Record) String() string {
	cur := "none"
	if r.Current != nil {
		cur = r.Current.String()
	}
	return fmt.Sprintf("wire.Record{Current: %s, Previous: %d}", cur, len(r.Previous))
}

// GoString is String, so that %#v does not print keys either.
func (r Record) GoString() string { return r.String() }

// String returns a summary without key material.
func (r SenderKeyRecord) String() string {
	return fmt.Sprintf("wire.SenderKeyRecord{States: %d}", len(r.States))
}

// GoString is String, so that %#v does not print keys either.
func (r SenderKeyRecord) GoString() string { return r.String() }

// String returns a summary without key material.
func (s SenderKeyState) String() string {
	it := "none"
	if s.ChainKey != nil {
		it = fmt.Sprint(s.ChainKey.Iteration)
	}
	priv := "none"
	if s.SigningKey != nil {
		priv = secret(s.SigningKey.Private)
	}
	return fmt.Sprintf("wire.SenderKeyState{MessageVersion: %d, ChainID: %d, Iteration: %s, SigningKeyPrivate: %s, MessageKeys: %d}",
		s.MessageVersion, s.ChainID, it, priv, len(s.MessageKeys))
}

// GoString is String, so that %#v does not print keys either.
func (s SenderKeyState) GoString() string { return s.String() }

// String returns a summary without key material.
func (k SenderChainKey) String() string {
	return fmt.Sprintf("wire.SenderChainKey{Iteration: %d, Seed: %s}", k.Iteration, secret(k.Seed))
}

// GoString is String, so that %#v does not print keys either.
func (k SenderChainKey) GoString() string { return k.String() }

// String returns a summary without key material.
func (k SenderMessageKey) String() string {
	return fmt.Sprintf("wire.SenderMessageKey{Iteration: %d, Seed: %s}", k.Iteration, secret(k.Seed))
}

// GoString is String, so that %#v does not print keys either.
func (k SenderMessageKey) GoString() string { return k.String() }

// String returns a summary without key material.
func (k SenderSigningKey) String() string {
	return fmt.Sprintf("wire.SenderSigningKey{Public: %x, Private: %s}", k.Public, secret(k.Private))
}

// GoString is String, so that %#v does not print keys either.
func (k SenderSigningKey) GoString() string { return k.String() }

// String returns a summary without the chain key.
func (m SenderKeyDistributionMessage) String() string {
	return fmt.Sprintf("wire.SenderKeyDistributionMessage{DistributionID: %x, ChainID: %d, Iteration: %d, ChainKey: %s, SigningKey: %x}",
		m.DistributionID, m.ChainID, m.Iteration, secret(m.ChainKey), m.SigningKey)
}

// GoString is String, so that %#v does not print keys either.
func (m SenderKeyDistributionMessage) GoString() string { return m.String() }

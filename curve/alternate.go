package curve

// Alternate identities: an account's identity key vouches for another
// identity key of the same account (on the Signal service, the key of the
// account's phone-number identity, its PNI), as libsignal's
// IdentityKeyPair.sign_alternate_identity and
// IdentityKey.verify_alternate_identity do. The signature is an XEdDSA
// signature of 32 0xFF bytes, "Signal_PNI_Signature" and the other key's
// 33-byte encoding, so it can never be mistaken for a signature of a prekey
// or a certificate.

const alternateIdentityPrefix2 = "Signal_PNI_Signature"

func alternateIdentityMessage(other PublicKey) []byte {
	m := make([]byte, 32, 32+len(alternateIdentityPrefix2)+PublicKeySize)
	for i := range m {
		m[i] = 0xFF
	}
	m = append(m, alternateIdentityPrefix2...)
	return other.AppendBytes(m)
}

// SignAlternateIdentity returns a signature, by k, claiming that other is an
// identity key of the same account (libsignal's sign_alternate_identity).
func (k *IdentityKeyPair) SignAlternateIdentity(other PublicKey) ([]byte, error) {
	return k.Sign(alternateIdentityMessage(other))
}

// VerifyAlternateIdentity reports whether sig is p's signature (from
// SignAlternateIdentity) claiming that other is an identity key of the same
// account.
func (p PublicKey) VerifyAlternateIdentity(other PublicKey, sig []byte) bool {
	return p.VerifySignature(alternateIdentityMessage(other), sig)
}

package wire

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

var testDistID = [16]byte{0xd0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0xdf}

func testSenderKeyMessage() *SenderKeyMessage {
	return &SenderKeyMessage{DistributionID: testDistID, ChainID: 0x7fffffff, Iteration: 0, Ciphertext: rep(0xcc, 32)}
}

func testSKDM() *SenderKeyDistributionMessage {
	return &SenderKeyDistributionMessage{DistributionID: testDistID, ChainID: 1, Iteration: 200,
		ChainKey: seq(0x20, 32), SigningKey: testIdentity}
}

func TestSenderKeyMessageExactBytes(t *testing.T) {
	m := testSenderKeyMessage()
	want := cat(h(0x33),
		h(0x0a, 16), testDistID[:],
		h(0x10, 0xff, 0xff, 0xff, 0xff, 0x07),
		h(0x18, 0x00), // iteration 0 still written
		h(0x22, 32), rep(0xcc, 32))
	got := m.AppendUnsigned(nil)
	if !bytes.Equal(got, want) {
		t.Fatalf("AppendUnsigned =\n%x\nwant\n%x", got, want)
	}
	if m.EncodedLen() != len(want)+SignatureSize {
		t.Errorf("EncodedLen")
	}
	sig := seq(0x80, SignatureSize)
	enc := append(got, sig...)
	p, err := ParseSenderKeyMessage(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&p.SenderKeyMessage, m) || !bytes.Equal(p.SignatureInput, want) ||
		!bytes.Equal(p.Signature[:], sig) || p.CurrentVersion != 3 {
		t.Fatalf("parsed %+v", p)
	}
}

func TestSenderKeyMessageRules(t *testing.T) {
	sig := rep(0x5e, SignatureSize)
	dist := cat(h(0x0a, 16), testDistID[:])
	chain := h(0x10, 0x01)
	iter := h(0x18, 0x02)
	ct := cat(h(0x22, 3), h(1, 2, 3))
	for name, tc := range map[string]struct {
		enc []byte
		err error
	}{
		"ok":              {cat(h(0x33), dist, chain, iter, ct, sig), nil},
		"ok reordered":    {cat(h(0x3f), ct, iter, h(0x0a, 1, 0), chain, dist, h(0x28, 0x09), sig), nil},
		"short uuid":      {cat(h(0x33), h(0x0a, 15), testDistID[:15], chain, iter, ct, sig), ErrInvalidField},
		"long uuid":       {cat(h(0x33), h(0x0a, 17), testDistID[:], h(0), chain, iter, ct, sig), ErrInvalidField},
		"no uuid":         {cat(h(0x33), chain, iter, ct, sig), ErrMissingField},
		"no chain":        {cat(h(0x33), dist, iter, ct, sig), ErrMissingField},
		"no iteration":    {cat(h(0x33), dist, chain, ct, sig), ErrMissingField},
		"no ciphertext":   {cat(h(0x33), dist, chain, iter, sig), ErrMissingField},
		"legacy":          {cat(h(0x23), dist, chain, iter, ct, sig), ErrLegacyVersion},
		"v4":              {cat(h(0x44), dist, chain, iter, ct, sig), ErrUnknownVersion},
		"too short":       {rep(0x33, SignatureSize), ErrTruncated},
		"truncated proto": {cat(h(0x33), dist, chain, iter, h(0x22, 4, 1, 2, 3), sig), ErrTruncated},
	} {
		m, err := ParseSenderKeyMessage(tc.enc)
		if tc.err == nil {
			if err != nil || m.DistributionID != testDistID || m.ChainID != 1 || m.Iteration != 2 || !bytes.Equal(m.Ciphertext, h(1, 2, 3)) {
				t.Errorf("%s: %v %+v", name, err, m)
			}
			continue
		}
		if !errors.Is(err, tc.err) {
			t.Errorf("%s: error = %v, want %v", name, err, tc.err)
		}
	}
}

func TestSenderKeyDistributionMessageExactBytes(t *testing.T) {
	m := testSKDM()
	want := cat(h(0x33),
		h(0x0a, 16), testDistID[:],
		h(0x10, 0x01),
		h(0x18, 0xc8, 0x01),
		h(0x22, 32), seq(0x20, 32),
		h(0x2a, 33), testIdentity)
	got := must(m.Append(nil))
	if !bytes.Equal(got, want) {
		t.Fatalf("Append =\n%x\nwant\n%x", got, want)
	}
	p, err := ParseSenderKeyDistributionMessage(got)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&p.SenderKeyDistributionMessage, m) || p.CurrentVersion != 3 {
		t.Fatalf("parsed %+v", p)
	}
	bad := *m
	bad.ChainKey = bad.ChainKey[:31]
	_, err = bad.Append(nil)
	wantErr(t, err, ErrInvalidField)
	bad = *m
	bad.SigningKey = nil
	_, err = bad.Append(nil)
	wantErr(t, err, ErrInvalidField)
}

func TestSenderKeyDistributionMessageRules(t *testing.T) {
	dist := cat(h(0x0a, 16), testDistID[:])
	chain := h(0x10, 0x01)
	iter := h(0x18, 0x02)
	ck := cat(h(0x22, 32), rep(0xc0, 32))
	sk := cat(h(0x2a, 33), testIdentity)
	for name, tc := range map[string]struct {
		enc []byte
		err error
	}{
		"ok":           {cat(h(0x33), dist, chain, iter, ck, sk), nil},
		"ok unknown":   {cat(h(0x33), h(0x30, 1), dist, chain, iter, ck, sk, h(0x3a, 0)), nil},
		"no uuid":      {cat(h(0x33), chain, iter, ck, sk, h(0x3a, 18), rep(0, 18)), ErrMissingField},
		"no chain":     {cat(h(0x33), dist, iter, ck, sk), ErrMissingField},
		"no iteration": {cat(h(0x33), dist, chain, ck, sk), ErrMissingField},
		"no chain key": {cat(h(0x33), dist, chain, iter, sk, h(0x3a, 30), rep(0, 30)), ErrMissingField},
		"no signing":   {cat(h(0x33), dist, chain, iter, ck, h(0x3a, 30), rep(0, 30)), ErrMissingField},
		"short ck":     {cat(h(0x33), dist, chain, iter, h(0x22, 31), rep(0xc0, 31), sk), ErrInvalidField},
		"long sk":      {cat(h(0x33), dist, chain, iter, ck, h(0x2a, 34), testIdentity, h(0)), ErrInvalidField},
		"bad uuid":     {cat(h(0x33), h(0x0a, 4, 1, 2, 3, 4), chain, iter, ck, sk), ErrInvalidField},
		"legacy":       {cat(h(0x13), dist, chain, iter, ck, sk), ErrLegacyVersion},
		"unknown":      {cat(h(0x43), dist, chain, iter, ck, sk), ErrUnknownVersion},
		"too short":    {cat(h(0x33), rep(0, 63)), ErrTruncated},
	} {
		m, err := ParseSenderKeyDistributionMessage(tc.enc)
		if tc.err == nil {
			if err != nil || m.DistributionID != testDistID || !bytes.Equal(m.SigningKey, testIdentity) {
				t.Errorf("%s: %v %+v", name, err, m)
			}
			continue
		}
		if !errors.Is(err, tc.err) {
			t.Errorf("%s: error = %v, want %v", name, err, tc.err)
		}
	}
}

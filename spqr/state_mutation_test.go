package spqr

import (
	"bytes"
	"errors"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// Tests added for mutants that survived the suite (docs/mutation.md): the
// stored chain's checks. Each case encodes a state holding only a chain,
// written field by field so that a part can be left out or malformed.

type chainEnc struct {
	skipSend, skipRecv bool
	skipParams         bool
	links              int
	nextRoot           []byte
	sendEpoch, epoch   uint64
	recvNext           []byte
	recvCtrBytes       bool // the receiving counter as a bytes field
	params             ChainParams
}

func (c chainEnc) encode() []byte {
	dir := func(next []byte, ctrBytes bool) []byte {
		var b []byte
		if ctrBytes {
			b = appendLen(b, 1, 1)
			b = append(b, 7)
		} else {
			b = appendVarintField(b, 1, 7)
		}
		return appendBytesField(b, 2, next)
	}
	var ch []byte
	ch = appendVarintField(ch, 2, c.epoch)
	for range c.links {
		var l []byte
		if !c.skipSend {
			s := dir(bytes.Repeat([]byte{1}, 32), false)
			l = append(appendLen(l, 1, len(s)), s...)
		}
		if !c.skipRecv {
			r := dir(c.recvNext, c.recvCtrBytes)
			l = append(appendLen(l, 2, len(r)), r...)
		}
		ch = append(appendLen(ch, 3, len(l)), l...)
	}
	ch = appendBytesField(ch, 4, c.nextRoot)
	ch = appendVarintField(ch, 5, c.sendEpoch)
	if !c.skipParams {
		ch = appendParams(appendLen(ch, 6, paramsSize(c.params)), c.params)
	}
	return append(appendLen(nil, 2, len(ch)), ch...)
}

func goodChain() chainEnc {
	return chainEnc{links: 2, nextRoot: bytes.Repeat([]byte{2}, 32), epoch: 2, sendEpoch: 1, recvNext: bytes.Repeat([]byte{3}, 32)}
}

func TestParseStoredChain(t *testing.T) {
	if _, err := ParseState(goodChain().encode()); err != nil {
		t.Fatalf("a good chain: %v", err)
	}
	atMax := goodChain()
	atMax.links = maxStoredLinks
	if _, err := ParseState(atMax.encode()); err != nil {
		t.Fatalf("maxStoredLinks links: %v", err)
	}
	bad := map[string]func(c *chainEnc){
		"link without receiving half": func(c *chainEnc) { c.skipRecv = true },
		"link without sending half":   func(c *chainEnc) { c.skipSend = true },
		"no params":                   func(c *chainEnc) { c.skipParams = true },
		"no links":                    func(c *chainEnc) { c.links = 0 },
		"too many links":              func(c *chainEnc) { c.links = maxStoredLinks + 1 },
		"root of 31 bytes":            func(c *chainEnc) { c.nextRoot = c.nextRoot[:31] },
		"send epoch after current":    func(c *chainEnc) { c.sendEpoch = 3 },
		"chain key of 5 bytes":        func(c *chainEnc) { c.recvNext = c.recvNext[:5] },
		"counter not a varint":        func(c *chainEnc) { c.recvCtrBytes = true },
	}
	for name, f := range bad {
		c := goodChain()
		f(&c)
		if s, err := ParseState(c.encode()); !errors.Is(err, ErrStateDecode) || s != nil {
			t.Errorf("%s: err = %v, want ErrStateDecode", name, err)
		}
	}
}

// TestParseStateTopLevelFields: fields 1 to 3 must be messages; others are
// skipped whatever their type.
func TestParseStateTopLevelFields(t *testing.T) {
	good := goodChain().encode()
	for num := protowire.Number(1); num <= 5; num++ {
		b := protowire.AppendVarint(protowire.AppendTag(bytes.Clone(good), num, protowire.VarintType), 1)
		_, err := ParseState(b)
		if want := num <= 3; want != (err != nil) {
			t.Errorf("field %d as a varint: err = %v", num, err)
		}
	}
}

// TestChainParamsStored: non-default chain limits are stored and read back.
func TestChainParamsStored(t *testing.T) {
	c := goodChain()
	c.params = ChainParams{MaxJump: 100, MaxOutOfOrderKeys: 50}
	s, err := ParseState(c.encode())
	if err != nil {
		t.Fatal(err)
	}
	if s.st.chain.params != c.params {
		t.Fatalf("params %+v", s.st.chain.params)
	}
	b, err := s.MarshalBinary()
	if err != nil || !bytes.Equal(b, c.encode()) {
		t.Fatalf("re-encoding differs (%v)", err)
	}
}

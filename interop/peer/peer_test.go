package peer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestHexJSON(t *testing.T) {
	in := struct {
		B Hex `json:"b"`
	}{Hex{0x00, 0xab, 0xff}}
	j, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(j) != `{"b":"00abff"}` {
		t.Fatalf("marshal = %s", j)
	}
	var out struct {
		B Hex `json:"b"`
	}
	if err := json.Unmarshal(j, &out); err != nil || !bytes.Equal(out.B, in.B) {
		t.Fatalf("round trip: %x, %v", out.B, err)
	}
	for _, bad := range []string{`{"b":"0"}`, `{"b":"zz"}`, `{"b":12}`} {
		if err := json.Unmarshal([]byte(bad), &out); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

// sh starts a fake peer from a shell script.
func sh(t *testing.T, script string) *Process {
	t.Helper()
	p, err := StartCommand("fake", "/bin/sh", "-c", script)
	if err != nil {
		t.Fatal(err)
	}
	p.SetTimeout(2 * time.Second)
	t.Cleanup(func() { p.Close() })
	return p
}

func TestCallErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("peer error", func(t *testing.T) {
		p := sh(t, `read l; echo '{"ok":false,"error":"boom"}'; read l`)
		_, err := p.HasSession(ctx, Address{"x", 1})
		var pe *PeerError
		if !errors.As(err, &pe) || pe.Msg != "boom" || pe.Op != "has_session" {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("request shape", func(t *testing.T) {
		// Echo the request back inside an ok response and check the fields.
		p := sh(t, `read l; printf '{"ok":true,"plaintext":"%s"}\n' "$(printf %s "$l" | od -An -tx1 | tr -d ' \n')"`)
		got, err := p.Decrypt(ctx, Address{"bob", 2}, Message{Type: 3, Body: Hex{1, 2}})
		if err != nil {
			t.Fatal(err)
		}
		var req map[string]any
		if err := json.Unmarshal(got, &req); err != nil {
			t.Fatalf("request %q: %v", got, err)
		}
		want := map[string]any{"op": "decrypt", "name": "bob", "device_id": 2.0, "type": 3.0, "body": "0102"}
		for k, v := range want {
			if req[k] != v {
				t.Errorf("request field %s = %v, want %v (request %s)", k, req[k], v, got)
			}
		}
	})
	t.Run("garbage", func(t *testing.T) {
		p := sh(t, `read l; echo 'not json'; read l`)
		if err := p.Call(ctx, "x", nil, nil); err == nil || !strings.Contains(err.Error(), "bad response") {
			t.Fatalf("got %v", err)
		}
		if err := p.Call(ctx, "x", nil, nil); err == nil || !strings.Contains(err.Error(), "dead") {
			t.Fatalf("second call on broken peer: %v", err)
		}
	})
	t.Run("crash keeps stderr", func(t *testing.T) {
		p := sh(t, `read l; echo 'fatal: something broke' >&2; exit 3`)
		err := p.Call(ctx, "x", nil, nil)
		if err == nil || !strings.Contains(err.Error(), "something broke") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		p := sh(t, `read l; sleep 30`)
		p.SetTimeout(200 * time.Millisecond)
		start := time.Now()
		err := p.Call(ctx, "x", nil, nil)
		if err == nil || !strings.Contains(err.Error(), "timeout") || time.Since(start) > 5*time.Second {
			t.Fatalf("got %v after %v", err, time.Since(start))
		}
	})
	t.Run("unsupported", func(t *testing.T) {
		p := sh(t, `read l; echo '{"ok":false,"error":"unknown op vxeddsa_sign"}'; read l`)
		if _, _, err := p.VXEdDSASign(ctx, make([]byte, 32), nil, nil); !errors.Is(err, ErrUnsupported) {
			t.Fatalf("got %v", err)
		}
	})
}

// fakeParty is a toy Party: "ciphertext" is the plaintext, and it follows
// the message-type rule (initiator sends type 3 until it has received).
type fakeParty struct {
	label     string
	outgoing  map[Address]bool
	received  map[Address]bool
	seen      map[string]bool
	tamper    int // corrupt the plaintext of this decrypt (1-based); 0: never
	wrongType bool
	decrypts  int
}

func newFake(label string) *fakeParty {
	return &fakeParty{label: label, outgoing: map[Address]bool{}, received: map[Address]bool{}, seen: map[string]bool{}}
}

func (f *fakeParty) Label() string { return f.label }
func (f *fakeParty) Bundle(context.Context, BundleRequest) (Bundle, error) {
	return Bundle{IdentityKey: Hex{5}}, nil
}
func (f *fakeParty) ProcessBundle(_ context.Context, r Address, _ Bundle) error {
	f.outgoing[r] = true
	return nil
}
func (f *fakeParty) HasSession(_ context.Context, r Address) (bool, error) {
	return f.outgoing[r] || f.received[r], nil
}
func (f *fakeParty) Encrypt(_ context.Context, r Address, pt []byte) (Message, error) {
	typ := TypeSignal
	if f.outgoing[r] && !f.received[r] && !f.wrongType {
		typ = TypePreKey
	}
	return Message{Type: typ, Body: bytes.Clone(pt)}, nil
}
func (f *fakeParty) Decrypt(_ context.Context, r Address, m Message) ([]byte, error) {
	f.decrypts++
	if f.seen[string(m.Body)] {
		return nil, errors.New("duplicate")
	}
	f.seen[string(m.Body)] = true
	f.received[r] = true
	out := bytes.Clone(m.Body)
	if f.decrypts == f.tamper {
		out[0] ^= 1
	}
	return out, nil
}

func TestConverseFake(t *testing.T) {
	ctx := context.Background()
	run := func(a, b *fakeParty, s Script) (Stats, error) {
		alice := Side{a, Address{"alice", 1}}
		bob := Side{b, Address{"bob", 2}}
		if _, err := Establish(ctx, alice, bob, BundleRequest{}); err != nil {
			return Stats{}, err
		}
		return Converse(ctx, alice, bob, s)
	}
	s := Script{Messages: 200, MaxBurst: 6, Shuffle: true, HoldBack: true, Seed: 1}
	st, err := run(newFake("a"), newFake("b"), s)
	if err != nil {
		t.Fatal(err)
	}
	if st.Sent != 200 || st.Delivered != 200 || st.Turns < 20 || st.OutOfOrder == 0 || st.DeliveredLate == 0 ||
		st.PreKeyMessages == 0 || st.PreKeyMessages+st.SignalMessages != 200 {
		t.Fatalf("stats %v", st)
	}
	// Same seed, same run.
	st2, _ := run(newFake("a"), newFake("b"), s)
	if st2 != st {
		t.Fatalf("not deterministic: %v vs %v", st, st2)
	}
	// No shuffle, no hold-back: nothing out of order.
	st, err = run(newFake("a"), newFake("b"), Script{Messages: 50, MaxBurst: 4, Seed: 2})
	if err != nil || st.OutOfOrder != 0 || st.DeliveredLate != 0 {
		t.Fatalf("in-order run: %v, %v", st, err)
	}

	b := newFake("b")
	b.tamper = 7
	if _, err := run(newFake("a"), b, s); err == nil || !strings.Contains(err.Error(), "mismatch") {
		t.Fatalf("tampered plaintext not detected: %v", err)
	}
	a := newFake("a")
	a.wrongType = true
	if _, err := run(a, newFake("b"), s); err == nil || !strings.Contains(err.Error(), "type 2, want 3") {
		t.Fatalf("wrong message type not detected: %v", err)
	}
}

package peer

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
)

// echoPeer answers each request with {"ok":true,field:hex(request line)},
// so a test can check what the driver sent.
func echoPeer(t *testing.T, field string) *Process {
	return sh(t, `while read l; do printf '{"ok":true,"`+field+`":"%s"}\n' "$(printf %s "$l" | od -An -tx1 | tr -d ' \n')"; done`)
}

func checkRequest(t *testing.T, got []byte, want map[string]any) {
	t.Helper()
	var req map[string]any
	if err := json.Unmarshal(got, &req); err != nil {
		t.Fatalf("request %q: %v", got, err)
	}
	if len(req) != len(want) {
		t.Errorf("request %s has %d fields, want %d", got, len(req), len(want))
	}
	for k, v := range want {
		if req[k] != v {
			t.Errorf("request field %s = %v, want %v (request %s)", k, req[k], v, got)
		}
	}
}

func TestGroupRequestShapes(t *testing.T) {
	ctx := context.Background()
	const g = "30313233-3435-3637-3839-616263646566"
	a := Address{"alice", 3}
	base := func(op string, extra ...any) map[string]any {
		m := map[string]any{"op": op, "group": g, "name": "alice", "device_id": 3.0}
		for i := 0; i < len(extra); i += 2 {
			m[extra[i].(string)] = extra[i+1]
		}
		return m
	}
	got, err := echoPeer(t, "skdm").GroupCreate(ctx, g, a)
	if err != nil {
		t.Fatal(err)
	}
	checkRequest(t, got, base("group_create"))
	got, err = echoPeer(t, "body").GroupEncrypt(ctx, g, a, []byte{0xab})
	if err != nil {
		t.Fatal(err)
	}
	checkRequest(t, got, base("group_encrypt", "plaintext", "ab"))
	got, err = echoPeer(t, "plaintext").GroupDecrypt(ctx, g, a, []byte{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	checkRequest(t, got, base("group_decrypt", "body", "0102"))
	got, err = echoPeer(t, "record").SenderKeyRecord(ctx, g, a)
	if err != nil {
		t.Fatal(err)
	}
	checkRequest(t, got, base("sender_key_record"))
	f, err := echoPeer(t, "scannable").Fingerprint(ctx, FingerprintRequest{
		Iterations: 5200, Version: 2, LocalID: Hex{1}, LocalKey: Hex{2}, RemoteID: Hex{3}, RemoteKey: Hex{4}})
	if err != nil {
		t.Fatal(err)
	}
	checkRequest(t, f.Scannable, map[string]any{"op": "fingerprint", "iterations": 5200.0, "version": 2.0,
		"local_id": "01", "local_key": "02", "remote_id": "03", "remote_key": "04"})

	// group_process answers {} and an empty record means none.
	p := sh(t, `while read l; do echo '{"ok":true,"record":""}'; done`)
	if err := p.GroupProcess(ctx, g, a, []byte{9}); err != nil {
		t.Fatal(err)
	}
	if r, err := p.SenderKeyRecord(ctx, g, a); err != nil || r != nil {
		t.Fatalf("empty record: %x, %v", r, err)
	}
}

func TestGroupUnsupported(t *testing.T) {
	p := sh(t, `while read l; do echo '{"ok":false,"error":"unknown op group_create"}'; done`)
	if _, err := p.GroupCreate(context.Background(), "g", Address{"a", 1}); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("got %v", err)
	}
	if _, err := p.Fingerprint(context.Background(), FingerprintRequest{}); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("got %v", err)
	}
}

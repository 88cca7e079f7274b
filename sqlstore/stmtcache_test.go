package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/x3dh"
)

// TestSQLitePreparedOnce: on SQLite every statement of a decrypt and an
// encrypt is prepared once (on the Store's write connection, or once per
// pooled connection for reads), not per call: after a warm-up, operations
// send no Prepare.
func TestSQLitePreparedOnce(t *testing.T) {
	p := newCountedPeer(t, sqliteBackend(), x3dh.V4, true)
	ctx := context.Background()
	warm := func() {
		p.decrypt(t, p.send(t))
		reply, err := p.m.Encrypt(ctx, p.addr, []byte("reply"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.peer.Decrypt(ctx, p.self, reply); err != nil {
			t.Fatal(err)
		}
	}
	warm()
	before := p.cnt.Counts()
	for range 10 {
		warm()
	}
	if d := p.cnt.Counts().Sub(before); d.Prepares != 0 || d.Statements == 0 {
		t.Fatalf("10 decrypts and encrypts after a warm-up: %v, want no prepares", d)
	}
	// Close releases the write connection and the statements of a handle
	// the Store does not own.
	db := p.st.DB()
	if err := p.st.Close(); err != nil {
		t.Fatal(err)
	}
	if n := db.Stats().InUse; n != 0 {
		t.Fatalf("%d connections still in use after Close", n)
	}
}

// TestSQLiteOneConnection: a SQLite handle whose pool allows one
// connection works (the Store does not keep that connection between
// transactions, which its reads outside them need).
func TestSQLiteOneConnection(t *testing.T) {
	p := newCountedPeer(t, sqliteBackend(), x3dh.V3, true)
	p.st.DB().SetMaxOpenConns(1)
	msgs := make([]session.Message, 5)
	for i := range msgs {
		msgs[i] = p.send(t)
	}
	done := make(chan error, 1)
	go func() {
		for _, m := range msgs {
			if _, err := p.m.Decrypt(context.Background(), p.addr, m); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("decrypts on a one-connection pool did not finish")
	}
}

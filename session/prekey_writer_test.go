package session_test

import (
	"context"

	"github.com/forwardsecret/signal/prekey"
	"github.com/forwardsecret/signal/x3dh"
)

// prekeyWriter returns st as a prekey.Writer: st itself if it is one, or an
// adapter over the older context-free Add methods of memstore.Store.
func prekeyWriter(st any) prekey.Writer {
	if w, ok := st.(prekey.Writer); ok {
		return w
	}
	return legacyWriter{st}
}

type legacyWriter struct{ st any }

func (l legacyWriter) AddPreKey(_ context.Context, k *x3dh.OneTimePreKey) error {
	l.st.(interface{ AddPreKey(*x3dh.OneTimePreKey) }).AddPreKey(k)
	return nil
}

func (l legacyWriter) AddSignedPreKey(_ context.Context, k *x3dh.SignedPreKey) error {
	l.st.(interface{ AddSignedPreKey(*x3dh.SignedPreKey) }).AddSignedPreKey(k)
	return nil
}

func (l legacyWriter) AddKEMPreKey(_ context.Context, k *x3dh.KEMPreKey) error {
	l.st.(interface {
		AddKEMPreKey(*x3dh.KEMPreKey, bool)
	}).AddKEMPreKey(k, false)
	return nil
}

func (l legacyWriter) AddLastResortKEMPreKey(_ context.Context, k *x3dh.KEMPreKey) error {
	l.st.(interface {
		AddKEMPreKey(*x3dh.KEMPreKey, bool)
	}).AddKEMPreKey(k, true)
	return nil
}

package libsignal_test

import (
	"fmt"
	"log"

	"github.com/forwardsecret/signal/compat/libsignal"
	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/x3dh"
)

// ExampleExportKyberPreKeyRecord writes a Kyber prekey made here as
// libsignal's KyberPreKeyRecord, with the secret key in libsignal's
// expanded form, so that libsignal can decapsulate with it, and reads it
// back.
func ExampleExportKyberPreKeyRecord() {
	identity, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		log.Fatal(err)
	}
	k, err := x3dh.GenerateKEMPreKey(identity, 31, x3dh.Kyber1024)
	if err != nil {
		log.Fatal(err)
	}
	b, err := libsignal.ExportKyberPreKeyRecord(k)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("record of %d bytes, secret key of %d\n", len(b), libsignal.KyberSecretKeySize)

	back, err := libsignal.ImportKyberPreKeyRecord(b)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(back.ID, back.KeyPair.Public.Equal(k.KeyPair.Public))
	// Output:
	// record of 4821 bytes, secret key of 3169
	// 31 true
}

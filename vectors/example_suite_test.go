package vectors_test

import (
	"fmt"

	"github.com/forwardsecret/signal/vectors"
)

// An implementation replays a transcript by following its events: each
// party is set up from its listed keys, sends are compared byte for byte,
// receives must decrypt, and the invalid messages are offered where they
// say.
func ExampleTranscripts() {
	f, err := vectors.Transcripts(3)
	if err != nil {
		panic(err)
	}
	tr := f.Transcripts[0]
	fmt.Println(tr.Name, "version", tr.Version, "spqr", tr.SPQR)
	for _, e := range tr.Events[:2] {
		m := tr.Messages[e.Message]
		fmt.Printf("%s %s message %d (type %d, counter %d)\n", e.Party, e.Op, m.ID, m.Type, m.Counter)
	}
	inv := tr.Invalid[0]
	fmt.Printf("before event %d, %s must reject %s with %q\n", inv.BeforeEvent, inv.Party, inv.Name, inv.Error)
	// Output:
	// v3_one_way_in_order_one_time version 3 spqr not_applicable
	// alice send message 0 (type 3, counter 0)
	// alice send message 1 (type 3, counter 1)
	// before event 12, bob must reject bob_bad_mac_0 with "bad_mac"
}

// Signature vectors say whether to reproduce the signature (operation
// "sign", from k, M and Z) and whether it must verify.
func ExampleXEdDSASuite() {
	f, err := vectors.XEdDSASuite()
	if err != nil {
		panic(err)
	}
	results := map[string]int{}
	for _, v := range f.Vectors {
		results[v.Scheme+" "+v.Result]++
	}
	fmt.Println(results["xeddsa valid"], "valid XEdDSA signatures,", results["vxeddsa valid"], "valid VXEdDSA signatures")
	// Output:
	// 200 valid XEdDSA signatures, 60 valid VXEdDSA signatures
}

package libsignal

import (
	"fmt"

	"github.com/forwardsecret/signal/compat"
	"github.com/forwardsecret/signal/senderkey"
)

const senderKeyRecord = "SenderKeyRecord"

// ImportSenderKeyRecord reads a libsignal SenderKeyRecord (storage.proto
// SenderKeyRecordStructure), the sender-key chains of one sender and
// distribution id. libsignal-protocol-c and -java write the same layout
// without message_version (field 5), which then reads as version 3: their
// records import too. It is senderkey.ParseRecord, whose checks apply;
// errors wrap compat.ErrInvalidRecord and senderkey.ErrInvalidRecord.
//
// The record does not name its sender or distribution id: the app stores
// the result under the (sender, distribution id) it kept the record under
// (senderkey.Store.StoreSenderKey).
func ImportSenderKeyRecord(b []byte) (*senderkey.Record, error) {
	r, err := senderkey.ParseRecord(b)
	if err != nil {
		return nil, invalid(senderKeyRecord, err)
	}
	return r, nil
}

// ExportSenderKeyRecord writes r as libsignal's SenderKeyRecord, byte for
// byte as libsignal serializes the same chains. It fails with
// compat.ErrInvalidKey for a nil record.
func ExportSenderKeyRecord(r *senderkey.Record) ([]byte, error) {
	if r == nil {
		return nil, fmt.Errorf("%w: nil sender-key record", compat.ErrInvalidKey)
	}
	return r.MarshalBinary()
}

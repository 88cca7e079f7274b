package libparty

import "google.golang.org/protobuf/encoding/protowire"

func consumeTag(b []byte) (int, protowire.Type, int) {
	num, typ, n := protowire.ConsumeTag(b)
	return int(num), typ, n
}

func consumeValue(b []byte, typ protowire.Type) int {
	return protowire.ConsumeFieldValue(0, typ, b)
}

package wire

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
)

// TestDescriptorsMatchProtoc compares the hand-written descriptors of
// dynamic_test.go with protoc's compilation of libsignal's own wire.proto
// and storage.proto, so that a transcription mistake in the cross-check
// cannot hide one in the encoder. It needs a descriptor set, made outside
// the repository (the .proto files are AGPL and are not vendored):
//
//	protoc -I rust/protocol/src/proto --descriptor_set_out=/tmp/signal.pb wire.proto storage.proto fingerprint.proto
//	WIRE_DESCRIPTOR_SET=/tmp/signal.pb go test -run DescriptorsMatchProtoc ./internal/wire ./fingerprint
//
// (Package fingerprint checks its fingerprint.proto the same way.)
func TestDescriptorsMatchProtoc(t *testing.T) {
	path := os.Getenv("WIRE_DESCRIPTOR_SET")
	if path == "" {
		t.Skip("WIRE_DESCRIPTOR_SET not set: skipping the comparison with protoc's descriptors")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(raw, &set); err != nil {
		t.Fatal(err)
	}
	official := map[string]*descriptorpb.FileDescriptorProto{}
	for _, f := range set.File {
		official[f.GetName()] = f
	}
	for _, ours := range []*descriptorpb.FileDescriptorProto{wireProto(), storageProto()} {
		theirs := official[ours.GetName()]
		if theirs == nil {
			t.Fatalf("%s not in the descriptor set", ours.GetName())
		}
		if ours.GetSyntax() != theirs.GetSyntax() && !(ours.GetSyntax() == "proto2" && theirs.GetSyntax() == "") {
			t.Errorf("%s: syntax %q vs %q", ours.GetName(), ours.GetSyntax(), theirs.GetSyntax())
		}
		got := flatten(ours.GetPackage(), ours.MessageType)
		want := flatten(theirs.GetPackage(), theirs.MessageType)
		checked := 0
		for name, fields := range got {
			if want[name] != fields {
				t.Errorf("%s:\n ours     %s\n official %s", name, fields, want[name])
			}
			checked++
		}
		t.Logf("%s: %d messages match", ours.GetName(), checked)
	}
}

// flatten lists each message's fields as one sorted, comparable string.
func flatten(pkg string, msgs []*descriptorpb.DescriptorProto) map[string]string {
	out := map[string]string{}
	var rec func(prefix string, msgs []*descriptorpb.DescriptorProto)
	rec = func(prefix string, msgs []*descriptorpb.DescriptorProto) {
		for _, m := range msgs {
			name := prefix + "." + m.GetName()
			var fs []string
			for _, f := range m.Field {
				fs = append(fs, fmt.Sprintf("%d:%s:%v:%v:%s:opt=%v", f.GetNumber(), f.GetName(), f.GetType(), f.GetLabel(),
					f.GetTypeName(), f.GetProto3Optional()))
			}
			sort.Strings(fs)
			out[name] = strings.Join(fs, " ")
			rec(name, m.NestedType)
		}
	}
	rec(pkg, msgs)
	return out
}

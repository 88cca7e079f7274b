package fingerprint

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// fingerprintProto is libsignal's fingerprint.proto (proto2), transcribed.
func fingerprintProto() *descriptorpb.FileDescriptorProto {
	const p = ".signal.proto.fingerprint."
	field := func(name string, num int32, typ descriptorpb.FieldDescriptorProto_Type, typeName string) *descriptorpb.FieldDescriptorProto {
		f := &descriptorpb.FieldDescriptorProto{Name: proto.String(name), Number: proto.Int32(num), Type: typ.Enum(),
			Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(), JsonName: proto.String(name)}
		if typeName != "" {
			f.TypeName = proto.String(typeName)
		}
		return f
	}
	const tBytes, tUint32, tMsg = descriptorpb.FieldDescriptorProto_TYPE_BYTES, descriptorpb.FieldDescriptorProto_TYPE_UINT32, descriptorpb.FieldDescriptorProto_TYPE_MESSAGE
	return &descriptorpb.FileDescriptorProto{
		Name: proto.String("fingerprint.proto"), Package: proto.String("signal.proto.fingerprint"), Syntax: proto.String("proto2"),
		MessageType: []*descriptorpb.DescriptorProto{
			{Name: proto.String("LogicalFingerprint"), Field: []*descriptorpb.FieldDescriptorProto{field("content", 1, tBytes, "")}},
			{Name: proto.String("CombinedFingerprints"), Field: []*descriptorpb.FieldDescriptorProto{
				field("version", 1, tUint32, ""),
				field("local_fingerprint", 2, tMsg, p+"LogicalFingerprint"),
				field("remote_fingerprint", 3, tMsg, p+"LogicalFingerprint"),
			}},
		},
	}
}

// TestCrossCheckProtobuf compares Append with protobuf-go's deterministic
// encoding of the same CombinedFingerprints, and ParseScannable with
// protobuf-go's parse, over random values that hit the varint and length
// boundaries. (It moved here with the scannable form from internal/wire.)
func TestCrossCheckProtobuf(t *testing.T) {
	fd, err := protodesc.NewFile(fingerprintProto(), nil)
	if err != nil {
		t.Fatal(err)
	}
	md := fd.Messages().ByName("CombinedFingerprints")
	rng := rand.New(rand.NewPCG(5, 6))
	u32 := func() uint32 {
		switch rng.IntN(4) {
		case 0:
			return 0
		case 1:
			return rng.Uint32N(128)
		case 2:
			return 128 + rng.Uint32N(1<<14)
		}
		return rng.Uint32()
	}
	content := func() []byte {
		n := []int{0, 1 + rng.IntN(40), 120 + rng.IntN(20), 32, 1 + rng.IntN(2000)}[rng.IntN(5)]
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	for range 300 {
		s := &Scannable{Version: u32(), Local: content(), Remote: content()}
		d := dynamicpb.NewMessage(md)
		set := func(m *dynamicpb.Message, name string, v protoreflect.Value) {
			m.Set(m.Descriptor().Fields().ByName(protoreflect.Name(name)), v)
		}
		set(d, "version", protoreflect.ValueOfUint32(s.Version))
		for _, f := range []struct {
			name    string
			content []byte
		}{{"local_fingerprint", s.Local}, {"remote_fingerprint", s.Remote}} {
			sub := d.Mutable(md.Fields().ByName(protoreflect.Name(f.name))).Message().Interface().(*dynamicpb.Message)
			set(sub, "content", protoreflect.ValueOfBytes(f.content))
		}
		theirs, err := proto.MarshalOptions{Deterministic: true}.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		ours := s.Append(nil)
		if !bytes.Equal(ours, theirs) {
			t.Fatalf("ours\n%x\nprotobuf-go\n%x", ours, theirs)
		}
		back := dynamicpb.NewMessage(md)
		if err := proto.Unmarshal(ours, back); err != nil || !proto.Equal(back, d) {
			t.Fatalf("protobuf-go parses ours differently: %v", err)
		}
		got, err := ParseScannable(theirs)
		if err != nil || got.Version != s.Version || !bytes.Equal(got.Local, s.Local) || !bytes.Equal(got.Remote, s.Remote) {
			t.Fatalf("ParseScannable of protobuf-go's encoding: %v %+v", err, got)
		}
	}
}

// TestDescriptorMatchesProtoc compares fingerprintProto with protoc's
// compilation of libsignal's fingerprint.proto, as internal/wire's
// TestDescriptorsMatchProtoc does for wire.proto and storage.proto (see
// there for how to make the descriptor set).
func TestDescriptorMatchesProtoc(t *testing.T) {
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
	flatten := func(f *descriptorpb.FileDescriptorProto) map[string]string {
		out := map[string]string{}
		for _, m := range f.MessageType {
			var fs []string
			for _, fl := range m.Field {
				fs = append(fs, fmt.Sprintf("%d:%s:%v:%v:%s", fl.GetNumber(), fl.GetName(), fl.GetType(), fl.GetLabel(), fl.GetTypeName()))
			}
			sort.Strings(fs)
			out[m.GetName()] = strings.Join(fs, " ")
		}
		return out
	}
	ours := fingerprintProto()
	for _, theirs := range set.File {
		if theirs.GetName() != ours.GetName() {
			continue
		}
		want := flatten(theirs)
		for name, fields := range flatten(ours) {
			if want[name] != fields {
				t.Errorf("%s:\n ours     %s\n official %s", name, fields, want[name])
			}
		}
		return
	}
	t.Fatalf("%s not in the descriptor set", ours.GetName())
}

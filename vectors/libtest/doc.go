// Package libtest runs the known answers of package vectors against this
// library's packages through their exported API: RFC 7748 and libsignal's
// answers for curve, the libsignal-family XEdDSA and VXEdDSA answers for
// xeddsa, libsignal's ratcheting-session answers and the X3DH/PQXDH vectors
// for x3dh. It has no code outside its tests.
//
// These tests live here, not beside the packages they check, because the
// vectors module requires the library and the library does not require the
// vectors module (its tests read the few files they need by path, through
// internal/vectorfiles). Run them with the rest of this module's tests:
//
//	go -C vectors test ./...
//
// and the slow RFC 7748 answer (1,000,000 iterations) with
//
//	go -C vectors test ./libtest -run TestRFC7748Iterated -args -long
package libtest

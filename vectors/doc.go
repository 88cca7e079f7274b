// Package vectors holds the known-answer test vectors the library is checked
// against, embedded as JSON and exposed through typed loaders. Every file
// names its source: a published specification (RFC 7748, RFC 8032), the
// libsignal family's own tests, or this project's generators.
//
// The package imports nothing else from this module, so any package's tests,
// and other implementations, can use it.
package vectors

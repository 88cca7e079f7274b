module github.com/forwardsecret/signal/vectors

go 1.26.0

replace github.com/forwardsecret/signal => ../

require (
	filippo.io/edwards25519 v1.2.0
	github.com/forwardsecret/signal v0.0.0-00010101000000-000000000000
	github.com/tink-crypto/tink-go/v2 v2.6.0
	google.golang.org/protobuf v1.36.12
)

require (
	golang.org/x/crypto v0.41.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
)

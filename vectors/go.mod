module github.com/forwardsecret/signal/vectors

go 1.26.0

replace github.com/forwardsecret/signal => ../

require (
	filippo.io/edwards25519 v1.2.0
	github.com/forwardsecret/signal v0.0.0-00010101000000-000000000000
)

require google.golang.org/protobuf v1.36.12 // indirect

module github.com/forwardsecret/signal

go 1.26

require (
	filippo.io/edwards25519 v1.2.0 // indirect
	github.com/google/go-cmp v0.7.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)

module github.com/forwardsecret/signal/examples/browser

go 1.26.0

replace github.com/forwardsecret/signal => ../..

require (
	github.com/chromedp/chromedp v0.23.1
	github.com/forwardsecret/signal v0.0.0-00010101000000-000000000000
)

require (
	filippo.io/edwards25519 v1.2.0 // indirect
	github.com/chromedp/cdproto v0.160.5 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)

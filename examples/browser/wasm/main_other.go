//go:build !(js && wasm)

package main

import (
	"context"
	"fmt"
	"log"
)

// main, outside a browser, plays the page's conversation in the terminal.
func main() {
	ctx := context.Background()
	c, err := newChat(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("bob publishes a bundle: %d bytes (PQXDH, Kyber1024)\n", c.bundleSize)
	if _, err := c.play(ctx, func(e event) {
		fmt.Printf("%s -> %s: %s, %d bytes, v%d, SPQR epoch %d: %q\n", e.From, e.To, e.Type, e.Size, e.Version, e.Epoch, e.Plaintext)
	}); err != nil {
		log.Fatal(err)
	}
	fmt.Println("ok")
}

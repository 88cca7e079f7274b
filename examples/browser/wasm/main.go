//go:build js && wasm

// Command wasm is the browser demo's program: built with GOOS=js
// GOARCH=wasm, it runs in the page (index.html) and plays a v4 session
// (PQXDH with a Kyber1024 prekey, then the Double Ratchet with SPQR)
// between two parties of the page, Alice and Bob, each with in-memory
// stores. Every message is encrypted by one party, carried as bytes and
// decrypted by the other; the page shows each one, and the two text fields
// send more. Outside a browser it plays the same conversation in the
// terminal.
//
// When the script is done, the element #result holds "ok" (or "error: ..."),
// which the headless-browser test in this module waits for.
package main

import (
	"context"
	"fmt"
	"syscall/js"
)

func main() {
	ctx := context.Background()
	doc := js.Global().Get("document")
	result := doc.Call("getElementById", "result")
	fail := func(err error) {
		result.Set("textContent", "error: "+err.Error())
		result.Get("classList").Call("add", "error")
	}
	c, err := newChat(ctx)
	if err != nil {
		fail(err)
		return
	}
	status := doc.Call("getElementById", "status")
	status.Set("textContent", fmt.Sprintf("Bob published a bundle (%d bytes: identity, signed prekey, one-time prekey, Kyber1024 prekey); Alice started a PQXDH session from it.", c.bundleSize))
	log := doc.Call("getElementById", "log")
	show := func(e event) {
		row := doc.Call("createElement", "tr")
		row.Set("className", "msg from-"+e.From)
		for _, text := range []string{
			e.From + " → " + e.To,
			e.Type,
			fmt.Sprintf("%d B: %s…", e.Size, e.Head),
			fmt.Sprintf("v%d, epoch %d", e.Version, e.Epoch),
			e.Plaintext,
		} {
			td := doc.Call("createElement", "td")
			td.Set("textContent", text)
			row.Call("appendChild", td)
		}
		log.Call("appendChild", row)
	}
	turns, err := c.play(ctx, show)
	if err != nil {
		fail(err)
		return
	}
	first, last := turns[0].Epoch, turns[len(turns)-1].Epoch
	status.Set("textContent", status.Get("textContent").String()+fmt.Sprintf(" %d messages decrypted; SPQR moved from epoch %d to %d.", len(turns), first, last))
	result.Set("textContent", "ok")
	result.Get("classList").Call("add", "ok")

	// The two forms send what their party types.
	for _, p := range []struct{ from, to *party }{{c.alice, c.bob}, {c.bob, c.alice}} {
		form := doc.Call("getElementById", "send-"+p.from.name)
		input := form.Call("querySelector", "input")
		form.Call("addEventListener", "submit", js.FuncOf(func(this js.Value, args []js.Value) any {
			args[0].Call("preventDefault")
			text := input.Get("value").String()
			input.Set("value", "")
			// A handler must not block the browser's event loop.
			go func() {
				e, err := c.send(ctx, p.from, p.to, text)
				if err != nil {
					fail(err)
					return
				}
				show(e)
			}()
			return nil
		}))
	}
	select {} // keep the handlers alive
}

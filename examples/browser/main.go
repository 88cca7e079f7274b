//go:build !js

// Command browser serves the browser demo: it builds the program in ./wasm
// for GOOS=js GOARCH=wasm, puts it next to index.html and Go's
// wasm_exec.js, and serves the three on localhost. Open the address it
// prints; the page plays a v4 session (PQXDH, then the Double Ratchet with
// SPQR) between two parties of the page.
//
//	cd examples/browser && go run . [-addr 127.0.0.1:8080]
//
// TestBrowser does the same on a free port and checks the page in headless
// Chromium. The module is separate from the library's so that the library
// does not require chromedp.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

func main() {
	log.SetFlags(0)
	addr := flag.String("addr", "127.0.0.1:8080", "address to serve the page on")
	flag.Parse()
	dir, err := os.MkdirTemp("", "signal-browser-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := build(dir); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("serving the demo on http://%s/\n", *addr)
	log.Fatal(http.ListenAndServe(*addr, http.FileServer(http.Dir(dir))))
}

// build writes the page into dir: index.html, main.wasm built from ./wasm
// (relative to the working directory, this module's), and the
// wasm_exec.js of the Go that builds it.
func build(dir string) error {
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "main.wasm"), "./wasm")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./wasm for js/wasm: %v\n%s", err, out)
	}
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return fmt.Errorf("go env GOROOT: %v", err)
	}
	goroot := strings.TrimSpace(string(out))
	var js []byte
	// lib/wasm since Go 1.24, misc/wasm before.
	for _, sub := range []string{"lib/wasm", "misc/wasm"} {
		if js, err = os.ReadFile(filepath.Join(goroot, sub, "wasm_exec.js")); err == nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("wasm_exec.js: %v", err)
	}
	page, err := os.ReadFile("index.html")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "wasm_exec.js"), js, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "index.html"), page, 0o644)
}

//go:build !js

package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browserTimeout bounds the whole browser session: start, load, the
// scripted conversation and one typed message.
const browserTimeout = 3 * time.Minute

// chromium returns the browser to drive: $CHROMIUM, or the first of the
// usual names on $PATH.
func chromium(t *testing.T) string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium found (set CHROMIUM); CI installs Debian's chromium")
	}
	t.Skip("no Chromium found (set CHROMIUM to run the browser test)")
	return ""
}

// TestBrowser serves the demo on localhost and loads it in headless
// Chromium: the page must report "ok", show every scripted message
// decrypted, and decrypt a message typed into Alice's form.
func TestBrowser(t *testing.T) {
	exe := chromium(t)
	if testing.Short() {
		t.Skip("builds the wasm program and starts a browser")
	}
	dir := t.TempDir()
	if err := build(dir); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	}
	// chromedp: the first Run of a context starts the browser, which lives
	// as long as that context; timeouts go on contexts derived after it.
	ctx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel = chromedp.NewContext(ctx)
	defer cancel()
	// The page's console and uncaught exceptions, for a failure's log.
	console := chromedp.Console(ctx)
	consoleDone := make(chan struct{})
	defer func() { cancel(); <-consoleDone }()
	go func() {
		defer close(consoleDone)
		for m, err := range console {
			if err != nil {
				return
			}
			t.Logf("console: %s", m)
		}
	}()

	start := time.Now()
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatalf("browser: %v", err)
	}
	tctx, tcancel := context.WithTimeout(ctx, browserTimeout)
	defer tcancel()
	if _, err := chromedp.Run(tctx, chromedp.Poll[bool](`document.getElementById("result").textContent !== "running"`, chromedp.WithPollingTimeout(browserTimeout))); err != nil {
		t.Fatalf("waiting for #result: %v", err)
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(tctx, chromedp.TextContent(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return v
	}
	result, status, log := text("#result"), text("#status"), text("#log")
	t.Logf("page done in %v: %s", time.Since(start).Round(time.Millisecond), status)
	if result != "ok" {
		t.Fatalf("#result %q, want ok", result)
	}
	// The script of wasm/chat.go.
	for _, s := range []string{"Hello Bob, from a browser tab", "Hi Alice, decrypted in WebAssembly", "PQXDH started this session", "and SPQR keeps ratcheting"} {
		if !strings.Contains(log, s) {
			t.Errorf("the page shows no %q", s)
		}
	}
	if !strings.Contains(log, "PreKeySignalMessage") || !strings.Contains(log, "v4, epoch 2") {
		t.Errorf("the page shows no PreKeySignalMessage or no SPQR epoch 2:\n%s", log)
	}

	// A message typed into Alice's form is decrypted by Bob.
	const typed = "typed into the page"
	if err := chromedp.Do(tctx,
		chromedp.SendKeys(chromedp.CSS("#send-alice input"), typed),
		chromedp.Click(chromedp.CSS("#send-alice button")),
	); err != nil {
		t.Fatalf("typing a message: %v", err)
	}
	if _, err := chromedp.Run(tctx, chromedp.Poll[bool](`document.querySelector("#log tr:last-child td:last-child").textContent === "`+typed+`"`)); err != nil {
		t.Fatalf("waiting for the typed message: %v (last row %q)", err, text("#log tr:last-child"))
	}
	if last := text("#log tr:last-child"); !strings.Contains(last, "alice → bob") {
		t.Errorf("last row %q", last)
	}
}

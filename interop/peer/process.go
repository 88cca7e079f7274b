package peer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// Kinds of process peers.
const (
	KindC       = "c"       // libsignal-protocol-c 2.3.3 (Debian), OpenSSL 3 crypto provider
	KindPython  = "python"  // python-axolotl 0.2.3 (Debian python3-axolotl)
	KindNode    = "node"    // npm libsignal 6.0.0
	KindGomau   = "gomau"   // go.mau.fi/libsignal v0.2.1
	KindNodeV4  = "node-v4" // npm @signalapp/libsignal-client 0.103.0 (v4 / PQXDH; talks only to itself)
	stderrLimit = 64 << 10  // bytes of peer stderr kept for error reports
)

// V3Kinds lists the peers that speak the v3 (X3DH) profile with each other.
var V3Kinds = []string{KindC, KindPython, KindNode, KindGomau}

// DefaultTimeout bounds one request/response round trip.
const DefaultTimeout = 20 * time.Second

// ErrUnsupported is returned (wrapped) for an operation a peer's library
// does not offer.
var ErrUnsupported = errors.New("peer: operation not supported by this peer")

// ErrUnavailable is returned (wrapped) by [Start] when a peer's runtime or
// library is not installed on this machine.
var ErrUnavailable = errors.New("peer: not available")

// PeerError is an {"ok":false} answer from a peer, with its stderr tail.
type PeerError struct {
	Kind, Op, Msg string
	Stderr        string
}

// Error includes the peer's stderr tail when the peer died or timed out.
func (e *PeerError) Error() string {
	s := fmt.Sprintf("peer %s: %s: %s", e.Kind, e.Op, e.Msg)
	if e.Stderr != "" {
		s += "\n--- stderr ---\n" + e.Stderr
	}
	return s
}

// tailBuffer keeps the last stderrLimit bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > stderrLimit {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-stderrLimit:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// Process is a running peer process. It implements [Party] and [Signer].
// Its methods are safe for use by one goroutine at a time (calls are
// serialized by a mutex).
type Process struct {
	kind    string
	label   string
	timeout time.Duration
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	lines   chan []byte
	readErr chan error
	stderr  *tailBuffer
	mu      sync.Mutex
	dead    error
}

// Start launches a peer of the given kind. It returns an error wrapping
// [ErrUnavailable] when the peer cannot run here (library not installed,
// node_modules missing, ...).
func Start(ctx context.Context, kind string) (*Process, error) {
	argv, err := command(ctx, kind)
	if err != nil {
		return nil, err
	}
	return startArgv(kind, argv)
}

// StartCommand launches a peer from an explicit command line (for peers
// built elsewhere, or test doubles).
func StartCommand(kind string, argv ...string) (*Process, error) {
	if len(argv) == 0 {
		return nil, errors.New("peer: empty command")
	}
	return startArgv(kind, argv)
}

func startArgv(kind string, argv []string) (*Process, error) {
	var err error
	cmd := exec.Command(argv[0], argv[1:]...)
	p := &Process{
		kind:    kind,
		label:   kind,
		timeout: DefaultTimeout,
		cmd:     cmd,
		lines:   make(chan []byte, 1),
		readErr: make(chan error, 1),
		stderr:  &tailBuffer{},
	}
	cmd.Stderr = p.stderr
	cmd.WaitDelay = 2 * time.Second
	setGroup(cmd)
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("peer %s: start: %w", kind, err)
	}
	go func() {
		r := bufio.NewReaderSize(stdout, 1<<20)
		for {
			line, err := r.ReadBytes('\n')
			if len(line) > 0 && err == nil {
				p.lines <- line
				continue
			}
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			p.readErr <- err
			return
		}
	}()
	return p, nil
}

// SetLabel sets the name used in test output and errors.
func (p *Process) SetLabel(s string) { p.label = s }

// SetTimeout changes the per-request timeout.
func (p *Process) SetTimeout(d time.Duration) { p.timeout = d }

// Kind returns the peer kind.
func (p *Process) Kind() string { return p.kind }

// Label implements [Party].
func (p *Process) Label() string { return p.label }

// Stderr returns what the peer wrote to stderr so far (last 64 KiB).
func (p *Process) Stderr() string { return p.stderr.String() }

// Call sends one request and decodes the response into resp (may be nil).
// req must marshal to a JSON object; "op" is added.
func (p *Process) Call(ctx context.Context, op string, req, resp any) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dead != nil {
		return fmt.Errorf("peer %s: %s: peer is dead: %w", p.kind, op, p.dead)
	}
	fields := map[string]json.RawMessage{}
	if req != nil {
		b, err := json.Marshal(req)
		if err != nil {
			return fmt.Errorf("peer %s: %s: %w", p.kind, op, err)
		}
		if err := json.Unmarshal(b, &fields); err != nil {
			return fmt.Errorf("peer %s: %s: request is not an object: %w", p.kind, op, err)
		}
	}
	fields["op"], _ = json.Marshal(op)
	line, _ := json.Marshal(fields)
	line = append(line, '\n')
	if _, err := p.stdin.Write(line); err != nil {
		return p.fail(op, fmt.Errorf("write: %w", err))
	}
	timer := time.NewTimer(p.timeout)
	defer timer.Stop()
	var got []byte
	select {
	case got = <-p.lines:
	case err := <-p.readErr:
		// Give the process a moment to exit so stderr is complete.
		time.Sleep(50 * time.Millisecond)
		return p.fail(op, fmt.Errorf("read: %w", err))
	case <-timer.C:
		p.kill()
		return p.fail(op, fmt.Errorf("timeout after %v", p.timeout))
	case <-ctx.Done():
		p.kill()
		return p.fail(op, ctx.Err())
	}
	var status struct {
		OK    *bool  `json:"ok"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(got, &status); err != nil || status.OK == nil {
		return p.fail(op, fmt.Errorf("bad response line %q", truncate(got)))
	}
	if !*status.OK {
		return &PeerError{Kind: p.kind, Op: op, Msg: status.Error}
	}
	if resp != nil {
		if err := json.Unmarshal(got, resp); err != nil {
			return fmt.Errorf("peer %s: %s: decode response %q: %w", p.kind, op, truncate(got), err)
		}
	}
	return nil
}

func truncate(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "..."
	}
	return string(bytes.TrimSpace(b))
}

func (p *Process) fail(op string, err error) error {
	p.dead = err
	return &PeerError{Kind: p.kind, Op: op, Msg: err.Error(), Stderr: p.stderr.String()}
}

func (p *Process) kill() { killGroup(p.cmd) }

// Close asks the peer to shut down and waits (briefly) for it to exit.
func (p *Process) Close() error {
	if p.dead == nil {
		old := p.timeout
		p.timeout = 5 * time.Second
		_ = p.Call(context.Background(), "shutdown", nil, nil)
		p.timeout = old
	}
	_ = p.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		return ignoreExit(err)
	case <-time.After(5 * time.Second):
		p.kill()
		return ignoreExit(<-done)
	}
}

func ignoreExit(err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return nil
	}
	return err
}

// InitRequest configures a fresh peer.
type InitRequest struct {
	RegistrationID  uint32 `json:"registration_id"`
	DeviceID        uint32 `json:"device_id"`
	IdentityPrivate Hex    `json:"identity_private,omitempty"` // 32 bytes; generated when nil
	Seed            Hex    `json:"seed,omitempty"`             // deterministic randomness, where supported
	Name            string `json:"name,omitempty"`             // own address name, for peers that need one (node-v4)
}

// Init initializes the peer's identity and returns its 33-byte identity public key.
func (p *Process) Init(ctx context.Context, req InitRequest) (Hex, error) {
	var r struct {
		IdentityPublic Hex `json:"identity_public"`
	}
	if err := p.Call(ctx, "init", req, &r); err != nil {
		return nil, err
	}
	return r.IdentityPublic, nil
}

// Bundle implements [Party].
func (p *Process) Bundle(ctx context.Context, req BundleRequest) (Bundle, error) {
	var b Bundle
	err := p.Call(ctx, "bundle", req, &b)
	return b, err
}

type addrReq struct {
	Name     string `json:"name"`
	DeviceID uint32 `json:"device_id"`
}

// ProcessBundle implements [Party].
func (p *Process) ProcessBundle(ctx context.Context, remote Address, b Bundle) error {
	return p.Call(ctx, "process_bundle", struct {
		addrReq
		Bundle Bundle `json:"bundle"`
	}{addrReq(remote), b}, nil)
}

// Encrypt implements [Party].
func (p *Process) Encrypt(ctx context.Context, remote Address, plaintext []byte) (Message, error) {
	var m Message
	err := p.Call(ctx, "encrypt", struct {
		addrReq
		Plaintext Hex `json:"plaintext"`
	}{addrReq(remote), plaintext}, &m)
	return m, err
}

// Decrypt implements [Party].
func (p *Process) Decrypt(ctx context.Context, remote Address, m Message) ([]byte, error) {
	var r struct {
		Plaintext Hex `json:"plaintext"`
	}
	err := p.Call(ctx, "decrypt", struct {
		addrReq
		Message
	}{addrReq(remote), m}, &r)
	return r.Plaintext, err
}

// HasSession implements [Party].
func (p *Process) HasSession(ctx context.Context, remote Address) (bool, error) {
	var r struct {
		Has bool `json:"has"`
	}
	err := p.Call(ctx, "has_session", addrReq(remote), &r)
	return r.Has, err
}

// XEdDSASign implements [Signer].
func (p *Process) XEdDSASign(ctx context.Context, private, message, random []byte) ([]byte, error) {
	var r struct {
		Signature Hex `json:"signature"`
	}
	err := p.Call(ctx, "xeddsa_sign", struct {
		Private Hex `json:"private"`
		Message Hex `json:"message"`
		Random  Hex `json:"random,omitempty"`
	}{private, message, random}, &r)
	return r.Signature, p.unsupported(err)
}

// XEdDSAVerify implements [Signer].
func (p *Process) XEdDSAVerify(ctx context.Context, public, message, signature []byte) (bool, error) {
	var r struct {
		Valid bool `json:"valid"`
	}
	err := p.Call(ctx, "xeddsa_verify", struct {
		Public    Hex `json:"public"`
		Message   Hex `json:"message"`
		Signature Hex `json:"signature"`
	}{public, message, signature}, &r)
	return r.Valid, err
}

// VXEdDSASign computes a 96-byte VXEdDSA signature and its 32-byte VRF
// output; random is 64 bytes (nil: drawn by the peer). Peers without
// VXEdDSA return an error wrapping [ErrUnsupported].
func (p *Process) VXEdDSASign(ctx context.Context, private, message, random []byte) (sig, vrf []byte, err error) {
	var r struct {
		Signature Hex `json:"signature"`
		VRF       Hex `json:"vrf"`
	}
	err = p.Call(ctx, "vxeddsa_sign", struct {
		Private Hex `json:"private"`
		Message Hex `json:"message"`
		Random  Hex `json:"random,omitempty"`
	}{private, message, random}, &r)
	return r.Signature, r.VRF, p.unsupported(err)
}

// VXEdDSAVerify verifies a VXEdDSA signature and returns the VRF output.
func (p *Process) VXEdDSAVerify(ctx context.Context, public, message, signature []byte) (valid bool, vrf []byte, err error) {
	var r struct {
		Valid bool `json:"valid"`
		VRF   Hex  `json:"vrf"`
	}
	err = p.Call(ctx, "vxeddsa_verify", struct {
		Public    Hex `json:"public"`
		Message   Hex `json:"message"`
		Signature Hex `json:"signature"`
	}{public, message, signature}, &r)
	return r.Valid, r.VRF, p.unsupported(err)
}

func (p *Process) unsupported(err error) error {
	var pe *PeerError
	if errors.As(err, &pe) && (strings.HasPrefix(pe.Msg, "unknown op") || strings.HasPrefix(pe.Msg, "unsupported")) {
		return fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	return err
}

var (
	_ Party  = (*Process)(nil)
	_ Signer = (*Process)(nil)
)

// env returns os.Getenv(k) or def.
func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// Package erasure implements the systematic Reed-Solomon erasure code that
// SPQR (Signal's sparse post-quantum ratchet) uses to send large values
// (ML-KEM headers, encapsulation keys, ciphertexts) a 32-byte chunk per
// message, so that the receiver can rebuild a value from any sufficient set
// of chunks, whichever messages were lost or reordered.
//
// # The code
//
// A message of L bytes (L even) is read as L/2 big-endian 16-bit values
// v_0, v_1, …, elements of GF(2^16) (reduction polynomial 0x1100b). Value v_i
// belongs to polynomial i mod 16 as the point (x = ⌊i/16⌋, y = v_i), so each
// of the 16 polynomials interpolates the values at x = 0, 1, 2, …. Chunk
// number c carries the 16 values p_0(c), …, p_15(c), each as two big-endian
// bytes. For c below the number of points the chunk is a verbatim 32-byte
// slice of the message (the code is systematic); above, it is a fresh
// evaluation. A receiver needs, for each polynomial, as many distinct points
// as it has coefficients: for messages that are a multiple of 32 bytes long,
// any L/32 distinct chunks.
//
// Encoder and Decoder also expose their state in the form SPQR stores it in
// libsignal session records (package spqr wraps it in protobuf).
package erasure

import (
	"encoding/binary"
	"errors"
	"slices"
	"sync"
)

const (
	// ChunkSize is the size of a chunk's data.
	ChunkSize = 32
	// NumPolys is the number of interleaved polynomials (ChunkSize / 2).
	NumPolys = ChunkSize / 2
	// MaxMessageSize is the largest message an Encoder accepts.
	MaxMessageSize = 1 << 16 * NumPolys
)

// Errors.
var (
	ErrOddLength    = errors.New("erasure: message length must be even")
	ErrTooLong      = errors.New("erasure: message too long")
	ErrInvalidState = errors.New("erasure: invalid serialized state")
)

// Chunk is one coded piece of a message.
type Chunk struct {
	Index uint16
	Data  [ChunkSize]byte
}

// Encoder produces the chunks of one message.
//
// A copy of an Encoder value (c := *e) is an independent encoder that costs
// a small struct whatever the message size: the values it shares with e are
// never written once made, only replaced.
type Encoder struct {
	next uint32 // index of the next chunk Next returns (wraps at 2^32; chunk indexes wrap at 2^16)
	// Before the first non-systematic chunk the encoder keeps the message
	// values (vals(j)[x] = p_j(x)); afterwards (polys set) the coefficients
	// of each polynomial (vals(j)[d] = coefficient of x^d), as SPQR does.
	// Polynomial j's values are data[off[j]:off[j+1]].
	data  []uint16
	off   [NumPolys + 1]uint32
	polys bool
}

// vals returns polynomial j's values or coefficients.
func (e *Encoder) vals(j int) []uint16 { return e.data[e.off[j]:e.off[j+1]:e.off[j+1]] }

// NewEncoder returns an encoder for msg, whose first chunk has index 0.
func NewEncoder(msg []byte) (*Encoder, error) {
	if len(msg)%2 != 0 {
		return nil, ErrOddLength
	}
	if len(msg) > MaxMessageSize {
		return nil, ErrTooLong
	}
	n := len(msg) / 2
	e := &Encoder{data: make([]uint16, n)}
	for j := range NumPolys {
		c := n / NumPolys
		if j < n%NumPolys {
			c++
		}
		e.off[j+1] = e.off[j] + uint32(c)
	}
	for i := range n {
		e.data[e.off[i%NumPolys]+uint32(i/NumPolys)] = uint16(msg[2*i])<<8 | uint16(msg[2*i+1])
	}
	return e, nil
}

// Next returns the next chunk and advances the encoder.
func (e *Encoder) Next() Chunk {
	c := e.Chunk(uint16(e.next))
	e.next++
	return c
}

// NextIndex returns the index counter of the next chunk.
func (e *Encoder) NextIndex() uint32 { return e.next }

// Chunk returns chunk number idx. Asking for a non-systematic chunk switches
// the encoder to its coefficient form (observable only through State).
func (e *Encoder) Chunk(idx uint16) Chunk {
	c := Chunk{Index: idx}
	if !e.polys {
		for j := range NumPolys {
			if int(idx) >= len(e.vals(j)) {
				e.toCoefficients()
				break
			}
		}
	}
	if !e.polys { // systematic: the message's own values
		for j := range NumPolys {
			binary.BigEndian.PutUint16(c.Data[2*j:], e.vals(j)[idx])
		}
		return c
	}
	var m mulByConst
	m.init(idx)
	for j := range NumPolys {
		// Horner's rule at idx.
		var y uint16
		cs := e.vals(j)
		for d := len(cs) - 1; d >= 0; d-- {
			y = m.mul(y) ^ cs[d]
		}
		binary.BigEndian.PutUint16(c.Data[2*j:], y)
	}
	return c
}

// toCoefficients replaces the values by the coefficients of the
// polynomials through them.
func (e *Encoder) toCoefficients() {
	tablesOnce.Do(initTables)
	coeffs := make([]uint16, len(e.data)) // new values: copies of e share the old ones
	for p := range NumPolys {
		interpolateComplete(coeffs[e.off[p]:e.off[p+1]], e.vals(p))
	}
	e.data, e.polys = coeffs, true
}

// interpolateComplete writes to out (zeroed, len(ys) long) the coefficients
// of the polynomial of degree < len(ys) through (0, ys[0]), (1, ys[1]), …,
// as Σ ys[i]·L_i with the Lagrange basis L_i for the points 0 … k-1,
// computed once per k.
func interpolateComplete(out, ys []uint16) {
	k := len(ys)
	basis := completeBasis(k)
	for i, y := range ys {
		if y == 0 {
			continue
		}
		li := basis[i*k : (i+1)*k]
		ly := logTable[y]
		for d, c := range li {
			if c != 0 {
				out[d] ^= expTable[int(logTable[c])+int(ly)]
			}
		}
	}
}

// basisCache maps k to the k·k coefficients of the Lagrange basis for the
// points 0 … k-1 (L_i occupies [i·k, (i+1)·k)).
var basisCache sync.Map

func completeBasis(k int) []uint16 {
	if v, ok := basisCache.Load(k); ok {
		return v.([]uint16)
	}
	xs := make([]uint16, k)
	for i := range xs {
		xs[i] = uint16(i)
	}
	b := make([]uint16, 0, k*k)
	ys := make([]uint16, k)
	for i := range k {
		clear(ys)
		ys[i] = 1
		b = append(b, interpolate(xs, ys)...)
	}
	v, _ := basisCache.LoadOrStore(k, b)
	return v.([]uint16)
}

// interpolate returns the len(xs) coefficients (lowest degree first) of the
// polynomial of degree < len(xs) through the points (xs[i], ys[i]), which
// must have distinct xs. Lagrange's formula, O(len(xs)^2).
func interpolate(xs, ys []uint16) []uint16 {
	k := len(xs)
	out := make([]uint16, k)
	if k == 0 {
		return out
	}
	// master(x) = Π (x - xs[i]), degree k, coefficients lowest first.
	master := make([]uint16, k+1)
	master[0] = 1
	for i, xi := range xs {
		// master *= (x + xi) (subtraction is addition in characteristic 2).
		if xi == 0 {
			copy(master[1:i+2], master[:i+1])
			master[0] = 0
			continue
		}
		lx := int(logTable[xi])
		for d := i + 1; d > 0; d-- {
			master[d] = master[d-1] ^ gfMulLog(master[d], lx)
		}
		master[0] = gfMulLog(master[0], lx)
	}
	q := make([]uint16, k)
	for i, xi := range xs {
		if ys[i] == 0 {
			continue // contributes nothing
		}
		// q = master / (x + xi) by synthetic division, high degree first.
		carry := master[k]
		for d := k - 1; d >= 0; d-- {
			q[d] = carry
			if xi != 0 {
				carry = master[d] ^ gfMulLog(carry, int(logTable[xi]))
			} else {
				carry = master[d]
			}
		}
		// scale = ys[i] / q(xi), with q(xi) = Π_{j≠i} (xi - xj): sum the logs.
		logDenom := 0
		for j, xj := range xs {
			if j != i {
				logDenom += int(logTable[xi^xj])
			}
		}
		logScale := (int(logTable[ys[i]]) - logDenom%groupOrder + groupOrder) % groupOrder
		for d := range k {
			out[d] ^= gfMulLog(q[d], logScale)
		}
	}
	return out
}

// evaluate returns the polynomial with coefficients c (lowest first) at x.
func evaluate(c []uint16, x uint16) uint16 {
	if x == 0 {
		if len(c) == 0 {
			return 0
		}
		return c[0]
	}
	lx := int(logTable[x])
	var y uint16
	for d := len(c) - 1; d >= 0; d-- {
		y = gfMulLog(y, lx) ^ c[d]
	}
	return y
}

// EncoderState is an Encoder's state in the layout of SPQR's protobuf
// message PolynomialEncoder: Index is the next chunk counter; exactly one of
// Points (16 entries of big-endian 16-bit values) or Polys (16 entries of
// big-endian 16-bit coefficients, lowest degree first) is set.
type EncoderState struct {
	Index  uint32
	Points [][]byte
	Polys  [][]byte
}

// State returns the encoder's state for storage.
func (e *Encoder) State() EncoderState {
	s := EncoderState{Index: e.next}
	total := 0
	for j := range NumPolys {
		total += e.StateEntryLen(j)
	}
	buf := make([]byte, 0, total) // one allocation for all 16 entries
	out := make([][]byte, NumPolys)
	for j := range NumPolys {
		start := len(buf)
		buf = e.AppendStateEntry(buf, j)
		out[j] = buf[start:len(buf):len(buf)]
	}
	if e.polys {
		s.Polys = out
	} else {
		s.Points = out
	}
	return s
}

// StateIsPolys reports whether State would set Polys (else Points).
func (e *Encoder) StateIsPolys() bool { return e.polys }

// StateEntryLen returns the length of entry j of State's Points or Polys.
func (e *Encoder) StateEntryLen(j int) int { return 2 * int(e.off[j+1]-e.off[j]) }

// AppendStateEntry appends entry j of State's Points or Polys to dst, as
// State would make it, without making the others.
func (e *Encoder) AppendStateEntry(dst []byte, j int) []byte {
	src := e.vals(j)
	n := len(dst)
	dst = slices.Grow(dst, 2*len(src))[:n+2*len(src)]
	out := dst[n:]
	for i, x := range src {
		binary.BigEndian.PutUint16(out[2*i:], x)
	}
	return dst
}

// NewEncoderFromState rebuilds an Encoder from a stored state. maxValues
// bounds the number of 16-bit values per polynomial (a state can claim no
// more than the message it was made for). Errors wrap ErrInvalidState.
func NewEncoderFromState(s EncoderState, maxValues int) (*Encoder, error) {
	e := new(Encoder)
	if err := e.SetState(s, maxValues); err != nil {
		return nil, err
	}
	return e, nil
}

// Check reports whether SetState would accept s (nil) or not (an error
// wrapping ErrInvalidState), without decoding it.
func (s EncoderState) Check(maxValues int) error {
	_, _, err := s.check(maxValues)
	return err
}

// check returns the entries of s and their total number of values.
func (s EncoderState) check(maxValues int) (src [][]byte, total int, err error) {
	polys := len(s.Polys) > 0
	switch {
	case len(s.Points) == NumPolys && len(s.Polys) == 0:
		src = s.Points
	case len(s.Points) == 0 && len(s.Polys) == NumPolys:
		src = s.Polys
	default:
		return nil, 0, ErrInvalidState
	}
	for _, b := range src {
		if len(b)%2 != 0 || len(b)/2 > maxValues || (polys && len(b) == 0) {
			return nil, 0, ErrInvalidState
		}
		total += len(b) / 2
	}
	return src, total, nil
}

// SetState is NewEncoderFromState into e. On error e is unchanged.
func (e *Encoder) SetState(s EncoderState, maxValues int) error {
	src, total, err := s.check(maxValues)
	if err != nil {
		return err
	}
	polys := len(s.Polys) > 0
	if polys {
		tablesOnce.Do(initTables)
	}
	*e = Encoder{next: s.Index, polys: polys, data: make([]uint16, total)} // one allocation
	for j, b := range src {
		e.off[j+1] = e.off[j] + uint32(len(b)/2)
		v := e.vals(j)
		for i := range v {
			v[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		}
	}
	return nil
}

// point is a received value p_j(x) = y.
type point struct{ x, y uint16 }

// Decoder collects chunks of one message of known length.
type Decoder struct {
	ptsNeeded int               // message length / 2
	pts       [NumPolys][]point // per polynomial, sorted by x, distinct x
	complete  bool              // SPQR's is_complete flag, kept for storage
}

// NewDecoder returns a decoder for a message of msgLen bytes.
func NewDecoder(msgLen int) (*Decoder, error) {
	if msgLen%2 != 0 {
		return nil, ErrOddLength
	}
	if msgLen > MaxMessageSize || msgLen < 0 {
		return nil, ErrTooLong
	}
	return &Decoder{ptsNeeded: msgLen / 2}, nil
}

// Clone returns a deep copy of d, in one allocation for all its points, with
// room for one more point per polynomial (what one Add keeps at most).
func (d *Decoder) Clone() *Decoder {
	c := &Decoder{ptsNeeded: d.ptsNeeded, complete: d.complete}
	total := 0
	for j := range NumPolys {
		total += len(d.pts[j]) + 1
	}
	all := make([]point, total)
	for j, ps := range d.pts {
		n := copy(all, ps)
		c.pts[j] = all[: n : n+1]
		all = all[n+1:]
	}
	return c
}

// necessary returns how many points polynomial j needs.
func (d *Decoder) necessary(j int) int {
	n := d.ptsNeeded / NumPolys
	if j < d.ptsNeeded%NumPolys {
		n++
	}
	return n
}

// Add records a chunk. Chunks may arrive in any order and repeat; a point
// whose x is already known is ignored (the first one wins). To bound memory,
// a point is kept only if it is systematic (x below the number of points the
// polynomial needs) or the polynomial still lacks points.
func (d *Decoder) Add(c Chunk) {
	for j := range NumPolys {
		x := c.Index
		y := uint16(c.Data[2*j])<<8 | uint16(c.Data[2*j+1])
		need := d.necessary(j)
		if int(x) < need || len(d.pts[j]) < need {
			d.pts[j] = insertPoint(d.pts[j], point{x, y})
		}
	}
}

func insertPoint(ps []point, p point) []point {
	if len(ps) == 0 || ps[len(ps)-1].x < p.x {
		return append(ps, p) // the common case: stored states are sorted
	}
	i, found := slices.BinarySearchFunc(ps, p.x, func(a point, x uint16) int { return int(a.x) - int(x) })
	if found {
		return ps
	}
	return slices.Insert(ps, i, p)
}

// Message returns the decoded message once enough chunks have arrived, and
// false before. The result is only as good as the chunks: callers
// authenticate it.
func (d *Decoder) Message() ([]byte, bool) {
	if d.complete {
		return nil, false
	}
	for j := range NumPolys {
		if len(d.pts[j]) < d.necessary(j) {
			return nil, false
		}
	}
	tablesOnce.Do(initTables)
	var coeffs [NumPolys][]uint16
	out := make([]byte, 0, 2*d.ptsNeeded)
	for i := range d.ptsNeeded {
		j, x := i%NumPolys, uint16(i/NumPolys)
		ps := d.pts[j]
		var y uint16
		if k, found := slices.BinarySearchFunc(ps, x, func(a point, x uint16) int { return int(a.x) - int(x) }); found {
			y = ps[k].y
		} else {
			if coeffs[j] == nil {
				use := ps[:d.necessary(j)]
				xs := make([]uint16, len(use))
				ys := make([]uint16, len(use))
				for t, p := range use {
					xs[t], ys[t] = p.x, p.y
				}
				coeffs[j] = interpolate(xs, ys)
			}
			y = evaluate(coeffs[j], x)
		}
		out = append(out, byte(y>>8), byte(y))
	}
	return out, true
}

// DecoderState is a Decoder's state in the layout of SPQR's protobuf message
// PolynomialDecoder: PtsNeeded = message length / 2, Polys = 16, Points = 16
// entries of (x, y) pairs as big-endian 16-bit values sorted by x.
type DecoderState struct {
	PtsNeeded  uint32
	Polys      uint32
	Points     [][]byte
	IsComplete bool
}

// State returns the decoder's state for storage.
func (d *Decoder) State() DecoderState {
	s := DecoderState{PtsNeeded: uint32(d.ptsNeeded), Polys: NumPolys, IsComplete: d.complete, Points: make([][]byte, NumPolys)}
	total := 0
	for j := range NumPolys {
		total += 4 * len(d.pts[j])
	}
	buf := make([]byte, 0, total) // one allocation for all 16 entries
	for j := range NumPolys {
		start := len(buf)
		for _, p := range d.pts[j] {
			buf = append(buf, byte(p.x>>8), byte(p.x), byte(p.y>>8), byte(p.y))
		}
		s.Points[j] = buf[start:len(buf):len(buf)]
	}
	return s
}

// StateFields returns State's scalar fields.
func (d *Decoder) StateFields() (ptsNeeded, polys uint32, isComplete bool) {
	return uint32(d.ptsNeeded), NumPolys, d.complete
}

// StateEntryLen returns the length of entry j of State's Points.
func (d *Decoder) StateEntryLen(j int) int { return 4 * len(d.pts[j]) }

// AppendStateEntry appends entry j of State's Points to dst, as State would
// make it, without making the others.
func (d *Decoder) AppendStateEntry(dst []byte, j int) []byte {
	ps := d.pts[j]
	n := len(dst)
	dst = slices.Grow(dst, 4*len(ps))[:n+4*len(ps)]
	out := dst[n:]
	for i, p := range ps {
		binary.BigEndian.PutUint16(out[4*i:], p.x)
		binary.BigEndian.PutUint16(out[4*i+2:], p.y)
	}
	return dst
}

// NewDecoderFromState rebuilds a Decoder from a stored state for a message of
// msgLen bytes (the state must agree). Errors wrap ErrInvalidState.
func NewDecoderFromState(s DecoderState, msgLen int) (*Decoder, error) {
	d := new(Decoder)
	if err := d.SetState(s, msgLen); err != nil {
		return nil, err
	}
	return d, nil
}

// Check reports whether SetState would accept s for a message of msgLen
// bytes (nil) or not (an error wrapping ErrInvalidState, ErrOddLength or
// ErrTooLong, as SetState's), without decoding it.
func (s DecoderState) Check(msgLen int) error {
	_, err := s.check(msgLen)
	return err
}

// check returns the total number of points of s.
func (s DecoderState) check(msgLen int) (int, error) {
	if int(s.PtsNeeded) != msgLen/2 || len(s.Points) != NumPolys {
		return 0, ErrInvalidState
	}
	if msgLen%2 != 0 {
		return 0, ErrOddLength
	}
	if msgLen > MaxMessageSize || msgLen < 0 {
		return 0, ErrTooLong
	}
	c := Decoder{ptsNeeded: msgLen / 2}
	total := 0
	for j, b := range s.Points {
		// At most 2·necessary points are ever kept (systematic ones plus
		// the ones that arrived while points were missing).
		if len(b)%4 != 0 || len(b)/4 > 2*c.necessary(j)+1 {
			return 0, ErrInvalidState
		}
		total += len(b) / 4
	}
	return total, nil
}

// SetState is NewDecoderFromState into d. On error d is unchanged. The
// decoder has room for one more point per polynomial (what one Add keeps
// at most), as a Clone has.
func (d *Decoder) SetState(s DecoderState, msgLen int) error {
	total, err := s.check(msgLen)
	if err != nil {
		return err
	}
	c := Decoder{ptsNeeded: msgLen / 2, complete: s.IsComplete}
	all := make([]point, 0, total+NumPolys) // one allocation
	for j, b := range s.Points {
		c.pts[j] = all[: 0 : len(b)/4+1]
		all = all[:cap(all)][len(b)/4+1:][:0]
		for t := 0; t < len(b); t += 4 {
			c.pts[j] = insertPoint(c.pts[j], point{uint16(b[t])<<8 | uint16(b[t+1]), uint16(b[t+2])<<8 | uint16(b[t+3])})
		}
	}
	*d = c
	return nil
}

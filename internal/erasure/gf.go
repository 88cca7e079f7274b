package erasure

import (
	"math/bits"
	"sync"
)

// Arithmetic in GF(2^16) = GF(2)[x] / (x^16 + x^12 + x^3 + x + 1), the field
// SPQR's erasure code works in (reduction polynomial 0x1100b). An element is
// a uint16 whose bit i is the coefficient of x^i. Addition is XOR.
//
// Multiplication uses logarithm tables (x generates the multiplicative
// group: the polynomial is primitive). Table lookups depend on the values,
// which is acceptable here: everything this package codes is sent in the
// clear. gfMulSlow is the table-free definition the tables are built from.

// Poly is the reduction polynomial x^16 + x^12 + x^3 + x + 1.
const Poly = 0x1100b

const groupOrder = 1<<16 - 1

var (
	tablesOnce sync.Once
	expTable   *[2 * groupOrder]uint16 // expTable[i] = x^i
	logTable   *[1 << 16]uint16        // logTable[x^i] = i; logTable[0] unused
)

func initTables() {
	e := new([2 * groupOrder]uint16)
	l := new([1 << 16]uint16)
	v := uint16(1)
	for i := range groupOrder {
		e[i], e[i+groupOrder] = v, v
		l[v] = uint16(i)
		v = gfMulSlow(v, 2)
	}
	expTable, logTable = e, l
}

// gfMulSlow returns a·b by shift-and-add, without branches on the values.
func gfMulSlow(a, b uint16) uint16 {
	var p uint32
	aa := uint32(a)
	for i := range 16 {
		p ^= aa & -(uint32(b) >> i & 1)
		aa <<= 1
	}
	for i := 30; i >= 16; i-- {
		p ^= (Poly << (i - 16)) & -(p >> i & 1)
	}
	return uint16(p)
}

// gfMul returns a·b. Callers must have run tablesOnce.Do(initTables).
func gfMul(a, b uint16) uint16 {
	if a == 0 || b == 0 {
		return 0
	}
	return expTable[int(logTable[a])+int(logTable[b])]
}

// gfMulLog returns a·b given lb = log(b) for a non-zero b.
func gfMulLog(a uint16, lb int) uint16 {
	if a == 0 {
		return 0
	}
	return expTable[int(logTable[a])+lb]
}

// gfInv returns a^-1; gfInv(0) = 0.
func gfInv(a uint16) uint16 {
	if a == 0 {
		return 0
	}
	return expTable[groupOrder-int(logTable[a])]
}

// xtime returns p·x (a doubling: shift, and reduce if x^16 appeared).
func xtime(p uint16) uint16 {
	return p<<1 ^ uint16(Poly&0xffff)&-(p>>15)
}

// mulByConst multiplies by one fixed element c with four 16-entry tables,
// one per 4-bit digit of the other factor (multiplication by a constant is
// GF(2)-linear): m[k][d] = (d·x^(4k))·c. It lives on the stack, so the many
// products of one chunk (Horner's rule at the chunk's index) touch 128
// bytes instead of the 384 KiB logarithm tables, whose lookups miss the
// cache when a message's chunk is the only field arithmetic in a while.
type mulByConst [4][16]uint16

func (m *mulByConst) init(c uint16) {
	p := c
	for k := range m {
		var basis [4]uint16 // c·x^(4k+i)
		for i := range basis {
			basis[i] = p
			p = xtime(p)
		}
		m[k][0] = 0
		for d := 1; d < 16; d++ {
			m[k][d] = m[k][d&(d-1)] ^ basis[bits.TrailingZeros(uint(d))]
		}
	}
}

// mul returns y·c.
func (m *mulByConst) mul(y uint16) uint16 {
	return m[0][y&15] ^ m[1][y>>4&15] ^ m[2][y>>8&15] ^ m[3][y>>12]
}

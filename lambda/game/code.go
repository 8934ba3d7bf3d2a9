package game

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
)

// CodeAlphabet is what room codes are made of: upper-case letters and digits without the ones
// people confuse when reading a code aloud or off a phone (0/O, 1/I/L).
const CodeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// CodeLength is the number of characters in a room code (31^6 ≈ 887 million codes).
const CodeLength = 6

// NewCode draws a room code uniformly from CodeAlphabet using random bytes from r
// (crypto/rand.Reader in production). Bytes that would bias the draw are rejected.
func NewCode(r io.Reader) (string, error) {
	const limit = 256 - 256%len(CodeAlphabet) // largest multiple of the alphabet size ≤ 256
	out := make([]byte, 0, CodeLength)
	buf := make([]byte, 16)
	for len(out) < CodeLength {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("reading randomness for a room code: %w", err)
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < CodeLength {
				out = append(out, CodeAlphabet[int(b)%len(CodeAlphabet)])
			}
		}
	}
	return string(out), nil
}

// NormalizeCode upper-cases and trims a code typed by a player and reports whether the result
// is a well-formed code.
func NormalizeCode(s string) (string, bool) {
	c := strings.ToUpper(strings.TrimSpace(s))
	if len(c) != CodeLength {
		return c, false
	}
	for i := 0; i < len(c); i++ {
		if strings.IndexByte(CodeAlphabet, c[i]) < 0 {
			return c, false
		}
	}
	return c, true
}

// tokenBytes is the entropy of a seat token: 128 bits.
const tokenBytes = 16

// NewToken draws a seat token: the secret that lets a player reclaim a seat from a new
// connection. Only its hash (HashToken) is stored.
func NewToken(r io.Reader) (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("reading randomness for a token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// HashToken is what the room stores in place of a token, so that neither the table, its stream
// nor a backup can be used to take over a seat.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

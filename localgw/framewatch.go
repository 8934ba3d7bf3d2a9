package localgw

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
)

// API Gateway limits the size of each WebSocket frame a client sends (32 KB) apart from the
// size of a whole message (128 KB, in frames of up to 32 KB each). The WebSocket library only
// limits messages, so the gateway watches the frame headers on the raw byte stream as the
// library reads it: frameWatch notes the first data message that carries an oversize frame,
// and the connection's reader closes the connection with 1009 when it reaches that message.

// frameWatch is the hijacked connection as the WebSocket library sees it: reads pass through
// unchanged while their frame headers are parsed.
type frameWatch struct {
	net.Conn
	src   io.Reader // bytes the HTTP server had buffered, then the connection
	limit int64

	// Parser state; only the library's reading goroutine touches it.
	hdr     [14]byte // a frame header: 2 bytes, extended length (2 or 8), mask key (4)
	hdrLen  int
	hdrNeed int
	skip    uint64 // payload bytes of the current frame still to pass
	started int64  // data messages started so far (text and binary frames)

	// oversize is the 1-based index of the first data message with a frame over limit; 0: none.
	oversize atomic.Int64
}

func (f *frameWatch) Read(p []byte) (int, error) {
	n, err := f.src.Read(p)
	f.scan(p[:n])
	return n, err
}

// oversized reports whether data message number msg (1-based) carries a frame over the limit.
func (f *frameWatch) oversized(msg int64) bool { return f.oversize.Load() == msg }

// scan advances the parser over bytes the library is about to read.
func (f *frameWatch) scan(b []byte) {
	for len(b) > 0 {
		if f.skip > 0 {
			k := uint64(len(b))
			if k > f.skip {
				k = f.skip
			}
			f.skip -= k
			b = b[k:]
			continue
		}
		f.hdr[f.hdrLen] = b[0]
		f.hdrLen++
		b = b[1:]
		if f.hdrLen == 2 {
			f.hdrNeed = 2
			switch f.hdr[1] & 0x7f {
			case 126:
				f.hdrNeed += 2
			case 127:
				f.hdrNeed += 8
			}
			if f.hdr[1]&0x80 != 0 { // masked: every client frame is
				f.hdrNeed += 4
			}
		}
		if f.hdrLen >= 2 && f.hdrLen == f.hdrNeed {
			f.frame()
		}
	}
}

// frame handles a complete header.
func (f *frameWatch) frame() {
	var length uint64
	switch n := f.hdr[1] & 0x7f; n {
	case 126:
		length = uint64(f.hdr[2])<<8 | uint64(f.hdr[3])
	case 127:
		for _, c := range f.hdr[2:10] {
			length = length<<8 | uint64(c)
		}
	default:
		length = uint64(n)
	}
	switch opcode := f.hdr[0] & 0x0f; opcode {
	case 0x1, 0x2: // text, binary: a new message
		f.started++
		fallthrough
	case 0x0: // continuation of the current message
		if length > uint64(f.limit) {
			f.oversize.CompareAndSwap(0, f.started)
		}
	}
	f.skip = length
	f.hdrLen, f.hdrNeed = 0, 0
}

// hijackWatch hands the WebSocket library a frameWatch when it hijacks the connection.
type hijackWatch struct {
	http.ResponseWriter
	limit int64
	watch *frameWatch // set by Hijack
}

// Hijack implements http.Hijacker. Bytes the HTTP server read ahead (a client may send frames
// right after its upgrade request) go through the watch too: the returned reader holds none.
func (h *hijackWatch) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := h.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("the HTTP server does not support hijacking connections")
	}
	c, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, fmt.Errorf("hijacking: %w", err)
	}
	ahead, err := brw.Reader.Peek(brw.Reader.Buffered())
	if err != nil {
		c.Close()
		return nil, nil, fmt.Errorf("reading buffered bytes: %w", err)
	}
	h.watch = &frameWatch{Conn: c, src: io.MultiReader(bytes.NewReader(bytes.Clone(ahead)), c), limit: h.limit}
	return h.watch, bufio.NewReadWriter(bufio.NewReader(h.watch), brw.Writer), nil
}

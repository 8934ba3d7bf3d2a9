// Package xraytest stands in for the X-Ray daemon Lambda runs beside a traced function: a UDP
// listener on the loopback address that keeps every segment document it is sent, as the daemon
// would forward them to X-Ray.
package xraytest

import (
	"encoding/json"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// Segment is a segment or subsegment document as the daemon receives it.
type Segment struct {
	Name        string            `json:"name"`
	ID          string            `json:"id"`
	TraceID     string            `json:"trace_id"`
	ParentID    string            `json:"parent_id"`
	Type        string            `json:"type"`
	Origin      string            `json:"origin"`
	Namespace   string            `json:"namespace"`
	Start       float64           `json:"start_time"`
	End         float64           `json:"end_time"`
	Error       bool              `json:"error"`
	Fault       bool              `json:"fault"`
	Throttle    bool              `json:"throttle"`
	Annotations map[string]string `json:"annotations"`
	AWS         struct {
		Operation string `json:"operation"`
		Region    string `json:"region"`
		RequestID string `json:"request_id"`
		TableName string `json:"table_name"`
		Retries   int    `json:"retries"`
	} `json:"aws"`
	HTTP struct {
		Response struct {
			Status int `json:"status"`
		} `json:"response"`
	} `json:"http"`
	Cause struct {
		Exceptions []struct {
			Type string `json:"type"`
		} `json:"exceptions"`
	} `json:"cause"`
	Subsegments []Segment `json:"subsegments"`
}

// header is what starts every datagram to the daemon.
const header = `{"format": "json", "version": 1}` + "\n"

// Daemon is the stand-in daemon.
type Daemon struct {
	t    *testing.T
	conn net.PacketConn
	mu   sync.Mutex
	segs []Segment
	bad  []string
	got  chan struct{}
}

// New listens on a free loopback port until the test ends.
func New(t *testing.T) *Daemon {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := &Daemon{t: t, conn: conn, got: make(chan struct{}, 1024)}
	done := make(chan struct{})
	go d.serve(done)
	t.Cleanup(func() {
		conn.Close()
		<-done
	})
	return d
}

// Addr is the address to give the functions (AWS_XRAY_DAEMON_ADDRESS).
func (d *Daemon) Addr() string { return d.conn.LocalAddr().String() }

func (d *Daemon) serve(done chan struct{}) {
	defer close(done)
	buf := make([]byte, 65536)
	for {
		n, _, err := d.conn.ReadFrom(buf)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		msg := string(buf[:n])
		var s Segment
		body, ok := strings.CutPrefix(msg, header)
		d.mu.Lock()
		if !ok || json.Unmarshal([]byte(body), &s) != nil {
			d.bad = append(d.bad, msg)
		} else {
			d.segs = append(d.segs, s)
		}
		d.mu.Unlock()
		d.got <- struct{}{}
	}
}

// Segments waits up to a second for n datagrams in all and returns the documents received;
// a datagram that is not the daemon's format fails the test.
func (d *Daemon) Segments(n int) []Segment {
	d.t.Helper()
	deadline := time.After(time.Second)
	for {
		d.mu.Lock()
		have := len(d.segs) + len(d.bad)
		d.mu.Unlock()
		if have >= n {
			break
		}
		select {
		case <-d.got:
		case <-deadline:
			d.t.Fatalf("the daemon received %d documents, want %d", have, n)
		}
	}
	return d.Received()
}

// Received is every document received so far, failing the test on any datagram not in the
// daemon's format.
func (d *Daemon) Received() []Segment {
	d.t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, b := range d.bad {
		d.t.Errorf("the daemon received %q: not a header line and a segment document", b)
	}
	return append([]Segment(nil), d.segs...)
}

// Quiet waits a moment and fails the test if the daemon received anything.
func (d *Daemon) Quiet() {
	d.t.Helper()
	time.Sleep(50 * time.Millisecond)
	if got := d.Received(); len(got) > 0 {
		d.t.Fatalf("the daemon received %d documents, want none: %+v", len(got), got)
	}
}

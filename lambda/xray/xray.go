// Package xray records a sample of a function's invocations as AWS X-Ray traces: one segment
// per traced invocation, annotated with its action and room, holding a subsegment for each AWS
// call it made (the DynamoDB reads and writes, the @connections posts), which an SDK
// middleware (Record) adds as lambda/hops counts their time. It writes X-Ray's segment
// documents, the format the X-Ray API takes, over UDP to the X-Ray daemon Lambda runs beside
// every function whose tracing is on (AWS_XRAY_DAEMON_ADDRESS): no SDK, no layer, no package
// init, and nothing at all for an invocation it does not trace but a look at its trace header.
// docs/tracing.md says why this and not the X-Ray SDK or an OpenTelemetry collector layer.
//
// Which invocations: one whose trace header says a caller sampled it (Sampled=1: Lambda's own
// segment exists, as in Active tracing) always, its calls then a subsegment of Lambda's
// segment; any other one at Rate, decided from its trace ID, as a segment of its own under the
// trace ID Lambda gave it. API Gateway's WebSocket APIs send no trace header, and with the
// functions' tracing mode PassThrough Lambda records none of theirs itself, so Rate decides
// what the traces cost.
package xray

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

// Header is an invocation's X-Ray trace header, as Lambda passes it
// (Root=1-…;Parent=…;Sampled=1;Lineage=…; in PassThrough mode only Root and Lineage).
type Header struct {
	Root    string // the trace ID
	Parent  string // the segment the invocation's work hangs from: Lambda's, when it records one
	Sampled bool   // a caller, or Lambda, records this trace
}

// ParseHeader reads a trace header; what it does not know it leaves out.
func ParseHeader(s string) Header {
	var h Header
	for s != "" {
		var part string
		part, s, _ = strings.Cut(s, ";")
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Root":
			if isTraceID(v) {
				h.Root = v
			}
		case "Parent":
			if isHex(v, 16) {
				h.Parent = v
			}
		case "Sampled":
			h.Sampled = v == "1"
		}
	}
	return h
}

// lambdaTraceKey is where aws-lambda-go's lambda.Start puts each invocation's trace header in
// its context (and, the same, in _X_AMZN_TRACE_ID).
const lambdaTraceKey = "x-amzn-trace-id"

// HeaderOf is the trace header of the invocation ctx belongs to.
func HeaderOf(ctx context.Context) Header {
	s, _ := ctx.Value(lambdaTraceKey).(string)
	return ParseHeader(s)
}

// WithHeader is ctx carrying a trace header as lambda.Start passes it (for tests and local
// callers of the handlers).
func WithHeader(ctx context.Context, header string) context.Context {
	return context.WithValue(ctx, lambdaTraceKey, header) // lambda.Start's own key, a string
}

// isTraceID reports whether s is an X-Ray trace ID: 1-, 8 hex digits, -, 24 hex digits.
func isTraceID(s string) bool {
	return len(s) == 35 && s[:2] == "1-" && isHex(s[2:10], 8) && s[10] == '-' && isHex(s[11:], 24)
}

// isHex reports whether s is n lower-case hex digits (segment IDs are 16).
func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := range len(s) {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Options configure a Tracer.
type Options struct {
	// Name names the function's own segments: the function's name (AWS_LAMBDA_FUNCTION_NAME).
	Name string
	// Daemon is the X-Ray daemon's UDP address, host:port (config.XRayDaemon). Empty: New
	// returns nil, which traces nothing.
	Daemon string
	// Rate is the share of invocations nobody sampled upstream that are traced, 0 to 1.
	Rate float64
	// Log is told when a trace cannot be sent (once per container). Default: slog.Default().
	Log *slog.Logger
	// Now is the clock of the segments' times. Default: time.Now.
	Now func() time.Time
}

// Tracer starts the traces of one function. A nil Tracer traces nothing.
type Tracer struct {
	name      string
	daemon    string
	threshold uint64 // a trace ID whose last 64 bits are below it is traced
	all       bool   // Rate 1: every one
	log       *slog.Logger
	now       func() time.Time

	once    sync.Once
	conn    net.Conn
	dialErr error
	warned  sync.Once
}

// New returns a Tracer, or nil when o names no daemon.
func New(o Options) *Tracer {
	if o.Daemon == "" {
		return nil
	}
	t := &Tracer{name: segmentName(o.Name, "function"), daemon: o.Daemon, log: o.Log, now: o.Now, all: o.Rate >= 1}
	if o.Rate > 0 && o.Rate < 1 {
		t.threshold = uint64(o.Rate * (1 << 64))
	}
	if t.log == nil {
		t.log = slog.Default()
	}
	if t.now == nil {
		t.now = time.Now
	}
	return t
}

// Picks reports whether the Tracer traces an unsampled invocation of trace id: its last 64
// bits, random in every X-Ray trace ID, below Rate's share of them, so that the decision is the
// trace's, not the container's.
func (t *Tracer) Picks(id string) bool {
	if t == nil || !isTraceID(id) {
		return false
	}
	if t.all {
		return true
	}
	low, err := strconv.ParseUint(id[len(id)-16:], 16, 64)
	return err == nil && low < t.threshold
}

// Start begins the trace of an invocation whose trace header is h, and returns ctx carrying
// it for Record and From; nil (and ctx) when the invocation is not traced.
func (t *Tracer) Start(ctx context.Context, h Header) (context.Context, *Trace) {
	if t == nil {
		return ctx, nil
	}
	start := t.now()
	root, parent := h.Root, ""
	switch {
	case h.Sampled && h.Root != "" && h.Parent != "":
		parent = h.Parent // under the segment Lambda records
	case root == "": // not on Lambda
		root = newTraceID(start)
		fallthrough
	default:
		if !t.Picks(root) {
			return ctx, nil // nothing made: an invocation passed over costs a header's read
		}
	}
	tr := &Trace{tracer: t, traceID: root, parent: parent, id: newID(), start: start}
	return context.WithValue(ctx, traceKey{}, tr), tr
}

type traceKey struct{}

// From is the trace ctx carries, or nil.
func From(ctx context.Context) *Trace {
	tr, _ := ctx.Value(traceKey{}).(*Trace)
	return tr
}

// MaxCalls is the most subsegments one trace holds: a segment document must stay within one
// UDP datagram to the daemon (64 KB); the calls past it are counted, not recorded.
const MaxCalls = 100

// Trace is one traced invocation. Its calls may be added from several goroutines (the posts
// to a room run side by side).
type Trace struct {
	tracer  *Tracer
	traceID string
	parent  string // Lambda's segment, when the invocation's work is a subsegment of it
	id      string
	start   time.Time

	mu      sync.Mutex
	action  string
	room    string
	outcome Outcome
	calls   []Call
	dropped int
	ended   bool
}

// Outcome is how an invocation ended, as X-Ray flags a segment.
type Outcome int

const (
	OK          Outcome = iota
	ClientError         // the client's mistake, answered (X-Ray's error, a 4xx)
	ServerError         // the function's failure (X-Ray's fault, a 5xx)
)

// TraceID and ID are the trace's and its segment's (or subsegment's) IDs.
func (tr *Trace) TraceID() string { return tr.traceID }
func (tr *Trace) ID() string      { return tr.id }

// Set records what the invocation was: its action (or route), its room (empty: none) and
// how it ended. The action and room are the trace's annotations, on its segment and on each
// call's subsegment, so that X-Ray finds them by annotation.action and annotation.room.
func (tr *Trace) Set(action, room string, outcome Outcome) {
	if tr == nil {
		return
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.action, tr.room, tr.outcome = action, room, outcome
}

// add records one call; after End it records nothing.
func (tr *Trace) add(c Call) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	switch {
	case tr.ended:
	case len(tr.calls) >= MaxCalls:
		tr.dropped++
	default:
		tr.calls = append(tr.calls, c)
	}
}

// End sends the trace to the daemon: one datagram, the invocation's segment holding its calls.
// A trace that cannot be sent is logged once per container and dropped; the invocation goes
// on.
func (tr *Trace) End() {
	if tr == nil {
		return
	}
	tr.mu.Lock()
	if tr.ended {
		tr.mu.Unlock()
		return
	}
	tr.ended = true
	doc := tr.document(tr.tracer.now())
	tr.mu.Unlock()
	b, err := json.Marshal(doc)
	if err == nil {
		err = tr.tracer.send(b)
	}
	if err != nil {
		tr.tracer.warned.Do(func() {
			tr.tracer.log.Warn("sending a trace to the X-Ray daemon (later failures are not logged)", "daemon", tr.tracer.daemon, "error", err.Error())
		})
	}
}

// daemonHeader starts every datagram to the daemon.
const daemonHeader = `{"format": "json", "version": 1}` + "\n"

func (t *Tracer) send(doc []byte) error {
	t.once.Do(func() { t.conn, t.dialErr = net.Dial("udp", t.daemon) }) // no packet until the first write
	if t.dialErr != nil {
		return t.dialErr
	}
	_, err := t.conn.Write(append([]byte(daemonHeader), doc...))
	return err
}

// document is the trace as X-Ray's segment document: a segment of the function's own, or a
// subsegment of Lambda's segment.
func (tr *Trace) document(end time.Time) segment {
	ann := annotations(tr.action, tr.room)
	s := segment{
		ID: tr.id, TraceID: tr.traceID, Start: seconds(tr.start), End: seconds(end), Annotations: ann,
		Error: tr.outcome == ClientError, Fault: tr.outcome == ServerError,
	}
	if tr.parent != "" {
		s.Name, s.Type, s.ParentID = segmentName(tr.action, "invocation"), "subsegment", tr.parent
	} else {
		s.Name, s.Origin = tr.tracer.name, "AWS::Lambda::Function"
	}
	for _, c := range tr.calls {
		s.Subsegments = append(s.Subsegments, c.subsegment(ann))
	}
	if tr.dropped > 0 {
		s.Metadata = map[string]map[string]any{"default": {"callsNotRecorded": tr.dropped}}
	}
	return s
}

// annotations are the trace's: X-Ray indexes them for filter expressions.
func annotations(action, room string) map[string]string {
	a := map[string]string{}
	if action != "" {
		a["action"] = action
	}
	if room != "" {
		a["room"] = room
	}
	if len(a) == 0 {
		return nil
	}
	return a
}

// segment is a segment or subsegment document (docs.aws.amazon.com/xray/latest/devguide/
// xray-api-segmentdocuments.html), with the fields this package writes.
type segment struct {
	Name        string                    `json:"name"`
	ID          string                    `json:"id"`
	TraceID     string                    `json:"trace_id,omitempty"`
	ParentID    string                    `json:"parent_id,omitempty"`
	Type        string                    `json:"type,omitempty"`
	Origin      string                    `json:"origin,omitempty"`
	Namespace   string                    `json:"namespace,omitempty"`
	Start       float64                   `json:"start_time"`
	End         float64                   `json:"end_time"`
	Error       bool                      `json:"error,omitempty"`
	Fault       bool                      `json:"fault,omitempty"`
	Throttle    bool                      `json:"throttle,omitempty"`
	Annotations map[string]string         `json:"annotations,omitempty"`
	AWS         *awsCall                  `json:"aws,omitempty"`
	HTTP        *httpCall                 `json:"http,omitempty"`
	Cause       *cause                    `json:"cause,omitempty"`
	Metadata    map[string]map[string]any `json:"metadata,omitempty"`
	Subsegments []segment                 `json:"subsegments,omitempty"`
}

type awsCall struct {
	Operation string `json:"operation"`
	Region    string `json:"region,omitempty"`
	RequestID string `json:"request_id,omitempty"`
	TableName string `json:"table_name,omitempty"`
	Retries   int    `json:"retries,omitempty"`
}

type httpCall struct {
	Response struct {
		Status int `json:"status"`
	} `json:"response"`
}

type cause struct {
	Exceptions []exception `json:"exceptions"`
}

type exception struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Message string `json:"message"`
	Remote  bool   `json:"remote"`
}

// seconds is t as the segment documents take times: seconds since the epoch, to the
// microsecond.
func seconds(t time.Time) float64 { return math.Round(float64(t.UnixMicro())) / 1e6 }

// newTraceID is a new X-Ray trace ID: its version, the epoch seconds of start, 96 random bits.
func newTraceID(start time.Time) string {
	return fmt.Sprintf("1-%08x-%08x%016x", uint32(start.Unix()), rand.Uint32(), rand.Uint64())
}

// newID is a new segment ID: 64 random bits.
func newID() string { return fmt.Sprintf("%016x", rand.Uint64()) }

// segmentName is s with what X-Ray refuses in a segment's name left out ("$disconnect" is
// "disconnect"): it takes Unicode letters and numbers, white space and _ . : / % & # = + \ - @,
// at most 200 characters; fallback when nothing is left.
func segmentName(s, fallback string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsSpace(r) || strings.ContainsRune(`_.:/%&#=+\-@`, r) {
			b.WriteRune(r)
		}
	}
	out := []rune(strings.TrimSpace(b.String()))
	if len(out) > 200 {
		out = out[:200]
	}
	if len(out) == 0 {
		return fallback
	}
	return string(out)
}

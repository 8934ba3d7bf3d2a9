// Package stream is a local DynamoDB stream, for servers that have none (dynalite): a
// DynamoDB endpoint in front of the real one that records every change of an item as a stream
// of NEW_AND_OLD_IMAGES would, and an event source mapping that delivers the records to a
// function with Lambda's filter, batching and retry rules. A global table's replicas each
// have a stream carrying every change, whichever Region made it: Records gives each local
// Region its copy, with event IDs of its own.
package stream

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Change is one change of an item, in the order the table made them.
type Change struct {
	Seq       int64
	EventName string // INSERT, MODIFY or REMOVE
	At        time.Time
	Keys      map[string]events.DynamoDBAttributeValue
	OldImage  map[string]events.DynamoDBAttributeValue
	NewImage  map[string]events.DynamoDBAttributeValue
}

// Recorder is the recording endpoint: an http.Handler speaking DynamoDB's JSON protocol.
// Writes of one item are made one at a time, each between a strongly consistent read of the
// item before and after it, so each change's images are exact. Calls that write several
// items (BatchWriteItem, TransactWriteItems) are refused: their changes would not be
// recorded.
type Recorder struct {
	target *url.URL
	proxy  *httputil.ReverseProxy
	client *http.Client
	now    func() time.Time

	keysMu  sync.Mutex
	keys    map[string][]string    // table → key attribute names
	locks   map[string]*sync.Mutex // table#key → the lock of its writes
	mu      sync.Mutex             // guards changes
	changes []Change
}

// NewRecorder records the changes made through it to the tables of the DynamoDB endpoint
// target (http://127.0.0.1:4567).
func NewRecorder(target string) (*Recorder, error) {
	u, err := url.Parse(target)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("the DynamoDB endpoint %q is not a URL like http://127.0.0.1:4567", target)
	}
	return &Recorder{
		target: u, proxy: httputil.NewSingleHostReverseProxy(u), client: &http.Client{Timeout: 10 * time.Second},
		now: time.Now, keys: map[string][]string{}, locks: map[string]*sync.Mutex{},
	}, nil
}

const targetPrefix = "DynamoDB_20120810."

// ServeHTTP passes the call on, recording the change a single-item write makes.
func (r *Recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	op := strings.TrimPrefix(req.Header.Get("X-Amz-Target"), targetPrefix)
	switch op {
	case "PutItem", "UpdateItem", "DeleteItem":
	case "BatchWriteItem", "TransactWriteItems", "ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction":
		writeError(w, http.StatusBadRequest, "ValidationException", op+" is not supported by the local stream recorder: its changes would not be recorded")
		return
	default:
		r.proxy.ServeHTTP(w, req)
		return
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "SerializationException", "reading the request: "+err.Error())
		return
	}
	var in struct {
		TableName string
		Key, Item map[string]json.RawMessage
	}
	if err := json.Unmarshal(body, &in); err != nil || in.TableName == "" {
		writeError(w, http.StatusBadRequest, "SerializationException", "the local stream recorder could not read the table and key of the "+op)
		return
	}
	key := in.Key
	if op == "PutItem" {
		names, err := r.keyNames(req, in.TableName)
		if err != nil {
			writeError(w, http.StatusInternalServerError, "InternalServerError", err.Error())
			return
		}
		key = map[string]json.RawMessage{}
		for _, n := range names {
			key[n] = in.Item[n]
		}
	}
	keyJSON, err := canonical(key)
	if err != nil {
		writeError(w, http.StatusBadRequest, "SerializationException", "the key: "+err.Error())
		return
	}
	unlock := r.lock(in.TableName + "#" + keyJSON)
	defer unlock()
	before, err := r.getItem(req, in.TableName, key)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "InternalServerError", "reading the item before the write: "+err.Error())
		return
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	rec := httptest.NewRecorder()
	r.proxy.ServeHTTP(rec, req)
	if rec.Code == http.StatusOK {
		after, err := r.getItem(req, in.TableName, key)
		if err != nil {
			writeError(w, http.StatusInternalServerError, "InternalServerError", "the write was made, reading the item after it failed: "+err.Error())
			return
		}
		if err := r.record(key, before, after); err != nil {
			writeError(w, http.StatusInternalServerError, "InternalServerError", "recording the change: "+err.Error())
			return
		}
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes()) // the client is gone if this fails: nothing to tell
}

// lock serializes the writes of one item.
func (r *Recorder) lock(id string) func() {
	r.keysMu.Lock()
	l, ok := r.locks[id]
	if !ok {
		l = &sync.Mutex{}
		r.locks[id] = l
	}
	r.keysMu.Unlock()
	l.Lock()
	return l.Unlock
}

// record appends the change from before to after, if the write changed the item (DynamoDB
// writes no stream record for a write that changes nothing).
func (r *Recorder) record(key map[string]json.RawMessage, before, after json.RawMessage) error {
	same, err := sameJSON(before, after)
	if err != nil || same {
		return err
	}
	c := Change{At: r.now()}
	var err1, err2, err3 error
	c.Keys, err1 = image(mustJSON(key))
	c.OldImage, err2 = image(before)
	c.NewImage, err3 = image(after)
	if err := errors.Join(err1, err2, err3); err != nil {
		return err
	}
	switch {
	case c.OldImage == nil:
		c.EventName = "INSERT"
	case c.NewImage == nil:
		c.EventName = "REMOVE"
	default:
		c.EventName = "MODIFY"
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c.Seq = int64(len(r.changes) + 1)
	r.changes = append(r.changes, c)
	return nil
}

// Changes are every change recorded so far, in order.
func (r *Recorder) Changes() []Change {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Change(nil), r.changes...)
}

// Records are the changes as region's replica's stream carries them: event IDs of that
// Region's own (a replica's stream numbers its records itself), every change once.
func (r *Recorder) Records(region string) []events.DynamoDBEventRecord {
	var out []events.DynamoDBEventRecord
	for _, c := range r.Changes() {
		out = append(out, events.DynamoDBEventRecord{
			EventID:      fmt.Sprintf("%s-%d", region, c.Seq),
			EventName:    c.EventName,
			EventSource:  "aws:dynamodb",
			EventVersion: "1.1",
			AWSRegion:    region,
			Change: events.DynamoDBStreamRecord{
				ApproximateCreationDateTime: events.SecondsEpochTime{Time: c.At.Truncate(time.Second)},
				Keys:                        c.Keys,
				OldImage:                    c.OldImage,
				NewImage:                    c.NewImage,
				SequenceNumber:              fmt.Sprintf("%021d", c.Seq),
				StreamViewType:              "NEW_AND_OLD_IMAGES",
			},
		})
	}
	return out
}

// keyNames are table's key attributes, asked once.
func (r *Recorder) keyNames(req *http.Request, table string) ([]string, error) {
	r.keysMu.Lock()
	names, ok := r.keys[table]
	r.keysMu.Unlock()
	if ok {
		return names, nil
	}
	var out struct {
		Table struct {
			KeySchema []struct{ AttributeName string }
		}
	}
	if err := r.call(req, "DescribeTable", map[string]any{"TableName": table}, &out); err != nil {
		return nil, fmt.Errorf("describing table %s: %w", table, err)
	}
	for _, k := range out.Table.KeySchema {
		names = append(names, k.AttributeName)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("table %s has no key schema", table)
	}
	r.keysMu.Lock()
	r.keys[table] = names
	r.keysMu.Unlock()
	return names, nil
}

// getItem reads the item strongly consistently: its attributes as JSON, nil when absent.
func (r *Recorder) getItem(req *http.Request, table string, key map[string]json.RawMessage) (json.RawMessage, error) {
	var out struct{ Item json.RawMessage }
	if err := r.call(req, "GetItem", map[string]any{"TableName": table, "Key": key, "ConsistentRead": true}, &out); err != nil {
		return nil, err
	}
	if len(out.Item) == 0 || string(out.Item) == "null" {
		return nil, nil
	}
	return out.Item, nil
}

// call makes one call of its own on the target, with the credentials' headers of the
// request it serves (the local server checks their presence, not their signature).
func (r *Recorder) call(orig *http.Request, op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(orig.Context(), http.MethodPost, r.target.String(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", targetPrefix+op)
	for _, h := range []string{"Authorization", "X-Amz-Date", "X-Amz-Security-Token"} {
		if v := orig.Header.Get(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s: %s", op, resp.Status, raw)
	}
	return json.Unmarshal(raw, out)
}

// image decodes an item's JSON as a stream image (nil for none).
func image(raw json.RawMessage) (map[string]events.DynamoDBAttributeValue, error) {
	if raw == nil {
		return nil, nil
	}
	var img map[string]events.DynamoDBAttributeValue
	if err := json.Unmarshal(raw, &img); err != nil {
		return nil, fmt.Errorf("decoding an item: %w", err)
	}
	return img, nil
}

// sameJSON reports whether two items' JSON hold the same values (nil is no item).
func sameJSON(a, b json.RawMessage) (bool, error) {
	if a == nil || b == nil {
		return a == nil && b == nil, nil
	}
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		return false, err
	}
	if err := json.Unmarshal(b, &y); err != nil {
		return false, err
	}
	return reflect.DeepEqual(x, y), nil
}

// canonical is a key's JSON with its attributes in order: one string per item.
func canonical(key map[string]json.RawMessage) (string, error) {
	names := make([]string, 0, len(key))
	for k, v := range key {
		if v == nil {
			return "", fmt.Errorf("attribute %s is missing", k)
		}
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		b.WriteString(n + "=" + string(key[n]) + ";")
	}
	return b.String(), nil
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // a map of raw JSON always encodes
	}
	return b
}

// writeError answers as DynamoDB does.
func writeError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazonaws.dynamodb.v20120810#" + typ, "message": msg})
}

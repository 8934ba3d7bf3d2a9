package signalrelay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

type fakeCFN struct {
	calls []*cloudformation.SignalResourceInput
	err   error
}

func (f *fakeCFN) SignalResource(_ context.Context, in *cloudformation.SignalResourceInput, _ ...func(*cloudformation.Options)) (*cloudformation.SignalResourceOutput, error) {
	f.calls = append(f.calls, in)
	return &cloudformation.SignalResourceOutput{}, f.err
}

// fakeMarks is the signals bucket's RELAYED/ objects, as S3 answers HeadObject and PutObject.
type fakeMarks struct {
	keys map[string]bool
	err  error // every call fails with it
}

func (f *fakeMarks) HeadObject(_ context.Context, in *s3.HeadObjectInput, _ ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	switch {
	case f.err != nil:
		return nil, f.err
	case !f.keys[*in.Bucket+"/"+*in.Key]:
		return nil, &s3types.NotFound{}
	}
	return &s3.HeadObjectOutput{}, nil
}

func (f *fakeMarks) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	if f.keys == nil {
		f.keys = map[string]bool{}
	}
	f.keys[*in.Bucket+"/"+*in.Key] = true
	return &s3.PutObjectOutput{}, nil
}

func event(t *testing.T, bucket, key string) events.CloudWatchEvent {
	t.Helper()
	detail, err := json.Marshal(map[string]any{"bucket": map[string]string{"name": bucket}, "object": map[string]string{"key": key}})
	if err != nil {
		t.Fatal(err)
	}
	return events.CloudWatchEvent{DetailType: "Object Created", Source: "aws.s3", Detail: detail}
}

func TestRelaySignalsWhatTheInstanceSaid(t *testing.T) {
	tests := []struct {
		key, wantStatus, wantInstance string
	}{
		{"SUCCESS/i-0d1e2a3d4b5e6f708", "SUCCESS", "i-0d1e2a3d4b5e6f708"},
		{"FAILURE/i-0123abcd", "FAILURE", "i-0123abcd"},
		{"SUCCESS/i-0D1E", "", ""},           // not an instance id
		{"PENDING/i-0123abcd", "", ""},       // not a status
		{"SUCCESS/i-0123abcd/extra", "", ""}, // not a signal key
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			cfn := &fakeCFN{}
			r := &Relay{CFN: cfn, Marks: &fakeMarks{}, StackName: "TicTacToe-Dev-Frontend", LogicalID: "WebInstancesASG09F72588", Bucket: "signals", Log: slog.New(slog.DiscardHandler)}
			if err := r.Handle(context.Background(), event(t, "signals", tt.key)); err != nil {
				t.Fatal(err)
			}
			if tt.wantStatus == "" {
				if len(cfn.calls) != 0 {
					t.Fatalf("signalled for key %q: %+v", tt.key, cfn.calls[0])
				}
				return
			}
			if len(cfn.calls) != 1 {
				t.Fatalf("%d calls, want 1", len(cfn.calls))
			}
			c := cfn.calls[0]
			if *c.StackName != "TicTacToe-Dev-Frontend" || *c.LogicalResourceId != "WebInstancesASG09F72588" || *c.UniqueId != tt.wantInstance || string(c.Status) != tt.wantStatus {
				t.Errorf("signal %s %s %s %s", *c.StackName, *c.LogicalResourceId, *c.UniqueId, c.Status)
			}
		})
	}
}

func TestRelayIgnoresOtherBuckets(t *testing.T) {
	cfn := &fakeCFN{}
	r := &Relay{CFN: cfn, Marks: &fakeMarks{}, StackName: "s", LogicalID: "g", Bucket: "signals", Log: slog.New(slog.DiscardHandler)}
	if err := r.Handle(context.Background(), event(t, "someone-elses", "SUCCESS/i-0123abcd")); err != nil || len(cfn.calls) != 0 {
		t.Fatalf("err %v, %d calls: another bucket's object is no signal", err, len(cfn.calls))
	}
}

// Nothing waiting (a launch by scaling, a deploy already over) is not a failure to retry;
// anything else is.
func TestRelayErrors(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		wantErr bool
	}{
		{"not waiting", &smithy.GenericAPIError{Code: "ValidationError", Message: "Resource WebInstancesASG09F72588 is in UPDATE_COMPLETE state and cannot be signaled"}, false},
		{"throttled", &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}, true},
		{"no access", &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized"}, true},
		{"network", errors.New("dial tcp: i/o timeout"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			r := &Relay{CFN: &fakeCFN{err: tt.err}, Marks: &fakeMarks{}, StackName: "s", LogicalID: "g", Bucket: "signals", Log: slog.New(slog.NewJSONHandler(&logs, nil))}
			err := r.Handle(context.Background(), event(t, "signals", "SUCCESS/i-0123abcd"))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want an error: %v", err, tt.wantErr)
			}
		})
	}
}

// An instance's repeated report reaches CloudFormation once: a repeat that arrived while a later
// batch of the rolling update waits must not count as that batch's signal.
func TestRelaySignalsAnInstanceOnce(t *testing.T) {
	cfn, marks := &fakeCFN{}, &fakeMarks{}
	r := &Relay{CFN: cfn, Marks: marks, StackName: "s", LogicalID: "g", Bucket: "signals", Log: slog.New(slog.DiscardHandler)}
	for range 3 {
		if err := r.Handle(context.Background(), event(t, "signals", "SUCCESS/i-0123abcd")); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Handle(context.Background(), event(t, "signals", "SUCCESS/i-0456abcd")); err != nil {
		t.Fatal(err)
	}
	if len(cfn.calls) != 2 || *cfn.calls[0].UniqueId != "i-0123abcd" || *cfn.calls[1].UniqueId != "i-0456abcd" {
		t.Fatalf("%d signals, want one per instance", len(cfn.calls))
	}
	if !marks.keys["signals/RELAYED/i-0123abcd"] {
		t.Errorf("no mark written: %v", marks.keys)
	}
	// A mark that cannot be read is retried, not taken for a missing one.
	r.Marks = &fakeMarks{err: &smithy.GenericAPIError{Code: "AccessDenied", Message: "denied"}}
	if err := r.Handle(context.Background(), event(t, "signals", "SUCCESS/i-0789abcd")); err == nil || len(cfn.calls) != 2 {
		t.Fatalf("err %v, %d signals: an unreadable mark must fail the event (and signal nothing)", err, len(cfn.calls))
	}
}

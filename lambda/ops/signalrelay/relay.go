// Package signalrelay passes a web instance's word that it serves the site on to
// CloudFormation. The instances run in isolated subnets and cannot reach CloudFormation, but
// they reach S3 through the gateway endpoint: at the end of its user data an instance writes
// an empty object SUCCESS/<instance id> (or FAILURE/<instance id>) to the signals bucket, S3
// tells EventBridge, and this function calls SignalResource for the Auto Scaling group, whose
// creation and rolling-update policies wait for those signals.
package signalrelay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/serverless-tictactoe/tictactoe/lambda/ops/signalkey"
)

// statuses are the signal each status an instance reports becomes.
var statuses = map[string]types.ResourceSignalStatus{
	signalkey.Success: types.ResourceSignalStatusSuccess,
	signalkey.Failure: types.ResourceSignalStatusFailure,
}

// Signaler is the part of the CloudFormation client the relay uses.
type Signaler interface {
	SignalResource(ctx context.Context, in *cloudformation.SignalResourceInput, opts ...func(*cloudformation.Options)) (*cloudformation.SignalResourceOutput, error)
}

// Marks is the part of the S3 client the relay keeps its marks with (in the signals bucket).
type Marks interface {
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, opts ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// Relay signals one Auto Scaling group of one stack.
type Relay struct {
	CFN                          Signaler
	Marks                        Marks
	StackName, LogicalID, Bucket string
	Log                          *slog.Logger
}

// s3Detail is the part of an EventBridge "Object Created" event's detail the relay reads.
type s3Detail struct {
	Bucket struct {
		Name string `json:"name"`
	} `json:"bucket"`
	Object struct {
		Key string `json:"key"`
	} `json:"object"`
}

// Handle turns one "Object Created" event into a signal. A key that is no signal, or a group
// that is not waiting for one (the instance was launched by scaling, not by a deploy, or the
// deploy is over), is logged and dropped: retrying cannot help. Any other failure is returned,
// so Lambda retries the event.
func (r *Relay) Handle(ctx context.Context, ev events.CloudWatchEvent) error {
	var d s3Detail
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		r.Log.Warn("not an S3 event", "error", err.Error())
		return nil
	}
	if d.Bucket.Name != r.Bucket {
		r.Log.Warn("an event of another bucket", "bucket", d.Bucket.Name)
		return nil
	}
	m := signalkey.Key.FindStringSubmatch(d.Object.Key)
	if m == nil {
		r.Log.Warn("not a signal key", "key", d.Object.Key)
		return nil
	}
	status, instance := statuses[m[1]], m[2]
	// An instance repeats its report (a new bucket's first events may reach no one): one that
	// reached CloudFormation once must not be counted again, as another instance's signal of a
	// later batch of the rolling update.
	mark := aws.String(signalkey.Relayed + "/" + instance)
	_, err := r.Marks.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(r.Bucket), Key: mark})
	var missing *s3types.NotFound
	switch {
	case err == nil:
		r.Log.Info("already relayed: a repeat", "instance", instance, "status", string(status))
		return nil
	case !errors.As(err, &missing):
		return fmt.Errorf("reading the relay's mark for %s: %w", instance, err)
	}
	_, err = r.CFN.SignalResource(ctx, &cloudformation.SignalResourceInput{
		StackName:         aws.String(r.StackName),
		LogicalResourceId: aws.String(r.LogicalID),
		UniqueId:          aws.String(instance),
		Status:            status,
	})
	if err != nil && notWaiting(err) {
		r.Log.Info("the group waits for no signal", "instance", instance, "status", string(status), "reason", err.Error())
		return nil
	}
	if err != nil {
		return fmt.Errorf("signalling %s of %s for %s: %w", status, r.LogicalID, instance, err)
	}
	r.Log.Info("signalled", "instance", instance, "status", string(status))
	if _, err := r.Marks.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(r.Bucket), Key: mark, Body: strings.NewReader("")}); err != nil {
		// Retried: the signal itself would then be answered "already", and the mark written.
		return fmt.Errorf("marking %s relayed: %w", instance, err)
	}
	return nil
}

// notWaiting reports CloudFormation's answer when nothing waits for the signal: a
// ValidationError saying the resource cannot be signalled (it is in a COMPLETE state) or was
// already signalled by this instance.
func notWaiting(err error) bool {
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "ValidationError" {
		return false
	}
	msg := strings.ToLower(api.ErrorMessage())
	return strings.Contains(msg, "cannot be signaled") || strings.Contains(msg, "cannot be signalled") ||
		strings.Contains(msg, "already") || strings.Contains(msg, "state")
}

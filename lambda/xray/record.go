package xray

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Call is one AWS call of a traced invocation, as its subsegment records it.
type Call struct {
	Service   string // the SDK's service ID: DynamoDB, ApiGatewayManagementApi
	Operation string // GetItem, UpdateItem, PostToConnection…
	Region    string
	RequestID string
	TableName string // DynamoDB's, for the calls on one table
	Status    int    // the HTTP status of the last attempt; 0 when there was no answer
	Retries   int
	ErrorCode string // the service's error code (ConditionalCheckFailedException, GoneException…)
	Failed    bool   // the call returned an error
	Start     time.Time
	End       time.Time
}

// Record is an SDK client option (append it to the client's APIOptions, as lambda/app/base
// does beside hops.Timing) that adds each operation, retries included, to the trace in its
// context as a subsegment. Without a trace it only passes the call on.
func Record(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("XRaySubsegment",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			tr := From(ctx)
			if tr == nil {
				return next.HandleInitialize(ctx, in)
			}
			start := tr.tracer.now()
			out, md, err := next.HandleInitialize(ctx, in)
			tr.add(callOf(ctx, in.Parameters, md, err, start, tr.tracer.now()))
			return out, md, err
		}), middleware.After) // after the operation's metadata, which names it
}

// callOf describes one finished operation from its context, input, metadata and error.
func callOf(ctx context.Context, params any, md middleware.Metadata, err error, start, end time.Time) Call {
	c := Call{Service: awsmiddleware.GetServiceID(ctx), Operation: awsmiddleware.GetOperationName(ctx), Region: awsmiddleware.GetRegion(ctx),
		TableName: tableName(params), Start: start, End: end, Failed: err != nil}
	c.RequestID, _ = awsmiddleware.GetRequestIDMetadata(md)
	if raw, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok && raw != nil {
		c.Status = raw.StatusCode
	}
	if attempts, ok := retry.GetAttemptResults(md); ok && len(attempts.Results) > 1 {
		c.Retries = len(attempts.Results) - 1
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		c.Status = re.HTTPStatusCode()
		if c.RequestID == "" {
			c.RequestID = re.ServiceRequestID()
		}
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		c.ErrorCode = api.ErrorCode()
	}
	return c
}

// tableName is the TableName of a DynamoDB operation's input, "" for other inputs.
func tableName(params any) string {
	v := reflect.ValueOf(params)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return ""
	}
	if f := v.Elem().FieldByName("TableName"); f.IsValid() && f.Kind() == reflect.Pointer && !f.IsNil() && f.Elem().Kind() == reflect.String {
		return f.Elem().String()
	}
	return ""
}

// throttled reports whether a call was refused for its rate: HTTP 429, or DynamoDB's and
// API Gateway's throttling codes (which DynamoDB answers with a 400).
func (c Call) throttled() bool {
	return c.Status == 429 || strings.Contains(c.ErrorCode, "Throttl") || c.ErrorCode == "ProvisionedThroughputExceededException" ||
		c.ErrorCode == "RequestLimitExceeded" || c.ErrorCode == "LimitExceededException"
}

// subsegment is the call's subsegment document, with the trace's annotations.
func (c Call) subsegment(ann map[string]string) segment {
	s := segment{Name: segmentName(c.Service, "AWS"), ID: newID(), Namespace: "aws", Start: seconds(c.Start), End: seconds(c.End),
		Annotations: ann, AWS: &awsCall{Operation: c.Operation, Region: c.Region, RequestID: c.RequestID, TableName: c.TableName, Retries: c.Retries}}
	if c.Status > 0 {
		s.HTTP = &httpCall{}
		s.HTTP.Response.Status = c.Status
	}
	switch {
	case !c.Failed:
	case c.throttled():
		s.Throttle, s.Error = true, true
	case c.Status >= 400 && c.Status < 500:
		s.Error = true
	default: // a 5xx, or no answer at all
		s.Fault = true
	}
	if c.Failed {
		code := c.ErrorCode
		if code == "" {
			code = "NoAnswer"
		}
		// The code only: a message may quote what the call carried.
		s.Cause = &cause{Exceptions: []exception{{ID: newID(), Type: code, Message: code, Remote: c.Status > 0}}}
	}
	return s
}

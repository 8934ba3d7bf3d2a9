// Package accountrole sets the Region's API Gateway CloudWatch Logs role (an account setting,
// which API Gateway needs before it creates a stage with access logs) only when nothing is set,
// and never changes or clears one: a role that a landing zone, another application or another
// deployment of this game set stays as it is. It is the handler of a CloudFormation custom
// resource.
package accountrole

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/smithy-go"

	"github.com/serverless-tictactoe/tictactoe/lambda/ops/accountkey"
)

// PropertyRoleArn is the custom resource's property: the role to set when none is.
const PropertyRoleArn = accountkey.PropertyRoleArn

// PhysicalID names the one account setting of a Region.
const PhysicalID = "apigateway-account-cloudwatch-role"

// Outcomes, in the resource's Outcome attribute.
const (
	OutcomeSet  = "set"  // nothing was set: this role is now
	OutcomeOurs = "ours" // this role was already set
	OutcomeKept = "kept" // another role is set and stays
)

// Client is the part of API Gateway the handler uses.
type Client interface {
	GetAccount(ctx context.Context, in *apigateway.GetAccountInput, opts ...func(*apigateway.Options)) (*apigateway.GetAccountOutput, error)
	UpdateAccount(ctx context.Context, in *apigateway.UpdateAccountInput, opts ...func(*apigateway.Options)) (*apigateway.UpdateAccountOutput, error)
}

// Handler serves the custom resource's events.
type Handler struct {
	API Client
	Log *slog.Logger
	// Retries and Wait bound the wait for a new role to be usable: API Gateway refuses a role
	// IAM has not yet made visible to it. Defaults: 12 tries, 5 s apart.
	Retries int
	Wait    time.Duration
}

// Handle is a cfn.CustomResourceFunction. Create and Update set the role if none is set;
// Delete leaves the setting alone: stages of this Region may rely on it, and the role is
// retained for them.
func (h *Handler) Handle(ctx context.Context, ev cfn.Event) (string, map[string]any, error) {
	if ev.RequestType == cfn.RequestDelete {
		h.Log.Info("left in place", "request", string(ev.RequestType))
		return PhysicalID, nil, nil
	}
	role, _ := ev.ResourceProperties[PropertyRoleArn].(string)
	if !strings.HasPrefix(role, "arn:") {
		return PhysicalID, nil, fmt.Errorf("property %s must be an IAM role ARN, got %q", PropertyRoleArn, role)
	}
	acct, err := h.API.GetAccount(ctx, &apigateway.GetAccountInput{})
	if err != nil {
		return PhysicalID, nil, fmt.Errorf("reading the Region's API Gateway account settings: %w", err)
	}
	current := aws.ToString(acct.CloudwatchRoleArn)
	switch current {
	case role:
		h.Log.Info("already set to this role", "role", role)
		return PhysicalID, map[string]any{accountkey.AttributeOutcome: OutcomeOurs, "RoleArn": role}, nil
	case "":
	default:
		h.Log.Info("another role is set: left as it is", "role", current)
		return PhysicalID, map[string]any{accountkey.AttributeOutcome: OutcomeKept, "RoleArn": current}, nil
	}
	retries, wait := h.Retries, h.Wait
	if retries <= 0 {
		retries = 12
	}
	if wait <= 0 {
		wait = 5 * time.Second
	}
	for try := 1; ; try++ {
		_, err = h.API.UpdateAccount(ctx, &apigateway.UpdateAccountInput{PatchOperations: []types.PatchOperation{{
			Op: types.OpReplace, Path: aws.String("/cloudwatchRoleArn"), Value: aws.String(role),
		}}})
		if err == nil {
			h.Log.Info("set", "role", role)
			return PhysicalID, map[string]any{accountkey.AttributeOutcome: OutcomeSet, "RoleArn": role}, nil
		}
		if !notYetUsable(err) || try >= retries {
			return PhysicalID, nil, fmt.Errorf("setting the Region's API Gateway CloudWatch Logs role to %s: %w", role, err)
		}
		h.Log.Info("the new role is not usable yet: retrying", "try", try, "error", err.Error())
		select {
		case <-ctx.Done():
			return PhysicalID, nil, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// notYetUsable is API Gateway refusing a role IAM has not propagated yet ("The role ARN does
// not have required permissions set to API Gateway"), or a throttle.
func notYetUsable(err error) bool {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return false
	}
	switch api.ErrorCode() {
	case "BadRequestException":
		return strings.Contains(strings.ToLower(api.ErrorMessage()), "role")
	case "TooManyRequestsException":
		return true
	}
	return false
}

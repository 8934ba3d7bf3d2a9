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
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
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
	// OutcomeReplaced: the role set was deleted from IAM (API Gateway keeps a deleted role's
	// ARN, and writes no log with it), so this one is set in its place.
	OutcomeReplaced = "replaced"
)

// Client is the part of API Gateway the handler uses.
type Client interface {
	GetAccount(ctx context.Context, in *apigateway.GetAccountInput, opts ...func(*apigateway.Options)) (*apigateway.GetAccountOutput, error)
	UpdateAccount(ctx context.Context, in *apigateway.UpdateAccountInput, opts ...func(*apigateway.Options)) (*apigateway.UpdateAccountOutput, error)
}

// Roles is the part of IAM the handler uses: whether the role set still exists.
type Roles interface {
	GetRole(ctx context.Context, in *iam.GetRoleInput, opts ...func(*iam.Options)) (*iam.GetRoleOutput, error)
}

// Handler serves the custom resource's events.
type Handler struct {
	API Client
	IAM Roles
	Log *slog.Logger
	// Retries and Wait bound the wait for IAM: API Gateway refuses a role IAM has not yet made
	// visible to it, and this function's own new permissions take a moment too. Defaults: 20
	// tries, 5 s apart, well inside the function's 2 minutes.
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
	var acct *apigateway.GetAccountOutput
	err := h.retry(ctx, "reading the Region's API Gateway account settings", func() (err error) {
		acct, err = h.API.GetAccount(ctx, &apigateway.GetAccountInput{})
		return err
	})
	if err != nil {
		return PhysicalID, nil, err
	}
	outcome := OutcomeSet
	switch current := aws.ToString(acct.CloudwatchRoleArn); {
	case current == role:
		h.Log.Info("already set to this role", "role", role)
		return PhysicalID, map[string]any{accountkey.AttributeOutcome: OutcomeOurs, "RoleArn": role}, nil
	case current == "":
	case h.deleted(ctx, current, role):
		h.Log.Info("the role set no longer exists: replacing it", "role", current)
		outcome = OutcomeReplaced
	default:
		h.Log.Info("another role is set: left as it is", "role", current)
		return PhysicalID, map[string]any{accountkey.AttributeOutcome: OutcomeKept, "RoleArn": current}, nil
	}
	err = h.retry(ctx, "setting the Region's API Gateway CloudWatch Logs role to "+role, func() error {
		_, err := h.API.UpdateAccount(ctx, &apigateway.UpdateAccountInput{PatchOperations: []types.PatchOperation{{
			Op: types.OpReplace, Path: aws.String("/cloudwatchRoleArn"), Value: aws.String(role),
		}}})
		return err
	})
	if err != nil {
		return PhysicalID, nil, err
	}
	h.Log.Info("set", "role", role, "outcome", outcome)
	return PhysicalID, map[string]any{accountkey.AttributeOutcome: outcome, "RoleArn": role}, nil
}

// deleted reports whether IAM says the role set (current) does not exist. Only a role of this
// account can be asked about (ours names the account); any other answer, a refusal included,
// keeps the role set: when in doubt, touch nothing.
func (h *Handler) deleted(ctx context.Context, current, ours string) bool {
	account, name, ok := roleOf(current)
	if oursAccount, _, okOurs := roleOf(ours); !ok || !okOurs || account != oursAccount || h.IAM == nil {
		return false
	}
	_, err := h.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	var missing *iamtypes.NoSuchEntityException
	if err != nil && !errors.As(err, &missing) {
		h.Log.Warn("cannot tell whether the role set exists: left as it is", "role", current, "error", err.Error())
	}
	return errors.As(err, &missing)
}

// roleOf splits arn:<partition>:iam::<account>:role/<path/>name into its account and name.
func roleOf(arn string) (account, name string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[2] != "iam" || !strings.HasPrefix(parts[5], "role/") {
		return "", "", false
	}
	name = parts[5][strings.LastIndex(parts[5], "/")+1:]
	return parts[4], name, parts[4] != "" && name != ""
}

// answerTime is what the handler keeps of its invocation to answer CloudFormation.
const answerTime = 10 * time.Second

// retry runs call until it succeeds, fails for good, or the tries run out.
func (h *Handler) retry(ctx context.Context, what string, call func() error) error {
	retries, wait := h.Retries, h.Wait
	if retries <= 0 {
		retries = 20
	}
	if wait <= 0 {
		wait = 5 * time.Second
	}
	for try := 1; ; try++ {
		err := call()
		if err == nil {
			return nil
		}
		if !notYetUsable(err) || try >= retries {
			return fmt.Errorf("%s: %w", what, err)
		}
		// Both calls share the invocation's time: give up while there is still time to tell
		// CloudFormation, rather than be killed at the timeout and leave it waiting.
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait+answerTime {
			return fmt.Errorf("%s: out of time after %d tries: %w", what, try, err)
		}
		h.Log.Info("not allowed yet: retrying", "what", what, "try", try, "error", err.Error())
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", what, ctx.Err())
		case <-time.After(wait):
		}
	}
}

// notYetUsable is API Gateway refusing a role IAM has not propagated yet ("The role ARN does
// not have required permissions set to API Gateway"), this function's own new permissions not
// yet in effect, or a throttle.
func notYetUsable(err error) bool {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return false
	}
	switch api.ErrorCode() {
	case "BadRequestException":
		return strings.Contains(strings.ToLower(api.ErrorMessage()), "role")
	case "TooManyRequestsException", "AccessDeniedException":
		return true
	}
	return false
}

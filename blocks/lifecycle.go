// Package blocks holds reusable CDK building blocks for a serverless WebSocket app: each construct owns its
// resources and their well-architected defaults, takes what it depends on as CDK interfaces, and
// exposes what it made as exported fields and metric methods. The stacks in stacks/ wire them
// together. blocks/README.md lists every prop and what its default does.
//
// Its name is not constructs-go's, so an app imports both without an alias, as this
// repository's files do.
package blocks

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
)

// Lifecycle says how long a construct's data is meant to live: Dev (a throwaway deployment)
// or Prod (one that keeps its data). It picks the data-safety defaults: what survives a
// `cdk destroy` and what is protected against deletion. (It is not awscdk.Environment, the
// account and region a stack deploys to.)
type Lifecycle string

const (
	// Dev is a throwaway deployment: tables, buckets and log groups are deleted with the stack.
	Dev Lifecycle = "dev"
	// Prod keeps data: the table has deletion protection, and data and logs are retained when
	// a stack is deleted.
	Prod Lifecycle = "prod"
)

// ParseLifecycle reads "dev" or "prod".
func ParseLifecycle(s string) (Lifecycle, error) {
	switch l := Lifecycle(s); l {
	case Dev, Prod:
		return l, nil
	}
	return "", fmt.Errorf("%q is not dev or prod (dev deletes data with the stacks, prod retains it)", s)
}

// orDefault resolves an unset lifecycle to Prod: a construct used without saying which kind
// of deployment it is in keeps its data rather than risk losing it.
func (l Lifecycle) orDefault() Lifecycle {
	if l == "" {
		return Prod
	}
	return l
}

// IsProd reports whether l (resolved to its default) is Prod.
func (l Lifecycle) IsProd() bool { return l.orDefault() == Prod }

// RemovalPolicy is what happens to stateful resources when their stack is deleted: destroyed
// in dev, retained in prod.
func (l Lifecycle) RemovalPolicy() awscdk.RemovalPolicy {
	if l.IsProd() {
		return awscdk.RemovalPolicy_RETAIN
	}
	return awscdk.RemovalPolicy_DESTROY
}

// LogRetention is how long logs are kept by default: a month in dev, a year in prod.
func (l Lifecycle) LogRetention() awslogs.RetentionDays {
	if l.IsProd() {
		return awslogs.RetentionDays_ONE_YEAR
	}
	return awslogs.RetentionDays_ONE_MONTH
}

// LogRetentionDays is LogRetention in days, for logs kept in S3 with a lifecycle rule.
func (l Lifecycle) LogRetentionDays() float64 {
	if l.IsProd() {
		return 365
	}
	return 30
}

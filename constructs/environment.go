// Package constructs holds the reusable CDK building blocks of the game: each construct owns its
// resources and their well-architected defaults, takes what it depends on as CDK interfaces, and
// exposes what it made as exported fields. The stacks in stacks/ wire them together.
//
// The AWS constructs package is imported as cdkconstructs, since this package shares its name.
package constructs

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
)

// Environment is the kind of deployment a construct is part of. It picks the data-safety
// defaults: what survives a `cdk destroy` and what is protected against deletion.
type Environment string

const (
	// Dev is a throwaway deployment: tables, buckets and log groups are deleted with the stack.
	Dev Environment = "dev"
	// Prod keeps data: the table has deletion protection, and data and logs are retained when
	// a stack is deleted.
	Prod Environment = "prod"
)

// ParseEnvironment reads "dev" or "prod".
func ParseEnvironment(s string) (Environment, error) {
	switch e := Environment(s); e {
	case Dev, Prod:
		return e, nil
	}
	return "", fmt.Errorf("environment %q: use dev (data deleted with the stacks) or prod (data retained)", s)
}

// orDefault resolves an unset environment to Prod: a construct used without saying which kind
// of deployment it is in keeps its data rather than risk losing it.
func (e Environment) orDefault() Environment {
	if e == "" {
		return Prod
	}
	return e
}

// IsProd reports whether e (resolved to its default) is Prod.
func (e Environment) IsProd() bool { return e.orDefault() == Prod }

// RemovalPolicy is what happens to stateful resources when their stack is deleted: destroyed
// in dev, retained in prod.
func (e Environment) RemovalPolicy() awscdk.RemovalPolicy {
	if e.IsProd() {
		return awscdk.RemovalPolicy_RETAIN
	}
	return awscdk.RemovalPolicy_DESTROY
}

// LogRetention is how long logs are kept by default: a month in dev, a year in prod.
func (e Environment) LogRetention() awslogs.RetentionDays {
	if e.IsProd() {
		return awslogs.RetentionDays_ONE_YEAR
	}
	return awslogs.RetentionDays_ONE_MONTH
}

// LogRetentionDays is LogRetention in days, for logs kept in S3 with a lifecycle rule.
func (e Environment) LogRetentionDays() float64 {
	if e.IsProd() {
		return 365
	}
	return 30
}

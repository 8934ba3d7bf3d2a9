package blocks

import (
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// SuppressNag records on resource (and its children) why an AwsSolutions finding does not
// apply there. appliesTo narrows a granular rule (IAM4, IAM5) to the findings named, either as
// strings ("Resource::*") or as cdknag.RegexAppliesTo. Suppressions sit next to the resource
// they excuse, with a reason specific to it: never a blanket stack-level suppression.
func SuppressNag(resource any, rule, reason string, appliesTo ...any) {
	s := &cdknag.NagPackSuppression{Id: jsii.String(rule), Reason: jsii.String(reason)}
	if len(appliesTo) > 0 {
		s.AppliesTo = &appliesTo
	}
	cdknag.NagSuppressions_AddResourceSuppressions(resource, &[]*cdknag.NagPackSuppression{s}, jsii.Bool(true))
}

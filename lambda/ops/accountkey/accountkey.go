// Package accountkey is the contract between the account-role custom resource's handler
// (package accountrole) and the construct that declares it (standard library only, so the CDK
// app links no Lambda runtime).
package accountkey

// ResourceType is the custom resource's type.
const ResourceType = "Custom::ApiGatewayCloudWatchRole"

// PropertyRoleArn is its property: the role to set when the Region has none.
const PropertyRoleArn = "RoleArn"

// AttributeOutcome is its attribute saying what it did: set, ours or kept.
const AttributeOutcome = "Outcome"

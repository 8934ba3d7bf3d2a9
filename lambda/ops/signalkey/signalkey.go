// Package signalkey is the contract between a web instance, the signal relay and the CDK
// construct that wires them (standard library only, so the CDK app links no Lambda runtime):
// the object keys an instance writes to the signals bucket and the relay's settings.
package signalkey

import "regexp"

// The statuses an instance reports, as the first element of its object key.
const (
	Success = "SUCCESS"
	Failure = "FAILURE"
)

// Statuses lists them.
func Statuses() []string { return []string{Success, Failure} }

// Relayed is the prefix of the relay's own marks: RELAYED/<instance id> once an instance's
// signal reached CloudFormation, so that its repeats are not counted again (for another
// instance of a later rolling-update batch).
const Relayed = "RELAYED"

// Key is STATUS/<instance id>: nothing else is a signal.
var Key = regexp.MustCompile(`^(SUCCESS|FAILURE)/(i-[0-9a-f]{8,32})$`)

// The relay's environment variables.
const (
	EnvStackName  = "STACK_NAME"
	EnvLogicalID  = "GROUP_LOGICAL_ID"
	EnvBucketName = "SIGNAL_BUCKET"
)

package blocks

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// TableRulesPrefix starts the ID of each of the project's own table rules. The AwsSolutions
// pack checks AWS::DynamoDB::Table only, so on the game's AWS::DynamoDB::GlobalTable it checks
// nothing: these rules do, and report as it does (an error annotation naming the rule, which
// fails synth), honouring cdk-nag suppressions on the resource (SuppressNag).
const TableRulesPrefix = "TicTacToe-"

// A table rule: its ID, what it requires, and the check.
type tableRule struct {
	id, requires string
	prodOnly     bool
	ok           func(t globalTable) bool
}

// globalTable is the part of an AWS::DynamoDB::GlobalTable the rules read, as CDK resolves it.
type globalTable struct {
	BillingMode string `json:"billingMode"`
	SSE         *struct {
		SSEEnabled any `json:"sseEnabled"`
	} `json:"sseSpecification"`
	TTL *struct {
		AttributeName string `json:"attributeName"`
		Enabled       any    `json:"enabled"`
	} `json:"timeToLiveSpecification"`
	Replicas []struct {
		PITR *struct {
			Enabled any `json:"pointInTimeRecoveryEnabled"`
		} `json:"pointInTimeRecoverySpecification"`
		DeletionProtection any `json:"deletionProtectionEnabled"`
	} `json:"replicas"`
}

// isTrue is a literal true: a token the rules cannot read counts as unproven.
func isTrue(v any) bool { b, ok := v.(bool); return ok && b }

// TableRules is an aspect that checks every global table under the scope it is added to.
type TableRules struct {
	// Prod requires deletion protection too.
	Prod bool
	// TTLAttribute is the attribute TTL must be enabled on.
	TTLAttribute string
}

func (r *TableRules) rules() []tableRule {
	return []tableRule{
		{"DDB1", "point-in-time recovery on every replica", false, func(t globalTable) bool {
			for _, rep := range t.Replicas {
				if rep.PITR == nil || !isTrue(rep.PITR.Enabled) {
					return false
				}
			}
			return len(t.Replicas) > 0
		}},
		{"DDB2", "deletion protection on every replica in prod", true, func(t globalTable) bool {
			for _, rep := range t.Replicas {
				if !isTrue(rep.DeletionProtection) {
					return false
				}
			}
			return len(t.Replicas) > 0
		}},
		{"DDB3", "server-side encryption with a KMS key (AWS managed or customer managed)", false, func(t globalTable) bool {
			return t.SSE != nil && isTrue(t.SSE.SSEEnabled)
		}},
		{"DDB4", fmt.Sprintf("TTL enabled on %s, the attribute items carry their expiry in", r.TTLAttribute), false, func(t globalTable) bool {
			return t.TTL != nil && isTrue(t.TTL.Enabled) && t.TTL.AttributeName == r.TTLAttribute
		}},
		{"DDB5", "on-demand billing (PAY_PER_REQUEST): the table scales to zero", false, func(t globalTable) bool {
			return t.BillingMode == "PAY_PER_REQUEST"
		}},
	}
}

// Visit checks node if it is a global table.
func (r *TableRules) Visit(node constructs.IConstruct) {
	table, ok := node.(awsdynamodb.CfnGlobalTable)
	if !ok {
		return
	}
	stack := awscdk.Stack_Of(table)
	resolve := func(v any) any {
		if v == nil {
			return nil
		}
		if s, ok := v.(*string); ok && s == nil {
			return nil
		}
		return stack.Resolve(v)
	}
	resolved := map[string]any{
		"billingMode":             resolve(table.BillingMode()),
		"sseSpecification":        resolve(table.SseSpecification()),
		"timeToLiveSpecification": resolve(table.TimeToLiveSpecification()),
		"replicas":                resolve(table.Replicas()),
	}
	var t globalTable
	b, err := json.Marshal(resolved)
	if err == nil {
		err = json.Unmarshal(b, &t)
	}
	if err != nil {
		awscdk.Annotations_Of(table).AddError(jsii.String(fmt.Sprintf("%sDDB0: the table rules could not read this table: %v", TableRulesPrefix, err)))
		return
	}
	for _, rule := range r.rules() {
		id := TableRulesPrefix + rule.id
		if (rule.prodOnly && !r.Prod) || rule.ok(t) || suppressed(table, id) {
			continue
		}
		awscdk.Annotations_Of(table).AddError(jsii.String(fmt.Sprintf("%s: the table needs %s.", id, rule.requires)))
	}
}

// suppressed reports whether resource carries a cdk-nag suppression of rule (SuppressNag).
func suppressed(resource awscdk.CfnResource, rule string) bool {
	md0 := resource.GetMetadata(jsii.String("cdk_nag"))
	if md0 == nil {
		return false
	}
	b, err := json.Marshal(awscdk.Stack_Of(resource).Resolve(md0))
	if err != nil {
		return false
	}
	var md struct {
		Rules []struct{ ID, Reason string } `json:"rules_to_suppress"`
	}
	if json.Unmarshal(b, &md) != nil {
		return false
	}
	for _, s := range md.Rules {
		if s.ID == rule && strings.TrimSpace(s.Reason) != "" {
			return true
		}
	}
	return false
}

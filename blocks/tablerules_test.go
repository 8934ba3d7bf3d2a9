package blocks

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/jsii-runtime-go"
)

// tableErrors are the table rules' findings on stack.
func tableErrors(stack awscdk.Stack, prod bool) []string {
	awscdk.Aspects_Of(stack).Add(&TableRules{Prod: prod, TTLAttribute: "expiresAt"}, nil)
	var out []string
	for _, f := range *assertions.Annotations_FromStack(stack).FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String(TableRulesPrefix))) {
		out = append(out, f.Entry.Data.(string))
	}
	return out
}

// The table as Table makes it at its defaults passes every rule, in dev and in prod.
func TestTablePassesTheTableRules(t *testing.T) {
	for _, l := range []Lifecycle{Dev, Prod} {
		stack := newStack(t)
		NewTable(stack, jsii.String("Games"), &TableProps{Lifecycle: l})
		if errs := tableErrors(stack, l.IsProd()); len(errs) > 0 {
			t.Errorf("%s: %v", l, errs)
		}
	}
	// The rules do read Table's table: a dev one fails prod's deletion protection.
	stack := newStack(t)
	NewTable(stack, jsii.String("Games"), &TableProps{Lifecycle: Dev})
	if errs := tableErrors(stack, true); len(errs) != 1 || !strings.HasPrefix(errs[0], TableRulesPrefix+"DDB2:") {
		t.Errorf("a dev table under prod's rules: %v, want DDB2", errs)
	}
}

// Each rule fails on a table that breaks it, and only that rule.
func TestEachTableRuleFailsATableThatBreaksIt(t *testing.T) {
	good := func() *awsdynamodb.CfnGlobalTableProps {
		return &awsdynamodb.CfnGlobalTableProps{
			KeySchema:            []any{&awsdynamodb.CfnGlobalTable_KeySchemaProperty{AttributeName: jsii.String("pk"), KeyType: jsii.String("HASH")}},
			AttributeDefinitions: []any{&awsdynamodb.CfnGlobalTable_AttributeDefinitionProperty{AttributeName: jsii.String("pk"), AttributeType: jsii.String("S")}},
			BillingMode:          jsii.String("PAY_PER_REQUEST"),
			SseSpecification:     &awsdynamodb.CfnGlobalTable_SSESpecificationProperty{SseEnabled: jsii.Bool(true), SseType: jsii.String("KMS")},
			TimeToLiveSpecification: &awsdynamodb.CfnGlobalTable_TimeToLiveSpecificationProperty{
				AttributeName: jsii.String("expiresAt"), Enabled: jsii.Bool(true),
			},
			Replicas: []any{&awsdynamodb.CfnGlobalTable_ReplicaSpecificationProperty{
				Region:                           jsii.String("eu-west-1"),
				DeletionProtectionEnabled:        jsii.Bool(true),
				PointInTimeRecoverySpecification: &awsdynamodb.CfnGlobalTable_PointInTimeRecoverySpecificationProperty{PointInTimeRecoveryEnabled: jsii.Bool(true)},
			}},
		}
	}
	replica := func(p *awsdynamodb.CfnGlobalTableProps) *awsdynamodb.CfnGlobalTable_ReplicaSpecificationProperty {
		return p.Replicas.([]any)[0].(*awsdynamodb.CfnGlobalTable_ReplicaSpecificationProperty)
	}
	tests := []struct {
		rule   string
		prod   bool
		break_ func(*awsdynamodb.CfnGlobalTableProps)
	}{
		{"", true, func(*awsdynamodb.CfnGlobalTableProps) {}},
		{"DDB1", false, func(p *awsdynamodb.CfnGlobalTableProps) { replica(p).PointInTimeRecoverySpecification = nil }},
		{"DDB2", true, func(p *awsdynamodb.CfnGlobalTableProps) { replica(p).DeletionProtectionEnabled = jsii.Bool(false) }},
		{"", false, func(p *awsdynamodb.CfnGlobalTableProps) { replica(p).DeletionProtectionEnabled = jsii.Bool(false) }}, // dev: none needed
		{"DDB3", false, func(p *awsdynamodb.CfnGlobalTableProps) { p.SseSpecification = nil }},
		{"DDB4", false, func(p *awsdynamodb.CfnGlobalTableProps) {
			p.TimeToLiveSpecification = &awsdynamodb.CfnGlobalTable_TimeToLiveSpecificationProperty{AttributeName: jsii.String("ttl"), Enabled: jsii.Bool(true)}
		}},
		{"DDB4", false, func(p *awsdynamodb.CfnGlobalTableProps) { p.TimeToLiveSpecification = nil }},
		{"DDB5", false, func(p *awsdynamodb.CfnGlobalTableProps) {
			p.BillingMode = jsii.String("PROVISIONED")
		}},
	}
	for _, tt := range tests {
		name := tt.rule
		if name == "" {
			name = "none"
		}
		t.Run(name, func(t *testing.T) {
			stack := newStack(t)
			p := good()
			tt.break_(p)
			awsdynamodb.NewCfnGlobalTable(stack, jsii.String("Table"), p)
			errs := tableErrors(stack, tt.prod)
			if tt.rule == "" {
				if len(errs) > 0 {
					t.Errorf("findings on a good table: %v", errs)
				}
				return
			}
			if len(errs) != 1 || !strings.HasPrefix(errs[0], TableRulesPrefix+tt.rule+":") {
				t.Errorf("findings %v, want %s%s alone", errs, TableRulesPrefix, tt.rule)
			}
		})
	}
}

// A suppression with its reason excuses a rule, as it does an AwsSolutions one.
func TestTableRulesHonourSuppressions(t *testing.T) {
	stack := newStack(t)
	table := awsdynamodb.NewCfnGlobalTable(stack, jsii.String("Table"), &awsdynamodb.CfnGlobalTableProps{
		KeySchema:            []any{&awsdynamodb.CfnGlobalTable_KeySchemaProperty{AttributeName: jsii.String("pk"), KeyType: jsii.String("HASH")}},
		AttributeDefinitions: []any{&awsdynamodb.CfnGlobalTable_AttributeDefinitionProperty{AttributeName: jsii.String("pk"), AttributeType: jsii.String("S")}},
		BillingMode:          jsii.String("PROVISIONED"),
		SseSpecification:     &awsdynamodb.CfnGlobalTable_SSESpecificationProperty{SseEnabled: jsii.Bool(true)},
		TimeToLiveSpecification: &awsdynamodb.CfnGlobalTable_TimeToLiveSpecificationProperty{
			AttributeName: jsii.String("expiresAt"), Enabled: jsii.Bool(true),
		},
		Replicas: []any{&awsdynamodb.CfnGlobalTable_ReplicaSpecificationProperty{
			Region:                           jsii.String("eu-west-1"),
			PointInTimeRecoverySpecification: &awsdynamodb.CfnGlobalTable_PointInTimeRecoverySpecificationProperty{PointInTimeRecoveryEnabled: jsii.Bool(true)},
		}},
	})
	SuppressNag(table, TableRulesPrefix+"DDB5", "a test table with fixed capacity")
	if errs := tableErrors(stack, false); len(errs) > 0 {
		t.Errorf("findings despite the suppression: %v", errs)
	}
}

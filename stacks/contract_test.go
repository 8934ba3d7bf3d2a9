package stacks

import (
	"strings"
	"testing"

	"github.com/serverless-tictactoe/tictactoe/internal/cdktest"
)

// The logical IDs of the stateful resources are a contract with every deployed stack: a changed
// ID makes CloudFormation replace the resource, and a replaced table loses every room. These
// are the IDs the first deployments were made with; a refactor must keep them.
var statefulLogicalIDs = map[string]map[string]string{ // stack (without prefix) → logical ID → type
	"Alerts": {"AlertsKey9E1197AF": "AWS::KMS::Key"},
	"Data":   {"Games20B3A5C1": "AWS::DynamoDB::GlobalTable", "GamesKeyE7242CD1": "AWS::KMS::Key"},
	"Edge":   {"OperationsKeyD0717C64": "AWS::KMS::Key", "FirewallLogs7FB06776": "AWS::Logs::LogGroup"},
	"Frontend": {
		"WebAccessLogs024BC47D":          "AWS::S3::Bucket",
		"DistributionAccessLogs02AD2349": "AWS::S3::Bucket",
		"WebSignals795EA3C5":             "AWS::S3::Bucket", // transient boot reports, deleted with the stack
		"WebSignalRelayLogsF0747121":     "AWS::Logs::LogGroup",
	},
	"Network":  {"NetworkFlowLogs2BEC3212": "AWS::Logs::LogGroup"},
	"Presence": {"FunctionLogsB2C1DB5C": "AWS::Logs::LogGroup", "StreamDeadLetterQueueBE53CE81": "AWS::SQS::Queue"},
	"Realtime": {
		"ApiAccessLogs50B185DB":           "AWS::Logs::LogGroup",
		"FunctionsconnectLogs7E0EB65B":    "AWS::Logs::LogGroup",
		"FunctionsdisconnectLogs5F2C0A74": "AWS::Logs::LogGroup",
		"FunctionsgameLogsF3C30F55":       "AWS::Logs::LogGroup",
		// Retained: the region's API Gateway account setting names it.
		"ApiCloudWatchRole73EC6FC4":        "AWS::IAM::Role",
		"ApiAccountRoleSetterLogs9DD145EC": "AWS::Logs::LogGroup",
	},
}

// optionalLogicalIDs are the stateful resources only a setting makes (tableKey), checked where
// the setting is on.
var optionalLogicalIDs = map[string]bool{"GamesKeyE7242CD1": true}

// statefulTypes are the resource types whose every instance must be in statefulLogicalIDs: a
// new table, key, queue, log group or bucket is added there on purpose, not by accident.
var statefulTypes = []string{"AWS::DynamoDB::GlobalTable", "AWS::DynamoDB::Table", "AWS::KMS::Key", "AWS::SQS::Queue", "AWS::Logs::LogGroup", "AWS::S3::Bucket"}

func TestStatefulLogicalIDsNeverChange(t *testing.T) {
	for name, s := range every(t) {
		for _, st := range s.d.Stacks() {
			short := strings.TrimPrefix(*st.StackName(), StackPrefix(s.cfg))
			tpl := s.templates[*st.StackName()]
			want := statefulLogicalIDs[short]
			// dev and prod have every stateful resource but those of a setting they leave off;
			// the other combinations leave some out.
			for id, typ := range want {
				if (name != "dev" && name != "prod") || optionalLogicalIDs[id] {
					continue
				}
				if r, ok := cdktest.Resources(t, tpl, typ)[id]; !ok {
					t.Errorf("%s %s: the %s %s is gone: a deployed stack would replace it", name, short, typ, id)
				} else if typ == "AWS::IAM::Role" && r["DeletionPolicy"] != "Retain" {
					t.Errorf("%s %s: %s is no longer retained", name, short, id)
				}
			}
			for _, typ := range statefulTypes {
				for id := range cdktest.Resources(t, tpl, typ) {
					if _, ok := want[id]; !ok {
						t.Errorf("%s %s: %s %s is not in statefulLogicalIDs: add it there (it is a contract from its first deploy)", name, short, typ, id)
					}
				}
			}
		}
	}
}

// The Frontend stack publishes the exact attributes Monitoring's load balancer metrics need,
// and Monitoring reads those (never a listener ARN to split).
func TestFrontendPublishesTheFullNamesMonitoringReads(t *testing.T) {
	for name, s := range map[string]*synthesized{"dev": dev(t), "prod": prod(t)} {
		var outs map[string]struct{ Value any }
		cdktest.RoundTrip(t, (*s.templates[*s.d.Frontend.StackName()].ToJSON())["Outputs"], &outs)
		published := map[string]string{}
		for id, o := range outs {
			published[cdktest.JSONOf(t, o.Value)] = id
		}
		monitoring := cdktest.JSONOf(t, s.templates[*s.d.Monitoring.StackName()].ToJSON())
		for _, attr := range []string{"LoadBalancerFullName", "TargetGroupFullName"} {
			var id string
			for value, out := range published {
				if strings.Contains(value, `"`+attr+`"`) && strings.Contains(value, "Fn::GetAtt") {
					id = out
				}
			}
			if id == "" {
				t.Errorf("%s: the Frontend stack publishes no %s output", name, attr)
				continue
			}
			if !strings.Contains(monitoring, `"`+id+`"`) {
				t.Errorf("%s: Monitoring does not read the %s output %s", name, attr, id)
			}
		}
	}
}

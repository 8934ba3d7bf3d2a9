package stacks

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	cdkconstructs "github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/blocks"
	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
)

// MonitoringStackProps configures the Monitoring stack: the stacks it watches, as the Go
// values their constructors returned.
type MonitoringStackProps struct {
	awscdk.StackProps
	// Title heads the dashboard. Default: GameDashboard's.
	Title *string
	// Network, Data, Realtime, Presence and Frontend are what is watched. Required, but Data
	// in another Region than the primary's: TableName names the replica there.
	Network   *NetworkStack
	Data      *DataStack
	TableName *string
	Realtime  *RealtimeStack
	Presence  *PresenceStack
	Frontend  *FrontendStack
	// Edge holds the firewall, whose metrics the dashboard draws. Default: none.
	Edge *EdgeStack
	// Replicas are the game table's other Regions (docs/regions.md). Default: none.
	Replicas []string
}

// MonitoringStack is the game's dashboard. It reads every other stack and nothing reads it, so
// it deploys last and can be destroyed and redeployed on its own; it changes no resource of
// another stack. The alarms that page live beside what they watch (Realtime, Presence,
// Frontend): the dashboard shows their status.
type MonitoringStack struct {
	awscdk.Stack
	// Dashboard is the dashboard.
	Dashboard *blocks.GameDashboard
}

// NewMonitoringStack defines the stack: a row for every function of lambda/catalog and its
// alarms in the status, the table's latency for the calls the catalog says the functions make.
func NewMonitoringStack(scope cdkconstructs.Construct, id string, props *MonitoringStackProps) *MonitoringStack {
	if props.Network == nil || (props.Data == nil && props.TableName == nil) || props.Realtime == nil || props.Presence == nil || props.Frontend == nil {
		panic(fmt.Errorf("stack %s: Network, Data (or TableName), Realtime, Presence and Frontend are required", id))
	}
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	var table *blocks.TableMetrics
	if props.Data != nil {
		table = props.Data.Games.Metrics()
	} else {
		table = blocks.MetricsOf(awsdynamodb.TableV2_FromTableName(stack, jsii.String("Games"), props.TableName))
	}
	deployed := map[string]*blocks.GoFunction{catalog.FnPresence: props.Presence.Function}
	for name, fn := range props.Realtime.Functions {
		deployed[name] = fn
	}
	var functions []blocks.NamedFunction
	var actions []string
	for _, f := range catalog.All() {
		fn, ok := deployed[f.Name]
		if !ok {
			panic(fmt.Errorf("stack %s: function %s of lambda/catalog is deployed by no stack", id, f.Name))
		}
		functions = append(functions, blocks.NamedFunction{Name: f.Name, Function: fn})
		actions = append(actions, f.Needs.TableActions...)
	}
	// The status shows every alarm (the stream's join it through Stream).
	alarms := append(props.Realtime.Alarms(), props.Presence.FunctionAlarms.Alarms()...)
	alarms = append(alarms, props.Frontend.Alarms.Alarms()...)
	dashboard := blocks.NewGameDashboard(stack, jsii.String("Dashboard"), &blocks.GameDashboardProps{
		Title:             props.Title,
		Api:               props.Realtime.Api,
		Functions:         functions,
		Table:             table,
		Replicas:          props.Replicas,
		TableOperations:   blocks.Operations(actions...),
		Stream:            props.Presence.Stream,
		Web:               props.Frontend.Web,
		Edge:              props.Frontend.Distribution,
		Firewall:          firewallOf(props.Edge),
		AvailabilityZones: *props.Network.Vpc.AvailabilityZones(),
		Alarms:            alarms,
	})
	awscdk.NewCfnOutput(stack, jsii.String("DashboardUrl"), &awscdk.CfnOutputProps{
		Value:       dashboard.Url,
		Description: jsii.String("The CloudWatch dashboard: can players play?"),
	})
	return &MonitoringStack{Stack: stack, Dashboard: dashboard}
}

func firewallOf(e *EdgeStack) *blocks.WebFirewall {
	if e == nil {
		return nil
	}
	return e.Firewall
}

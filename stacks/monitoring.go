package stacks

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/blocks"
	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
	"github.com/serverless-tictactoe/tictactoe/lambda/metrics"
)

// MonitoringStackProps configures the Monitoring stack: the stacks it watches, as the Go
// values their constructors returned.
type MonitoringStackProps struct {
	awscdk.StackProps
	// Title heads the dashboard. Default: DefaultDashboardTitle.
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
	Dashboard *blocks.Dashboard
}

// DefaultDashboardTitle heads the game's dashboard when no title is given.
const DefaultDashboardTitle = "TicTacToe"

// dashboardSummary is the markdown beside the dashboard's title.
const dashboardSummary = "Can players play? Alarms on the right; then players, the WebSocket API, each function, the table, the stream pipeline and the site. docs/monitoring.md says what each alarm means and what to do."

// NewMonitoringStack defines the stack: a row for every function of lambda/catalog and its
// alarms in the status, the table's latency for the calls the catalog says the functions make.
func NewMonitoringStack(scope constructs.Construct, id string, props *MonitoringStackProps) *MonitoringStack {
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
	title := props.Title
	if title == nil {
		title = jsii.String(DefaultDashboardTitle)
	}
	dashboard := blocks.NewDashboard(stack, jsii.String("Dashboard"), &blocks.DashboardProps{
		Title:             title,
		Summary:           jsii.String(dashboardSummary),
		Sections:          []blocks.DashboardSection{playersSection(props.Realtime.Api), latencySection()},
		Api:               props.Realtime.Api,
		Functions:         functions,
		Table:             table,
		TableTitle:        jsii.String("Game table"),
		Replicas:          props.Replicas,
		TableOperations:   blocks.Operations(actions...),
		Stream:            props.Presence.Stream,
		StreamTitle:       jsii.String("Stream pipeline (presence)"),
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

// playersSection is the game's own part of the dashboard: what players do, from the API and
// the game's own metrics (lambda/metrics, which the functions write as EMF).
func playersSection(api *blocks.WebSocketApi) blocks.DashboardSection {
	return blocks.DashboardSection{Heading: "## Players", Rows: [][]awscloudwatch.IWidget{
		{
			blocks.Graph("Connections and frames", 6, api.MetricConnectCount(blocks.Sum("connections")), api.MetricMessageCount(blocks.Sum("frames"))),
			blocks.Graph("Rooms and games", 6, gameMetric(metrics.RoomsCreated), gameMetric(metrics.GamesStarted), gameMetric(metrics.GamesFinished),
				gameMetric(metrics.ComputerGamesEasy), gameMetric(metrics.ComputerGamesMedium), gameMetric(metrics.ComputerGamesPerfect)),
			blocks.Graph("Moves and chat", 6, gameMetric(metrics.Moves), gameMetric(metrics.ChatMessages)),
			blocks.Graph("Dropped and rejoined", 6, gameMetric(metrics.Disconnects), gameMetric(metrics.Rejoins)),
		},
		{
			blocks.Graph("Quick matches made", 8, gameMetric(metrics.QuickMatches)),
			blocks.Graph("Time in the quick-match queue (s)", 8,
				gameMetricOf(metrics.QuickMatchWait, awscloudwatch.Stats_Percentile(jsii.Number(50)), "median wait"),
				gameMetricOf(metrics.QuickMatchWait, awscloudwatch.Stats_Percentile(jsii.Number(90)), "p90 wait")),
			blocks.Graph("Players' history: games recorded, rated, not recorded; erasures", 8, gameMetric(metrics.GamesRecorded),
				gameMetric(metrics.RatedGames), gameMetric(metrics.RecordFailures), gameMetric(metrics.Erasures)),
		},
	}}
}

// latencySection is where a client action's time goes (lambda/hops, written by the game
// function per action): a move hop by hop beside the round trip pages report (?rtt=1), then
// every action's, found by a search so that no action is left out.
func latencySection() blocks.DashboardSection {
	moveHops := func(stat string) []awscloudwatch.IMetric {
		var ms []awscloudwatch.IMetric
		for _, name := range metrics.Latencies() {
			ms = append(ms, latencyMetric(name, catalog.Move, stat))
		}
		return append(ms, gameMetricOf(metrics.MoveRoundTrip, jsii.String(stat), "the page's round trip"))
	}
	perAction := func(title, name string) awscloudwatch.IWidget {
		var ms []awscloudwatch.IMetric
		for _, stat := range []string{"p50", "p99"} {
			ms = append(ms, awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
				Expression: jsii.String(fmt.Sprintf(`SEARCH('{%s,%s,%s} MetricName="%s"', '%s', 300)`,
					metrics.Namespace, metrics.ServiceDimension, metrics.ActionDimension, name, stat)),
				Label:  jsii.String(stat + " ${PROP('Dim." + metrics.ActionDimension + "')}"), // one line per action
				Period: awscdk.Duration_Minutes(jsii.Number(5)),
			}))
		}
		return blocks.Graph(title, 6, ms...)
	}
	return blocks.DashboardSection{Heading: "## Where a move's time goes (ms)", Rows: [][]awscloudwatch.IWidget{
		{
			blocks.Graph("A move, p50: in all, reads, writes, slowest post; the page's", 12, moveHops("p50")...),
			blocks.Graph("A move, p99: in all, reads, writes, slowest post; the page's", 12, moveHops("p99")...),
		},
		{
			perAction("Each action in all, p50 and p99", metrics.ActionLatency),
			perAction("Its DynamoDB reads", metrics.ReadLatency),
			perAction("Its DynamoDB writes", metrics.WriteLatency),
			perAction("Its slowest @connections post", metrics.PostLatency),
		},
	}}
}

// hopLabels name the per-hop latencies on the graphs.
var hopLabels = map[string]string{
	metrics.ActionLatency: "in all", metrics.ReadLatency: "reads", metrics.WriteLatency: "writes", metrics.PostLatency: "slowest post",
}

// latencyMetric is a per-hop latency of action (lambda/metrics), by statistic over 5 minutes.
func latencyMetric(name, action, stat string) awscloudwatch.IMetric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:  jsii.String(metrics.Namespace),
		MetricName: jsii.String(name),
		DimensionsMap: &map[string]*string{
			metrics.ServiceDimension: jsii.String(metrics.ServiceName), metrics.ActionDimension: jsii.String(action),
		},
		Statistic: jsii.String(stat),
		Period:    awscdk.Duration_Minutes(jsii.Number(5)),
		Label:     jsii.String(hopLabels[name]),
	})
}

// gameMetric is one of the game's own metrics (lambda/metrics), summed over 5 minutes.
func gameMetric(name string) awscloudwatch.IMetric {
	return gameMetricOf(name, awscloudwatch.Stats_SUM(), "")
}

// gameMetricOf is one of the game's own metrics over 5 minutes, by statistic, labelled.
func gameMetricOf(name string, stat *string, label string) awscloudwatch.IMetric {
	props := &awscloudwatch.MetricProps{
		Namespace:     jsii.String(metrics.Namespace),
		MetricName:    jsii.String(name),
		DimensionsMap: &map[string]*string{metrics.ServiceDimension: jsii.String(metrics.ServiceName)},
		Statistic:     stat,
		Period:        awscdk.Duration_Minutes(jsii.Number(5)),
	}
	if label != "" {
		props.Label = jsii.String(label)
	}
	return awscloudwatch.NewMetric(props)
}

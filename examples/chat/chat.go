package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/blocks"
)

// NewChatStack is the whole chat in one stack: a VPC, a table of connections, one function
// behind a WebSocket API, the site on NGINX instances behind a load balancer, alarms to a
// topic and a dashboard. Every construct is at its defaults but for what only this app can
// say: its handler, its routes, its site (its files, the global object its config file sets,
// its name on the instances).
func NewChatStack(scope constructs.Construct, id string, props *awscdk.StackProps) awscdk.Stack {
	stack := awscdk.NewStack(scope, jsii.String(id), props)

	network := blocks.NewNetwork(stack, jsii.String("Network"), nil)
	// Connections: pk "CONN#<id>", expiring through expiresAt: the table's defaults.
	table := blocks.NewTable(stack, jsii.String("Connections"), nil)

	fn := blocks.NewGoFunction(stack, jsii.String("Chat"), &blocks.GoFunctionProps{
		Command:     jsii.String("chat"),
		Environment: &map[string]*string{"TABLE_NAME": table.Table.TableName()},
	})
	table.Table.GrantReadWriteData(fn.Function)

	api := blocks.NewWebSocketApi(stack, jsii.String("Api"), &blocks.WebSocketApiProps{
		Integrations: []blocks.WebSocketIntegration{
			{Name: "chat", Handler: fn.Function, RouteKeys: []string{"$connect", "$disconnect", "$default", "send"}},
		},
	})
	blocks.SuppressNag(api.Routes["$connect"], "AwsSolutions-APIG4", "A public chat: anyone may connect; the function records the connection and nothing else")
	api.GrantManageConnectionsTo(fn)
	fn.Function.AddEnvironment(jsii.String("CALLBACK_URL"), api.Stage.CallbackUrl(), nil)

	web := blocks.NewWebFrontend(stack, jsii.String("Web"), &blocks.WebFrontendProps{
		Vpc:          network.Vpc,
		WebSocketUrl: api.Stage.Url(),
		SiteDir:      jsii.String("site"),
		ConfigObject: jsii.String("CHAT_CONFIG"),
		Name:         jsii.String("chat"),
	})

	alerts := blocks.NewAlertsTopic(stack, jsii.String("Alerts"), nil)
	apiAlarms := blocks.NewApiAlarms(stack, jsii.String("ApiAlarms"), &blocks.ApiAlarmsProps{Api: api, AlarmTopic: alerts.Topic})
	fnAlarms := blocks.NewFunctionAlarms(stack, jsii.String("ChatAlarms"), &blocks.FunctionAlarmsProps{Name: "chat", Function: fn, AlarmTopic: alerts.Topic})
	siteAlarms := blocks.NewSiteAlarms(stack, jsii.String("SiteAlarms"), &blocks.SiteAlarmsProps{Web: web, AlarmTopic: alerts.Topic})

	alarms := append(apiAlarms.Alarms(), fnAlarms.Alarms()...)
	blocks.NewDashboard(stack, jsii.String("Dashboard"), &blocks.DashboardProps{
		Title:     jsii.String("Chat"),
		Api:       api,
		Functions: []blocks.NamedFunction{{Name: "chat", Function: fn}},
		Table:     table.Metrics(),
		Web:       web,
		Alarms:    append(alarms, siteAlarms.Alarms()...),
	})

	awscdk.NewCfnOutput(stack, jsii.String("SiteUrl"), &awscdk.CfnOutputProps{Value: web.SiteUrl})
	return stack
}

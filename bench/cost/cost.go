// Package cost turns measured request counts into an AWS bill: per 1,000 games from what the
// load benchmark counted at the DynamoDB and @connections endpoints, and the fixed monthly cost
// of the stack at idle from what the synthesized templates deploy. Prices and their date live
// in prices.json, and nowhere else.
package cost

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
)

//go:embed prices.json
var pricesJSON []byte

// Prices are list prices (USD).
type Prices struct {
	AsOf          string  `json:"asOf"`
	Region        string  `json:"region"`
	Source        string  `json:"source"`
	HoursPerMonth float64 `json:"hoursPerMonth"`
	APIGateway    struct {
		MessagesPerMillion          float64 `json:"websocketMessagesPerMillion"`
		ConnectionMinutesPerMillion float64 `json:"connectionMinutesPerMillion"`
	} `json:"apiGateway"`
	Lambda struct {
		RequestsPerMillion float64 `json:"requestsPerMillion"`
		Arm64GBSecond      float64 `json:"arm64GBSecond"`
	} `json:"lambda"`
	DynamoDB struct {
		RRUPerMillion float64 `json:"readRequestUnitsPerMillion"`
		WRUPerMillion float64 `json:"writeRequestUnitsPerMillion"`
	} `json:"dynamodb"`
	ALB struct {
		Hour    float64 `json:"hour"`
		LCUHour float64 `json:"lcuHour"`
	} `json:"alb"`
	PublicIPv4Hour float64            `json:"publicIPv4Hour"`
	EC2Hour        map[string]float64 `json:"ec2Hour"`
	EBSGp3GBMonth  float64            `json:"ebsGp3GBMonth"`
	CloudWatch     struct {
		DashboardMonth    float64 `json:"dashboardMonth"`
		AlarmMonth        float64 `json:"alarmMonth"`
		CustomMetricMonth float64 `json:"customMetricMonth"`
		LogsIngestedGB    float64 `json:"logsIngestedGB"`
		LogsStoredGBMonth float64 `json:"logsStoredGBMonth"`
	} `json:"cloudWatch"`
	KMSKeyMonth float64 `json:"kmsKeyMonth"`
	CloudFront  struct {
		HTTPSRequestsPerMillion       float64 `json:"httpsRequestsPerMillion"`
		DataOutGB                     float64 `json:"dataOutGB"`
		FunctionInvocationsPerMillion float64 `json:"functionInvocationsPerMillion"`
	} `json:"cloudFront"`
	WAF struct {
		WebACLMonth        float64 `json:"webACLMonth"`
		RuleMonth          float64 `json:"ruleMonth"`
		RequestsPerMillion float64 `json:"requestsPerMillion"`
	} `json:"waf"`
	SecretsManager struct {
		SecretMonth float64 `json:"secretMonth"`
	} `json:"secretsManager"`
	Route53 struct {
		HostedZoneMonth float64 `json:"hostedZoneMonth"`
	} `json:"route53"`
	XRay struct {
		TracesRecordedPerMillion  float64 `json:"tracesRecordedPerMillion"`
		TracesRetrievedPerMillion float64 `json:"tracesRetrievedPerMillion"`
	} `json:"xray"`
}

// LoadPrices reads prices.json.
func LoadPrices() (Prices, error) {
	var p Prices
	if err := json.Unmarshal(pricesJSON, &p); err != nil {
		return p, fmt.Errorf("reading prices.json: %w", err)
	}
	if p.AsOf == "" || p.HoursPerMonth == 0 || p.APIGateway.MessagesPerMillion == 0 || p.CloudFront.HTTPSRequestsPerMillion == 0 || p.WAF.WebACLMonth == 0 || p.SecretsManager.SecretMonth == 0 || p.XRay.TracesRecordedPerMillion == 0 {
		return p, fmt.Errorf("prices.json is incomplete")
	}
	return p, nil
}

// Line is one item of a bill.
type Line struct {
	Item     string
	Quantity string
	USD      float64
}

// Bill is a list of lines and their total.
type Bill struct {
	Lines []Line
	Total float64
}

func (b *Bill) add(item, qty string, usd float64) {
	b.Lines = append(b.Lines, Line{Item: item, Quantity: qty, USD: usd})
	b.Total += usd
}

// Game is what one game costs in requests, from the benchmark's counts.
type Game struct {
	MessagesIn, MessagesOut float64 // API Gateway messages: client frames and @connections posts
	DynamoReads             float64 // GetItem requests (strongly consistent)
	DynamoWrites            float64 // PutItem and DeleteItem requests
	ReadUnitsPerRead        float64 // RRUs per strongly consistent read of an item (1 per 4 KB)
	WriteUnitsPerWrite      float64 // WRUs per write (1 per 1 KB of item)
}

// Assumptions are what the local benchmark cannot measure.
type Assumptions struct {
	// ConnectionMinutesPerGame: both players' connections, for the game's whole length.
	ConnectionMinutesPerGame float64
	// LambdaMillisPerInvocation is the billed duration of an invocation on AWS (network calls
	// to DynamoDB and @connections dominate it), and LambdaMemoryMB its memory.
	LambdaMillisPerInvocation float64
	LambdaMemoryMB            float64
	// ExtraInvocationsPerGame are the invocations without a client frame: $connect and
	// $disconnect of both players.
	ExtraInvocationsPerGame float64
	// LogBytesPerInvocation: the request log line, EMF lines and Lambda's own report lines.
	LogBytesPerInvocation float64
}

// PerGames prices n games.
func PerGames(n float64, g Game, a Assumptions, p Prices) Bill {
	var b Bill
	msgs := n * (g.MessagesIn + g.MessagesOut)
	b.add("API Gateway messages", fmt.Sprintf("%.0f", msgs), msgs/1e6*p.APIGateway.MessagesPerMillion)
	mins := n * a.ConnectionMinutesPerGame
	b.add("API Gateway connection minutes", fmt.Sprintf("%.0f", mins), mins/1e6*p.APIGateway.ConnectionMinutesPerMillion)
	inv := n * (g.MessagesIn + a.ExtraInvocationsPerGame)
	b.add("Lambda requests", fmt.Sprintf("%.0f", inv), inv/1e6*p.Lambda.RequestsPerMillion)
	gbs := inv * a.LambdaMillisPerInvocation / 1000 * a.LambdaMemoryMB / 1024
	b.add("Lambda compute (arm64)", fmt.Sprintf("%.1f GB-s", gbs), gbs*p.Lambda.Arm64GBSecond)
	rru := n * g.DynamoReads * g.ReadUnitsPerRead
	b.add("DynamoDB reads (on-demand)", fmt.Sprintf("%.0f RRU", rru), rru/1e6*p.DynamoDB.RRUPerMillion)
	wru := n * g.DynamoWrites * g.WriteUnitsPerWrite
	b.add("DynamoDB writes (on-demand)", fmt.Sprintf("%.0f WRU", wru), wru/1e6*p.DynamoDB.WRUPerMillion)
	gb := inv * a.LogBytesPerInvocation / 1e9
	b.add("CloudWatch Logs ingestion", fmt.Sprintf("%.3f GB", gb), gb*p.CloudWatch.LogsIngestedGB)
	return b
}

// Deployment is what the stack runs at idle, counted from the synthesized templates.
type Deployment struct {
	LoadBalancers, AZs       int // ALBs, and the AZs each spans
	InternetFacing           int // of LoadBalancers, those with a public IPv4 address per AZ
	Distributions            int // CloudFront distributions: billed per request, nothing at idle
	WebACLs, WebACLRules     int // WAF web ACLs and their rules (a managed rule group is one)
	Secrets                  int // Secrets Manager secrets
	Instances                int // the Auto Scaling group's minimum
	InstanceType             string
	VolumeGB                 float64 // root volume per instance (gp3)
	KMSKeys                  int     // customer-managed keys
	Dashboards, Alarms       int
	AlarmMetrics             int     // metrics the alarms read: CloudWatch bills each (a math alarm reads several)
	IdleLogsGBPerMonth       float64 // flow logs, ALB health checks, instance logs at idle
	NATGateways              int     // must be 0
	IdleCustomMetricsEmitted int     // custom metrics with data at idle (game metrics have none)
}

// Idle prices a month of the deployment with no players.
func Idle(d Deployment, p Prices) (Bill, error) {
	var b Bill
	h := p.HoursPerMonth
	ec2, ok := p.EC2Hour[d.InstanceType]
	if !ok {
		return b, fmt.Errorf("prices.json has no price for instance type %s", d.InstanceType)
	}
	if d.NATGateways != 0 {
		return b, fmt.Errorf("the stack deploys %d NAT gateways: it must deploy none", d.NATGateways)
	}
	b.add("Application Load Balancer (hours)", fmt.Sprintf("%d × %.0f h", d.LoadBalancers, h), float64(d.LoadBalancers)*h*p.ALB.Hour)
	b.add("ALB load balancer capacity units", "≈0 at idle (health checks only)", 0)
	ips := d.InternetFacing * d.AZs
	b.add("Public IPv4 addresses (an internet-facing ALB's, one per AZ)", fmt.Sprintf("%d × %.0f h", ips, h), float64(ips)*h*p.PublicIPv4Hour)
	if d.Distributions > 0 {
		b.add("CloudFront distribution, VPC origin, socket function", fmt.Sprintf("%d; no monthly fee, $%.2f per million HTTPS requests and $%.3f per GB once played", d.Distributions, p.CloudFront.HTTPSRequestsPerMillion, p.CloudFront.DataOutGB), 0)
	}
	if d.WebACLs > 0 {
		b.add("WAF web ACL and its rules", fmt.Sprintf("%d ACL, %d rules; plus $%.2f per million requests", d.WebACLs, d.WebACLRules, p.WAF.RequestsPerMillion),
			float64(d.WebACLs)*p.WAF.WebACLMonth+float64(d.WebACLRules)*p.WAF.RuleMonth)
	}
	if d.Secrets > 0 {
		b.add("Secrets Manager secrets (the edge secret, the address key)", fmt.Sprintf("%d", d.Secrets), float64(d.Secrets)*p.SecretsManager.SecretMonth)
	}
	b.add(fmt.Sprintf("EC2 %s instances (the ASG minimum)", d.InstanceType), fmt.Sprintf("%d × %.0f h", d.Instances, h), float64(d.Instances)*h*ec2)
	gb := float64(d.Instances) * d.VolumeGB
	b.add("EBS gp3 root volumes", fmt.Sprintf("%.0f GB", gb), gb*p.EBSGp3GBMonth)
	b.add("KMS customer-managed keys", fmt.Sprintf("%d", d.KMSKeys), float64(d.KMSKeys)*p.KMSKeyMonth)
	b.add("CloudWatch dashboards", fmt.Sprintf("%d", d.Dashboards), float64(d.Dashboards)*p.CloudWatch.DashboardMonth)
	metrics := max(d.AlarmMetrics, d.Alarms)
	b.add("CloudWatch alarms (billed per metric read)", fmt.Sprintf("%d alarms, %d metrics", d.Alarms, metrics), float64(metrics)*p.CloudWatch.AlarmMonth)
	b.add("CloudWatch custom metrics", fmt.Sprintf("%d with data at idle", d.IdleCustomMetricsEmitted), float64(d.IdleCustomMetricsEmitted)*p.CloudWatch.CustomMetricMonth)
	b.add("CloudWatch Logs (flow logs, health checks)", fmt.Sprintf("%.2f GB", d.IdleLogsGBPerMonth), d.IdleLogsGBPerMonth*(p.CloudWatch.LogsIngestedGB+p.CloudWatch.LogsStoredGBMonth))
	b.add("NAT gateways", "0 (S3 gateway endpoint instead: free)", 0)
	b.add("API Gateway, Lambda, DynamoDB on-demand, SNS, SQS", "pay per request: nothing at idle", 0)
	return b, nil
}

// Round2 rounds to cents.
func Round2(v float64) float64 { return math.Round(v*100) / 100 }

// Package deployment reads what the synthesized CloudFormation templates (cdk.out) deploy, for
// the idle-cost model: load balancers (internet-facing or internal) and their AZs, the
// instances the Auto Scaling group keeps, volumes, keys, dashboards, alarms, NAT gateways,
// distributions, web ACLs and secrets.
package deployment

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/serverless-tictactoe/tictactoe/bench/cost"
)

type resource struct {
	Type       string          `json:"Type"`
	Properties json.RawMessage `json:"Properties"`
}

// properties are r's Properties, nil where it has none.
func (r resource) properties() (map[string]any, error) {
	var p map[string]any
	if len(r.Properties) == 0 {
		return p, nil
	}
	err := json.Unmarshal(r.Properties, &p)
	return p, err
}

type template struct {
	Resources map[string]resource `json:"Resources"`
}

// Read counts the resources of every template in dir (cdk.out).
func Read(dir string) (cost.Deployment, []string, error) {
	var d cost.Deployment
	var notes []string
	files, err := filepath.Glob(filepath.Join(dir, "*.template.json"))
	if err != nil || len(files) == 0 {
		return d, nil, fmt.Errorf("no templates in %s: run `make synth` first", dir)
	}
	for _, f := range files {
		t, err := readTemplate(f)
		if err != nil {
			return d, nil, err
		}
		for id, r := range t.Resources {
			p, err := r.properties()
			if err != nil {
				return d, nil, fmt.Errorf("%s: resource %s: %w", f, id, err)
			}
			if note := count(&d, id, r.Type, p); note != "" {
				notes = append(notes, note)
			}
		}
	}
	if d.VolumeGB == 0 {
		d.VolumeGB = 8
		notes = append(notes, "root volume size not set in the launch template: AL2023's AMI default of 8 GB assumed")
	}
	if d.InstanceType == "" {
		return d, notes, fmt.Errorf("no launch template with an instance type in %s", dir)
	}
	return d, notes, nil
}

func readTemplate(file string) (template, error) {
	var t template
	b, err := os.ReadFile(file)
	if err != nil {
		return t, err
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return t, fmt.Errorf("%s: %w", file, err)
	}
	return t, nil
}

// count adds resource id, of type typ with properties p, to d; note says what it had to
// assume, if anything.
func count(d *cost.Deployment, id, typ string, p map[string]any) (note string) {
	switch typ {
	case "AWS::ElasticLoadBalancingV2::LoadBalancer":
		loadBalancer(d, p)
	case "AWS::AutoScaling::AutoScalingGroup":
		n, err := number(p["MinSize"])
		if err != nil {
			note = fmt.Sprintf("%s: MinSize is not a plain number (%v); assumed 2", id, p["MinSize"])
			n = 2
		}
		d.Instances += int(n)
	case "AWS::EC2::LaunchTemplate":
		launchTemplate(d, p)
	case "AWS::CloudFront::Distribution":
		d.Distributions++
	case "AWS::WAFv2::WebACL":
		d.WebACLs++
		if rules, ok := p["Rules"].([]any); ok {
			d.WebACLRules += len(rules)
		}
	case "AWS::SecretsManager::Secret":
		d.Secrets++
	case "AWS::KMS::Key":
		d.KMSKeys++
	case "AWS::CloudWatch::Dashboard":
		d.Dashboards++
	case "AWS::CloudWatch::Alarm":
		d.Alarms++
		d.AlarmMetrics += alarmMetrics(p)
	case "AWS::EC2::NatGateway":
		d.NATGateways++
	}
	return note
}

// loadBalancer counts a load balancer, whether it faces the internet, and its AZs (one subnet
// each).
func loadBalancer(d *cost.Deployment, p map[string]any) {
	d.LoadBalancers++
	if p["Scheme"] != "internal" {
		d.InternetFacing++
	}
	if subnets, ok := p["Subnets"].([]any); ok {
		d.AZs = max(d.AZs, len(subnets))
	} else if maps, ok := p["SubnetMappings"].([]any); ok {
		d.AZs = max(d.AZs, len(maps))
	}
}

// launchTemplate takes the instances' type and root volume size from a launch template.
func launchTemplate(d *cost.Deployment, p map[string]any) {
	data, _ := p["LaunchTemplateData"].(map[string]any)
	if it, ok := data["InstanceType"].(string); ok {
		d.InstanceType = it
	}
	if bdm, ok := data["BlockDeviceMappings"].([]any); ok && len(bdm) > 0 {
		ebs, _ := bdm[0].(map[string]any)["Ebs"].(map[string]any)
		if v, err := number(ebs["VolumeSize"]); err == nil {
			d.VolumeGB = v
		}
	}
}

func number(v any) (float64, error) {
	switch v := v.(type) {
	case float64:
		return v, nil
	case string:
		return strconv.ParseFloat(v, 64)
	}
	return 0, fmt.Errorf("not a number: %v", v)
}

// alarmMetrics is how many metrics an alarm reads: one, or each MetricStat of a math alarm.
func alarmMetrics(p map[string]any) int {
	queries, ok := p["Metrics"].([]any)
	if !ok {
		return 1
	}
	n := 0
	for _, q := range queries {
		if m, ok := q.(map[string]any); ok && m["MetricStat"] != nil {
			n++
		}
	}
	return max(n, 1)
}

package cost

import (
	"math"
	"testing"
)

func TestPricesLoad(t *testing.T) {
	p, err := LoadPrices()
	if err != nil {
		t.Fatal(err)
	}
	if p.EC2Hour["t4g.micro"] == 0 || p.DynamoDB.WRUPerMillion == 0 || p.Lambda.Arm64GBSecond == 0 {
		t.Fatalf("prices incomplete: %+v", p)
	}
}

func TestPerGamesArithmetic(t *testing.T) {
	p, _ := LoadPrices()
	g := Game{MessagesIn: 10, MessagesOut: 20, DynamoReads: 10, DynamoWrites: 10, ReadUnitsPerRead: 1, WriteUnitsPerWrite: 1}
	a := Assumptions{ConnectionMinutesPerGame: 10, LambdaMillisPerInvocation: 1000, LambdaMemoryMB: 1024, ExtraInvocationsPerGame: 0}
	b := PerGames(1e6, g, a, p)
	want := map[string]float64{
		"API Gateway messages":           30 * p.APIGateway.MessagesPerMillion,
		"API Gateway connection minutes": 10 * p.APIGateway.ConnectionMinutesPerMillion,
		"Lambda requests":                10 * p.Lambda.RequestsPerMillion,
		"Lambda compute (arm64)":         10e6 * p.Lambda.Arm64GBSecond,
		"DynamoDB reads (on-demand)":     10 * p.DynamoDB.RRUPerMillion,
		"DynamoDB writes (on-demand)":    10 * p.DynamoDB.WRUPerMillion,
	}
	for _, l := range b.Lines {
		if w, ok := want[l.Item]; ok && math.Abs(l.USD-w) > 1e-9 {
			t.Errorf("%s = %v, want %v", l.Item, l.USD, w)
		}
	}
}

func TestIdleRefusesNAT(t *testing.T) {
	p, _ := LoadPrices()
	if _, err := Idle(Deployment{InstanceType: "t4g.micro", NATGateways: 1}, p); err == nil {
		t.Fatal("a NAT gateway must be refused")
	}
	if _, err := Idle(Deployment{InstanceType: "m9.huge"}, p); err == nil {
		t.Fatal("an unpriced instance type must be an error")
	}
	b, err := Idle(Deployment{LoadBalancers: 1, InternetFacing: 1, AZs: 2, Instances: 2, InstanceType: "t4g.micro", VolumeGB: 8}, p)
	if err != nil {
		t.Fatal(err)
	}
	want := 730*0.0225 + 2*730*0.005 + 2*730*0.0084 + 16*0.08
	if math.Abs(b.Total-want) > 1e-9 {
		t.Fatalf("idle total %v, want %v", b.Total, want)
	}
}

// Behind the distribution the load balancer is internal: no public address to pay for. The
// distribution bills per request only; the firewall, its rules and the edge secret by the month.
func TestIdleBehindTheDistribution(t *testing.T) {
	p, _ := LoadPrices()
	base := Deployment{LoadBalancers: 1, AZs: 2, Instances: 2, InstanceType: "t4g.micro", VolumeGB: 8, Distributions: 1, Secrets: 1}
	b, err := Idle(base, p)
	if err != nil {
		t.Fatal(err)
	}
	want := 730*0.0225 + 2*730*0.0084 + 16*0.08 + 0.40
	if math.Abs(b.Total-want) > 1e-9 {
		t.Fatalf("idle total %v, want %v (no public IPv4, the secret)", b.Total, want)
	}
	withWaf := base
	withWaf.WebACLs, withWaf.WebACLRules = 1, 5
	w, err := Idle(withWaf, p)
	if err != nil {
		t.Fatal(err)
	}
	if got := w.Total - b.Total; math.Abs(got-(5.00+5*1.00)) > 1e-9 {
		t.Fatalf("the firewall adds %v a month, want $10 (ACL and 5 rules)", got)
	}
}

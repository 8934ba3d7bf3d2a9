package deployment

import "testing"

func TestRead(t *testing.T) {
	d, notes, err := Read("testdata/templates")
	if err != nil {
		t.Fatal(err)
	}
	if d.LoadBalancers != 2 || d.InternetFacing != 1 || d.Distributions != 1 || d.Secrets != 1 || d.WebACLs != 1 || d.WebACLRules != 2 || d.AZs != 2 || d.Instances != 2 || d.InstanceType != "t4g.micro" || d.VolumeGB != 8 ||
		d.KMSKeys != 1 || d.Dashboards != 1 || d.Alarms != 2 || d.AlarmMetrics != 3 || d.NATGateways != 0 || len(notes) != 0 {
		t.Fatalf("read %+v notes %v", d, notes)
	}
	if _, _, err := Read("testdata/none"); err == nil {
		t.Fatal("no templates must be an error that says to synth")
	}
}

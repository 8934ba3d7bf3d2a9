package quotas

import "testing"

func TestAccountQuotaByRegion(t *testing.T) {
	for _, tt := range []struct {
		region   string
		requests int
		alarm    float64
	}{
		{"eu-west-1", 10000, 8000},
		{"us-east-1", 10000, 8000},
		{"af-south-1", 2500, 2000},
		{"mx-central-1", 2500, 2000},
		{"", 10000, 8000}, // an unknown Region has the usual quota
	} {
		t.Run(tt.region, func(t *testing.T) {
			if got := AccountRequestsIn(tt.region); got != tt.requests {
				t.Errorf("AccountRequestsIn(%q) = %d, want %d", tt.region, got, tt.requests)
			}
			if got := AccountAlarmRateIn(tt.region); got != tt.alarm {
				t.Errorf("AccountAlarmRateIn(%q) = %v, want %v", tt.region, got, tt.alarm)
			}
		})
	}
	if AccountAlarmRate() != AccountAlarmRateIn("eu-west-1") {
		t.Errorf("AccountAlarmRate() = %v, not the usual Region's %v", AccountAlarmRate(), AccountAlarmRateIn("eu-west-1"))
	}
}

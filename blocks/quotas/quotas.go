// Package quotas is API Gateway's account-level quotas in a Region, at their defaults, and the
// share of them at which the blocks' alarm fires. Every REST, HTTP and WebSocket API of the
// account in the Region shares them, and the @connections calls functions make
// (PostToConnection, GetConnection, DeleteConnection) count as requests too. It is a leaf
// package (the standard library only), so an app's capacity model and its Lambda code read the
// same numbers as the CDK constructs without linking the CDK.
package quotas

import "slices"

const (
	// AccountRequestsPerSecond is the account's request throttle (its burst is 5,000).
	AccountRequestsPerSecond = 10000
	// AccountConnectsPerSecond is the new WebSocket connections per second, across all the
	// account's WebSocket APIs.
	AccountConnectsPerSecond = 500
	// AccountAlarmPercent is how much of AccountRequestsPerSecond the API may take, measured
	// over a minute, before the alarm fires: time to look before the bucket is spent.
	AccountAlarmPercent = 80
	// LowQuotaRequestsPerSecond is the account-level request quota in LowQuotaRegions.
	LowQuotaRequestsPerSecond = 2500
)

// LowQuotaRegions start every account at LowQuotaRequestsPerSecond (bursts of 1,250) rather
// than AccountRequestsPerSecond: the Regions API Gateway's quotas page names (Cape Town,
// Milan, Jakarta, UAE, Hyderabad, Melbourne, Spain, Zurich, Tel Aviv, Calgary, Malaysia,
// Thailand, Mexico Central).
var LowQuotaRegions = []string{
	"af-south-1", "eu-south-1", "ap-southeast-3", "me-central-1", "ap-south-2", "ap-southeast-4", "eu-south-2",
	"eu-central-2", "il-central-1", "ca-west-1", "ap-southeast-5", "ap-southeast-7", "mx-central-1",
}

// AccountRequestsIn is the account-level request quota a new account has in region.
func AccountRequestsIn(region string) int {
	if slices.Contains(LowQuotaRegions, region) {
		return LowQuotaRequestsPerSecond
	}
	return AccountRequestsPerSecond
}

// AccountAlarmRate is the requests per second, an API's messages and connects together, at
// which the account-level quota's alarm fires in a Region with the usual quota.
func AccountAlarmRate() float64 { return AccountRequestsPerSecond * AccountAlarmPercent / 100 }

// AccountAlarmRateIn is AccountAlarmRate for region's quota.
func AccountAlarmRateIn(region string) float64 {
	return float64(AccountRequestsIn(region)) * AccountAlarmPercent / 100
}

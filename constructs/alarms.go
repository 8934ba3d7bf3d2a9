package constructs

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
)

// Notify sends alarm's transitions to ALARM and back to OK to topic, so whoever is told of a
// problem is also told when it is over. A nil topic leaves the alarm without actions: it still
// shows on the dashboard and in the console.
func Notify(alarm awscloudwatch.Alarm, topic awssns.ITopic) {
	if topic == nil {
		return
	}
	action := awscloudwatchactions.NewSnsAction(topic)
	alarm.AddAlarmAction(action)
	alarm.AddOkAction(action)
}

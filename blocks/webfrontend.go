package blocks

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/frontend"
	"github.com/serverless-tictactoe/tictactoe/frontend/sitebuild"
)

// WebFrontendProps configures a WebFrontend.
type WebFrontendProps struct {
	// Vpc to run in: the instances go in its private isolated subnets, which must reach S3
	// through a gateway endpoint (see Network); the load balancer in its public subnets, or
	// beside the instances when Internal. Required.
	Vpc awsec2.IVpc
	// Internal makes the load balancer internal: in the isolated subnets, with no public
	// address, taking HTTP on port 80 from inside the VPC only. That is where a CloudFront VPC
	// origin reaches it (SiteDistribution): players never reach it directly. It takes no
	// Certificate: the distribution terminates TLS. Default: false, internet-facing.
	Internal bool
	// WebSocketUrl is the wss:// URL the site connects to, written into its config.js.
	// Required.
	WebSocketUrl *string
	// FallbackSockets are other Regions' sockets, paths on the page's own host (a
	// SiteDistribution's OtherSockets), listed in config.js after WebSocketUrl for the page to
	// fail over to. Default: none.
	FallbackSockets []string
	// Certificate turns on HTTPS: port 443 serves the site with it, and port 80 redirects to
	// 443. Default: none, the site is served over plain HTTP on port 80.
	Certificate awscertificatemanager.ICertificate
	// InstanceType of the instances; it must be a Graviton (arm64) type, as the image is the
	// arm64 Amazon Linux 2023 (ParseInstanceType checks a name). Default: DefaultInstanceType.
	InstanceType awsec2.InstanceType
	// MinCapacity is the fewest instances: at least 2, so the site survives losing an instance
	// or an availability zone. Default: DefaultMinCapacity.
	MinCapacity *float64
	// MaxCapacity is the most instances scaling may run: above MinCapacity (ValidateCapacity).
	// Default: DefaultMaxCapacity.
	MaxCapacity *float64
	// TargetCpuUtilization is the average CPU percentage target tracking keeps the group at.
	// Default: DefaultTargetCpuUtilization.
	TargetCpuUtilization *float64
	// BootTime is how long an instance takes to boot, install NGINX and pass its health
	// checks: the ELB health checks' grace period and the group's warm-up. Default:
	// DefaultBootMinutes.
	BootTime awscdk.Duration
	// SignalTimeout is how long CloudFormation waits for an instance to report that it serves
	// the site (creation, and each instance of a rolling update) before it counts the instance
	// as failed and rolls back. Default: DefaultSignalTimeoutMinutes.
	SignalTimeout awscdk.Duration
	// SiteDir is a static site to serve, a directory shipped as it is: a site that needs a
	// build comes built. Default: the game's site (frontend/site of this module, as the app was
	// compiled with it), built for serving by package frontend/sitebuild (each script and
	// stylesheet minified, nothing else changed) into the app's output directory.
	SiteDir *string
	// ConfigFile is the file each instance writes into the site, naming the socket:
	// window.<ConfigObject> = {"webSocketUrl": …, "webSocketUrls": […]}, for the page to load
	// before its own script. Default: the game's, config.js (frontend.ConfigFile).
	ConfigFile *string
	// ConfigObject is the global object ConfigFile sets, a JavaScript name. Default: the
	// game's, TICTACTOE_CONFIG (frontend.ConfigObject).
	ConfigObject *string
	// Name names the app on the instances: the site's directory /usr/share/nginx/<Name> and
	// the boot log /var/log/<Name>-user-data.log. Default: the game's, tictactoe (frontend.Name).
	Name *string
	// NginxConf is the whole nginx.conf the instances run, with the placeholders of the
	// game's (frontend/nginx/nginx.conf: @SITE_ROOT@, @NGINX_LISTEN@, @WS_ORIGIN@…), which
	// must answer /healthz. Default: the game's.
	NginxConf *string
	// ContentSecurityPolicy replaces the value of nginx.conf's Content-Security-Policy header;
	// @WS_ORIGIN@ stands for the socket's origin (nothing when the socket is on the page's
	// host). Default: nginx.conf's (the game's: scripts, styles and sockets of its own origin
	// only).
	ContentSecurityPolicy *string
	// Lifecycle picks the access log bucket's fate and the load balancer's deletion
	// protection. Default: Prod: the bucket is retained and the load balancer protected.
	// Dev: the bucket is emptied and deleted with the stack.
	Lifecycle Lifecycle
}

// WebFrontend serves the static site: an internet-facing Application Load Balancer in front of
// an Auto Scaling group of Amazon Linux 2023 arm64 instances running NGINX. The instances take
// no SSH key (Session Manager only), require IMDSv2, have encrypted gp3 root volumes, and accept
// traffic only from the load balancer. Their user data (package frontend) installs NGINX and
// the site, which ships as an S3 asset. A change to the launch template (user data, site,
// image) replaces the instances one at a time.
type WebFrontend struct {
	constructs.Construct
	// LoadBalancer is the load balancer: internet-facing, or internal (Props.Internal).
	LoadBalancer awselasticloadbalancingv2.ApplicationLoadBalancer
	// AutoScalingGroup runs the instances.
	AutoScalingGroup awsautoscaling.AutoScalingGroup
	// TargetGroup is the instances' target group, health-checked on /healthz.
	TargetGroup awselasticloadbalancingv2.ApplicationTargetGroup
	// LaunchTemplate starts the instances.
	LaunchTemplate awsec2.LaunchTemplate
	// Role is the instances' role.
	Role awsiam.Role
	// Site is the site's S3 asset: SiteDir's files, or the game's site as built for serving.
	Site awss3assets.Asset
	// AccessLogs is the bucket the load balancer writes its access logs to.
	AccessLogs awss3.Bucket
	// SiteUrl is the site's URL: http:// or https:// and the load balancer's DNS name (for an
	// internal one, reachable from inside the VPC only).
	SiteUrl *string
}

// The metrics below carry their dimensions from the load balancer's and target group's
// LoadBalancerFullName and TargetGroupFullName attributes. CDK's own target group metrics
// derive the LoadBalancer dimension by splitting the listener's ARN, which, read from another
// stack, puts a weak reference (Fn::GetStackOutput) inside Fn::Split: CloudFormation is not
// known to accept that.

// albMetric is a load balancer metric with statistic, over 5 minutes, unless opts says
// otherwise.
func (w *WebFrontend) albMetric(name string, dims map[string]*string, statistic *string, opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return withOptions(awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String("AWS/ApplicationELB"),
		MetricName:    jsii.String(name),
		DimensionsMap: &dims,
		Statistic:     statistic,
		Period:        awscdk.Duration_Minutes(jsii.Number(5)),
	}), opts)
}

func (w *WebFrontend) lbDims() map[string]*string {
	return map[string]*string{"LoadBalancer": w.LoadBalancer.LoadBalancerFullName()}
}

func (w *WebFrontend) targetDims() map[string]*string {
	return map[string]*string{"LoadBalancer": w.LoadBalancer.LoadBalancerFullName(), "TargetGroup": w.TargetGroup.TargetGroupFullName()}
}

// MetricRequestCount is the requests the load balancer served. Default statistic: sum.
func (w *WebFrontend) MetricRequestCount(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return w.albMetric("RequestCount", w.lbDims(), awscloudwatch.Stats_SUM(), opts)
}

// MetricLoadBalancer5xx is the 5xx responses the load balancer made itself (502/503: no
// healthy instance, or one dropping connections). Default statistic: sum.
func (w *WebFrontend) MetricLoadBalancer5xx(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return w.albMetric("HTTPCode_ELB_5XX_Count", w.lbDims(), awscloudwatch.Stats_SUM(), opts)
}

// MetricTarget5xx is the 5xx responses of the instances (NGINX). Default statistic: sum.
func (w *WebFrontend) MetricTarget5xx(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return w.albMetric("HTTPCode_Target_5XX_Count", w.lbDims(), awscloudwatch.Stats_SUM(), opts)
}

// Metric5xx is both kinds of 5xx together, over period.
func (w *WebFrontend) Metric5xx(period awscdk.Duration) awscloudwatch.IMetric {
	sum := awscloudwatch.Stats_SUM()
	return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String("FILL(elb, 0) + FILL(target, 0)"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			"elb":    w.MetricLoadBalancer5xx(&awscloudwatch.MetricOptions{Statistic: sum, Period: period}),
			"target": w.MetricTarget5xx(&awscloudwatch.MetricOptions{Statistic: sum, Period: period}),
		},
		Label:  jsii.String("5xx responses"),
		Period: period,
	})
}

// MetricTargetResponseTime is how long the instances took to answer, in seconds.
func (w *WebFrontend) MetricTargetResponseTime(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return w.albMetric("TargetResponseTime", w.lbDims(), awscloudwatch.Stats_AVERAGE(), opts)
}

// MetricHealthyHosts is the instances passing their health checks, in availabilityZone when
// it is set, else across all zones. Default statistic: minimum.
func (w *WebFrontend) MetricHealthyHosts(availabilityZone *string, opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	dims := w.targetDims()
	if availabilityZone != nil {
		dims["AvailabilityZone"] = availabilityZone
	}
	return w.albMetric("HealthyHostCount", dims, awscloudwatch.Stats_MINIMUM(), opts)
}

// MetricUnhealthyHosts is the instances failing their health checks. Default statistic:
// maximum.
func (w *WebFrontend) MetricUnhealthyHosts(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return w.albMetric("UnHealthyHostCount", w.targetDims(), awscloudwatch.Stats_MAXIMUM(), opts)
}

// MetricInServiceInstances and MetricDesiredCapacity are the group's own counts (the group
// publishes them: GroupMetrics). Default statistic: minimum.
func (w *WebFrontend) MetricInServiceInstances(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return w.groupMetric("GroupInServiceInstances", opts)
}

// MetricDesiredCapacity: see MetricInServiceInstances.
func (w *WebFrontend) MetricDesiredCapacity(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return w.groupMetric("GroupDesiredCapacity", opts)
}

func (w *WebFrontend) groupMetric(name string, opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return withOptions(awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String("AWS/AutoScaling"),
		MetricName:    jsii.String(name),
		DimensionsMap: &map[string]*string{"AutoScalingGroupName": w.AutoScalingGroup.AutoScalingGroupName()},
		Statistic:     awscloudwatch.Stats_MINIMUM(),
		Period:        awscdk.Duration_Minutes(jsii.Number(5)),
	}), opts)
}

// HealthCheckPath is what the load balancer requests to check an instance; NGINX answers it.
const HealthCheckPath = "/healthz"

// WebFrontend's defaults.
const (
	DefaultInstanceType         = "t4g.micro"
	DefaultMinCapacity          = 2
	DefaultMaxCapacity          = 4
	DefaultTargetCpuUtilization = 50
	DefaultBootMinutes          = 3
	DefaultSignalTimeoutMinutes = 15
)

// ParseInstanceType reads an EC2 instance type name such as t4g.small and checks that the
// instances can run it: a Graviton (arm64) type, since they boot the arm64 Amazon Linux 2023.
func ParseInstanceType(name string) (awsec2.InstanceType, error) {
	if !instanceTypeName.MatchString(name) {
		return nil, fmt.Errorf("%q is not an EC2 instance type like t4g.small", name)
	}
	it := awsec2.NewInstanceType(jsii.String(name))
	if err := checkArm64(it); err != nil {
		return nil, err
	}
	return it, nil
}

// instanceTypeName is an instance type's shape, family.size (t4g.micro, c6gn.large,
// m7i-flex.xlarge): CDK reads the architecture from the family, and takes any string.
var instanceTypeName = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[a-z0-9]+$`)

func checkArm64(it awsec2.InstanceType) error {
	if it.Architecture() != awsec2.InstanceArchitecture_ARM_64 {
		return fmt.Errorf("%s is not a Graviton (arm64) type: the instances run arm64 Amazon Linux 2023, pick one such as t4g.micro, t4g.small or m7g.medium", *it.ToString())
	}
	return nil
}

// ValidateCapacity checks the group's bounds: at least 2 instances, one per availability
// zone, so losing one keeps the site up; and a maximum above the minimum, since a rolling
// replacement adds an instance before it removes one, keeping the minimum in service
// (CloudFormation requires MinInstancesInService below MaxSize).
func ValidateCapacity(min, max float64) error {
	if min < 2 || min != float64(int(min)) {
		return fmt.Errorf("the minimum of %v instances is too few: use a whole number of at least 2, one per availability zone, so losing one keeps the site up", min)
	}
	if max <= min || max != float64(int(max)) {
		return fmt.Errorf("the maximum of %v instances must be a whole number above the minimum, %v: a rolling replacement adds an instance before it removes one, keeping the minimum in service (CloudFormation requires MinInstancesInService below MaxSize)", max, min)
	}
	return nil
}

// NewWebFrontend defines the load balancer, the instances and their scaling.
func NewWebFrontend(scope constructs.Construct, id *string, props *WebFrontendProps) *WebFrontend {
	p, err := props.validate()
	if err != nil {
		panic(fmt.Errorf("WebFrontend %s: %w", *id, err))
	}
	this := constructs.NewConstruct(scope, id)
	site := awss3assets.NewAsset(this, jsii.String("Site"), &awss3assets.AssetProps{Path: siteDir(this, p.SiteDir)})
	role := newInstanceRole(this, site)
	signals := newSignals(this, p.Lifecycle)
	signals.grantReports(role)
	userData, err := frontend.UserData(frontend.UserDataParams{
		SiteBucket:      *site.S3BucketName(),
		SiteKey:         *site.S3ObjectKey(),
		WebSocketURL:    *p.WebSocketUrl,
		FallbackSockets: p.FallbackSockets,
		Region:          *awscdk.Stack_Of(this).Region(),
		SignalBucket:    *signals.Bucket.BucketName(),
		// Empty is the game's (frontend).
		ConfigFile:            valueOf(p.ConfigFile),
		ConfigObject:          valueOf(p.ConfigObject),
		Name:                  valueOf(p.Name),
		NginxConf:             valueOf(p.NginxConf),
		ContentSecurityPolicy: valueOf(p.ContentSecurityPolicy),
	})
	if err != nil {
		panic(fmt.Errorf("WebFrontend %s: %w", *id, err))
	}
	launchTemplate := newLaunchTemplate(this, &p, role, userData)
	asg := newInstances(this, &p, launchTemplate, signals)
	accessLogs := newLogBucket(this, "AccessLogs", p.Lifecycle, awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED, "load balancer")
	lb := newLoadBalancer(this, &p, accessLogs)
	tg, scheme := addListeners(lb, &p, asg)
	return &WebFrontend{
		Construct:        this,
		LoadBalancer:     lb,
		AutoScalingGroup: asg,
		TargetGroup:      tg,
		LaunchTemplate:   launchTemplate,
		Role:             role,
		Site:             site,
		AccessLogs:       accessLogs,
		SiteUrl:          awscdk.Fn_Join(jsii.String(""), jsii.Strings(scheme+"://", *lb.LoadBalancerDnsName())),
	}
}

// validate checks props and returns a copy with every default filled in (the caller's props
// are never changed).
func (props *WebFrontendProps) validate() (WebFrontendProps, error) {
	if props == nil {
		return WebFrontendProps{}, errors.New("props are required: at least Vpc and WebSocketUrl")
	}
	p := *props
	if p.Vpc == nil {
		return p, errors.New("Vpc is required")
	}
	if p.WebSocketUrl == nil || *p.WebSocketUrl == "" {
		return p, errors.New("WebSocketUrl is required: the site needs the API's wss:// URL")
	}
	if p.Internal && p.Certificate != nil {
		return p, errors.New("an Internal load balancer takes no Certificate: the CloudFront distribution in front of it terminates TLS")
	}
	if p.InstanceType == nil {
		p.InstanceType = awsec2.NewInstanceType(jsii.String(DefaultInstanceType))
	}
	if err := checkArm64(p.InstanceType); err != nil {
		return p, fmt.Errorf("InstanceType: %w", err)
	}
	if p.MinCapacity == nil {
		p.MinCapacity = jsii.Number(DefaultMinCapacity)
	}
	if p.MaxCapacity == nil {
		p.MaxCapacity = jsii.Number(DefaultMaxCapacity)
	}
	if err := ValidateCapacity(*p.MinCapacity, *p.MaxCapacity); err != nil {
		return p, fmt.Errorf("MinCapacity and MaxCapacity: %w", err)
	}
	if p.TargetCpuUtilization == nil {
		p.TargetCpuUtilization = jsii.Number(DefaultTargetCpuUtilization)
	}
	if p.BootTime == nil {
		p.BootTime = awscdk.Duration_Minutes(jsii.Number(DefaultBootMinutes))
	}
	if p.SignalTimeout == nil {
		p.SignalTimeout = awscdk.Duration_Minutes(jsii.Number(DefaultSignalTimeoutMinutes))
	}
	return p, nil
}

// valueOf is *s, or "" for nil.
func valueOf(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// siteDir is dir, or by default the game's site built for serving (frontend/sitebuild),
// staged in the app's asset output directory (cdk.out) under a name its content decides: the
// same source gives the same files, so the asset's hash changes only when the site does.
func siteDir(scope constructs.Construct, dir *string) *string {
	if dir != nil {
		return dir
	}
	staged, err := sitebuild.Stage(frontend.Site(), *awscdk.Stage_Of(scope).AssetOutdir())
	if err != nil {
		failSynth(scope, fmt.Errorf("WebFrontend %s: the default site (SiteDir): %w", *scope.Node().Id(), err))
		return jsii.String(placeholderDir(scope))
	}
	return jsii.String(staged)
}

// newInstanceRole is the instances' role: Session Manager, and read of the site asset.
func newInstanceRole(scope constructs.Construct, site awss3assets.Asset) awsiam.Role {
	role := awsiam.NewRole(scope, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("ec2.amazonaws.com"), nil),
		Description: jsii.String("Web frontend instances: read the site asset, Session Manager"),
		ManagedPolicies: &[]awsiam.IManagedPolicy{
			awsiam.ManagedPolicy_FromAwsManagedPolicyName(jsii.String("AmazonSSMManagedInstanceCore")),
		},
	})
	// Read of the one object, rather than site.GrantRead, which grants the whole bootstrap
	// bucket: every asset of every stack in the account.
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("s3:GetObject"),
		Resources: &[]*string{site.Bucket().ArnForObjects(site.S3ObjectKey())},
	}))
	SuppressNag(role, "AwsSolutions-IAM4", "AmazonSSMManagedInstanceCore is the policy AWS maintains for the SSM agent: Session Manager is the only way onto these instances (no SSH key, no open port)",
		"Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore")
	return role
}

// newLaunchTemplate starts an instance: arm64 Amazon Linux 2023 running userData, IMDSv2
// only, an encrypted gp3 root volume, a security group of its own.
func newLaunchTemplate(scope constructs.Construct, p *WebFrontendProps, role awsiam.Role, userData string) awsec2.LaunchTemplate {
	instanceSG := awsec2.NewSecurityGroup(scope, jsii.String("InstanceSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:         p.Vpc,
		Description: jsii.String("Web frontend instances: HTTP from the load balancer only"),
		// No route leaves the isolated subnets but the S3 gateway endpoint's, so open egress
		// reaches S3 and nothing else.
		AllowAllOutbound: jsii.Bool(true),
	})
	return awsec2.NewLaunchTemplate(scope, jsii.String("LaunchTemplate"), &awsec2.LaunchTemplateProps{
		InstanceType: p.InstanceType,
		MachineImage: awsec2.MachineImage_LatestAmazonLinux2023(&awsec2.AmazonLinux2023ImageSsmParameterProps{
			CpuType: awsec2.AmazonLinuxCpuType_ARM_64,
		}),
		UserData:      awsec2.UserData_Custom(jsii.String(userData)),
		Role:          role,
		SecurityGroup: instanceSG,
		HttpEndpoint:  jsii.Bool(true),
		HttpTokens:    awsec2.LaunchTemplateHttpTokens_REQUIRED,
		BlockDevices: &[]*awsec2.BlockDevice{{
			DeviceName: jsii.String("/dev/xvda"),
			Volume: awsec2.BlockDeviceVolume_Ebs(jsii.Number(8), &awsec2.EbsDeviceOptions{
				VolumeType:          awsec2.EbsDeviceVolumeType_GP3,
				Encrypted:           jsii.Bool(true),
				DeleteOnTermination: jsii.Bool(true),
			}),
		}},
	})
}

// newInstances is the Auto Scaling group in the isolated subnets: created, and updated one
// instance at a time, only as fast as instances report that they serve the site; scaled on
// CPU.
func newInstances(scope constructs.Construct, p *WebFrontendProps, launchTemplate awsec2.LaunchTemplate, signals *bootSignals) awsautoscaling.AutoScalingGroup {
	asg := awsautoscaling.NewAutoScalingGroup(scope, jsii.String("Instances"), &awsautoscaling.AutoScalingGroupProps{
		Vpc:            p.Vpc,
		VpcSubnets:     &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED},
		LaunchTemplate: launchTemplate,
		MinCapacity:    p.MinCapacity,
		MaxCapacity:    p.MaxCapacity,
		HealthChecks: awsautoscaling.HealthChecks_WithAdditionalChecks(&awsautoscaling.AdditionalHealthChecksOptions{
			AdditionalTypes: &[]awsautoscaling.AdditionalHealthCheckType{awsautoscaling.AdditionalHealthCheckType_ELB},
			GracePeriod:     p.BootTime,
		}),
		// An instance counts as launched only once it reported that it serves the site (the
		// signal relay's SignalResource): the group is created with the minimum serving, and a
		// rolling update replaces one instance at a time, never dropping below the minimum,
		// waiting for each new one's signal. One that fails, or says nothing within the
		// timeout, stops the update, and CloudFormation rolls back to the old launch template
		// with the old instances still serving.
		UpdatePolicy: awsautoscaling.UpdatePolicy_RollingUpdate(&awsautoscaling.RollingUpdateOptions{
			MaxBatchSize:          jsii.Number(1),
			MinInstancesInService: p.MinCapacity,
			PauseTime:             p.SignalTimeout,
			WaitOnResourceSignals: jsii.Bool(true),
		}),
		DefaultInstanceWarmup: p.BootTime,
		// The two counts that show whether the tier is at strength (dashboard, and anyone
		// looking at the group). Group metrics are free; every other one stays off.
		GroupMetrics: &[]awsautoscaling.GroupMetrics{awsautoscaling.NewGroupMetrics(
			awsautoscaling.GroupMetric_IN_SERVICE_INSTANCES(), awsautoscaling.GroupMetric_DESIRED_CAPACITY())},
	})
	// The creation policy is set on the L1 group rather than through Signals, which would also
	// grant the instances cloudformation:SignalResource they have no route to use: the relay
	// signals for them.
	asg.Node().DefaultChild().(awsautoscaling.CfnAutoScalingGroup).CfnOptions().SetCreationPolicy(&awscdk.CfnCreationPolicy{
		ResourceSignal: &awscdk.CfnResourceSignal{Count: p.MinCapacity, Timeout: p.SignalTimeout.ToIsoString()},
	})
	signals.relayFor(asg)
	SuppressNag(asg, "AwsSolutions-AS3", "Scaling events are in the group's activity history and its CloudWatch metrics; e-mailing every launch and termination of a self-healing web tier would bury the alerts that need a person")
	asg.ScaleOnCpuUtilization(jsii.String("Cpu"), &awsautoscaling.CpuUtilizationScalingProps{
		TargetUtilizationPercent: p.TargetCpuUtilization,
	})
	return asg
}

// newLoadBalancer is the load balancer, internet-facing in the public subnets or internal
// beside the instances, logging to accessLogs.
func newLoadBalancer(scope constructs.Construct, p *WebFrontendProps, accessLogs awss3.Bucket) awselasticloadbalancingv2.ApplicationLoadBalancer {
	subnets := awsec2.SubnetType_PUBLIC
	// An internal load balancer is another resource, not the internet-facing one changed: a
	// scheme change replaces it, and its listener could not take over the target group the
	// old one still holds.
	lbID := "LoadBalancer"
	if p.Internal {
		subnets, lbID = awsec2.SubnetType_PRIVATE_ISOLATED, "InternalLoadBalancer"
	}
	lb := awselasticloadbalancingv2.NewApplicationLoadBalancer(scope, jsii.String(lbID), &awselasticloadbalancingv2.ApplicationLoadBalancerProps{
		Vpc:                     p.Vpc,
		InternetFacing:          jsii.Bool(!p.Internal),
		VpcSubnets:              &awsec2.SubnetSelection{SubnetType: subnets},
		DropInvalidHeaderFields: jsii.Bool(true),
		DeletionProtection:      jsii.Bool(p.Lifecycle.IsProd()),
	})
	logAccessLogs(lb, accessLogs)
	return lb
}

// addListeners gives lb its listeners (HTTPS with port 80 redirecting, with a Certificate; else
// HTTP), opens them to whom they serve and sends the site's requests to group. It returns the
// group's target group and the site's URL scheme.
func addListeners(lb awselasticloadbalancingv2.ApplicationLoadBalancer, p *WebFrontendProps, group awsautoscaling.AutoScalingGroup) (awselasticloadbalancingv2.ApplicationTargetGroup, string) {
	var listener awselasticloadbalancingv2.ApplicationListener
	scheme := "http"
	if p.Certificate != nil {
		scheme = "https"
		listener = lb.AddListener(jsii.String("Https"), &awselasticloadbalancingv2.BaseApplicationListenerProps{
			Port:         jsii.Number(443),
			Protocol:     awselasticloadbalancingv2.ApplicationProtocol_HTTPS,
			Certificates: &[]awselasticloadbalancingv2.IListenerCertificate{awselasticloadbalancingv2.ListenerCertificate_FromCertificateManager(p.Certificate)},
			SslPolicy:    awselasticloadbalancingv2.SslPolicy_RECOMMENDED_TLS,
		})
		lb.AddRedirect(&awselasticloadbalancingv2.ApplicationLoadBalancerRedirectConfig{
			SourcePort: jsii.Number(80), SourceProtocol: awselasticloadbalancingv2.ApplicationProtocol_HTTP,
			TargetPort: jsii.Number(443), TargetProtocol: awselasticloadbalancingv2.ApplicationProtocol_HTTPS,
		})
	} else {
		listener = lb.AddListener(jsii.String("Http"), &awselasticloadbalancingv2.BaseApplicationListenerProps{
			Port:     jsii.Number(80),
			Protocol: awselasticloadbalancingv2.ApplicationProtocol_HTTP,
			Open:     jsii.Bool(!p.Internal),
		})
	}
	if p.Internal {
		// The VPC origin's network interfaces sit in the VPC's subnets: the VPC's range covers
		// them wherever CloudFront places them, and nothing outside the VPC can route here.
		lb.Connections().AllowFrom(awsec2.Peer_Ipv4(p.Vpc.VpcCidrBlock()), awsec2.Port_Tcp(jsii.Number(80)),
			jsii.String("HTTP from inside the VPC: the CloudFront VPC origin"))
		// The check cannot read a CIDR that comes from the VPC's stack; it is the VPC's own.
		SuppressNag(lb, "CdkNagValidationFailure", "AwsSolutions-EC23 cannot resolve the VPC's CIDR, a reference to the Network stack: the internal load balancer takes port 80 from the VPC's own range only, never 0.0.0.0/0", "AwsSolutions-EC23")
	} else {
		SuppressNag(lb, "AwsSolutions-EC23", "A public website: the load balancer accepts players from any address, on its listener ports (80, and 443 with a certificate) only")
	}
	tg := listener.AddTargets(jsii.String("Instances"), &awselasticloadbalancingv2.AddApplicationTargetsProps{
		Port:     jsii.Number(80),
		Protocol: awselasticloadbalancingv2.ApplicationProtocol_HTTP,
		Targets:  &[]awselasticloadbalancingv2.IApplicationLoadBalancerTarget{group},
		HealthCheck: &awselasticloadbalancingv2.HealthCheck{
			Path:                    jsii.String(HealthCheckPath),
			Interval:                awscdk.Duration_Seconds(jsii.Number(15)),
			HealthyThresholdCount:   jsii.Number(2),
			UnhealthyThresholdCount: jsii.Number(2),
		},
		// The site is static: nothing in flight needs the default five minutes to drain.
		DeregistrationDelay: awscdk.Duration_Seconds(jsii.Number(30)),
	})
	return tg, scheme
}

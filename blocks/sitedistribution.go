package blocks

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// SiteDistributionProps configures a SiteDistribution.
type SiteDistributionProps struct {
	// LoadBalancer serves the site: an internal one (WebFrontendProps.Internal), reached
	// through a CloudFront VPC origin over HTTP on port 80. Required.
	LoadBalancer awselasticloadbalancingv2.IApplicationLoadBalancer
	// ApiDomainName is the WebSocket API's host (abc123.execute-api.eu-west-1.amazonaws.com),
	// and ApiStageName its stage: SocketPath on the distribution is that stage. Required.
	ApiDomainName, ApiStageName *string
	// SocketPath is where players open the WebSocket on the distribution's own host. Default:
	// DefaultSocketPath.
	SocketPath *string
	// OtherSockets are more socket paths on the distribution, each passed to another API (a
	// multi-Region deployment's other Regions), with the same stage name, headers and socket
	// function: a page keeps one origin whichever Region it fails over to, and the
	// distribution, global, still answers when this stack's Region does not. Default: none.
	OtherSockets []SocketOrigin
	// ApiHeaders are added to every connection passed to the API, such as the secret the
	// connect function checks (a viewer's header of the same name is overwritten). Default:
	// none.
	ApiHeaders map[string]*string
	// ViewerHostHeader is the header that tells the API which host the player connected to
	// (the API sees its own in Host). Required.
	ViewerHostHeader *string
	// ViewerAddressHeader, when set, carries the viewer's IP address as CloudFront saw it to
	// the API (which sees CloudFront's), over any the viewer sent. Default: none.
	ViewerAddressHeader *string
	// HstsMaxAge is the Strict-Transport-Security max-age sent on every response. Required:
	// the site's (frontend.HSTSMaxAge), so NGINX and the distribution say the same.
	HstsMaxAge awscdk.Duration
	// DomainNames are the deployment's own names (play.example.com), served with
	// Certificate. Default: none, only the distribution's *.cloudfront.net name.
	DomainNames []*string
	// Certificate is an ACM certificate in us-east-1 covering DomainNames. Required with
	// DomainNames.
	Certificate awscertificatemanager.ICertificate
	// WebAclArn is a WAFv2 web ACL of CLOUDFRONT scope (in us-east-1) to filter every request.
	// Default: none.
	WebAclArn *string
	// PriceClass picks the edge locations. Default: DefaultPriceClass.
	PriceClass awscloudfront.PriceClass
	// Lifecycle picks the access log bucket's fate. Default: Prod, retained.
	Lifecycle Lifecycle
	// Name names the app in the comments CloudFront shows ("<Name> site and socket"). Default:
	// none ("Site and socket").
	Name *string
}

// SocketOrigin is a socket path of the distribution and the API host it is passed to.
type SocketOrigin struct {
	// Path is where players open it (/ws-eu-central-1).
	Path string
	// ApiDomainName is the API's host.
	ApiDomainName *string
}

// SiteDistribution is the site's CloudFront distribution: HTTPS (HTTP redirected), HTTP/2 and
// HTTP/3, IPv6, on its *.cloudfront.net name and any own domain. It serves the site from an
// internal load balancer through a VPC origin, with the freshness NGINX sets (assets up to 5
// minutes, the entry page and the per-deployment files never), and passes WebSocket
// connections on SocketPath to the API: one origin for the page and its socket, so the page
// needs no cross-origin socket and a firewall on the distribution sees every connection
// attempt. A CloudFront function on SocketPath rewrites the path to the API's stage and names
// the viewer's host for the connect function's same-site check.
type SiteDistribution struct {
	constructs.Construct
	// Distribution is the distribution.
	Distribution awscloudfront.Distribution
	// SocketFunction is the CloudFront function on SocketPath.
	SocketFunction awscloudfront.Function
	// CanonicalFunction redirects the site's pages from any other name (the distribution's
	// own) to the first of DomainNames; nil without DomainNames.
	CanonicalFunction awscloudfront.Function
	// AccessLogs is the bucket CloudFront writes its standard logs to.
	AccessLogs awss3.Bucket
	// DomainName is the name players use: the first of DomainNames, else the distribution's.
	DomainName *string
	// SiteUrl is https:// and DomainName.
	SiteUrl *string
}

// SiteDistribution's defaults.
const (
	DefaultSocketPath = "/ws"
	// DefaultPriceClass serves from North America and Europe, the cheapest class; players
	// elsewhere are served too, from farther away.
	DefaultPriceClass = awscloudfront.PriceClass_PRICE_CLASS_100
)

// CloudFront's limits on the names this construct gives.
const (
	MaxVpcOriginName = 64
	MaxPolicyName    = 128
)

// noStandardLogs are the Regions CloudFront delivers no standard logs to (opt-in Regions
// launched before 2024 that it lists as unsupported).
var noStandardLogs = map[string]bool{
	"af-south-1": true, "ap-east-1": true, "ap-south-2": true, "ap-southeast-3": true, "ap-southeast-4": true,
	"ca-west-1": true, "eu-central-2": true, "eu-south-1": true, "eu-south-2": true, "il-central-1": true,
	"me-central-1": true, "me-south-1": true,
}

// regionalName is a name unique to this construct's stack and Region, for CloudFront's
// account-wide names, of at most max characters: stack-suffix-region whenever that fits (a
// deployed VPC origin cannot be renamed while its distribution uses it, so a name that fits
// never changes). A second Region's stack name already ends with its Region; when the full
// name would not fit, that name drops the repeated Region, and a name that still does not fit
// keeps its start and ends in a hash of the whole, so it stays unique. With the Region unknown
// at synth, room is kept for the longest Region name.
func regionalName(scope constructs.Construct, suffix string, max int) *string {
	stack := awscdk.Stack_Of(scope)
	name, region := *stack.StackName()+"-"+suffix, stack.Region()
	if *awscdk.Token_IsUnresolved(region) {
		return awscdk.Fn_Join(jsii.String("-"), &[]*string{shorten(name, max-1-longestRegionName), region})
	}
	if full := name + "-" + *region; len(full) <= max {
		return jsii.String(full)
	}
	if strings.HasSuffix(*stack.StackName(), "-"+*region) {
		return shorten(name, max)
	}
	return jsii.String(*shorten(name, max-1-len(*region)) + "-" + *region)
}

// longestRegionName is the length of the longest AWS Region name (ap-southeast-5), with room
// for one more letter.
const longestRegionName = 15

// shorten returns name if it fits in max characters, else its start and a hash of all of it.
func shorten(name string, max int) *string {
	if len(name) <= max {
		return jsii.String(name)
	}
	sum := sha256.Sum256([]byte(name))
	tail := "-" + hex.EncodeToString(sum[:4])
	return jsii.String(strings.TrimRight(name[:max-len(tail)], "-") + tail)
}

// socketPath is a path CloudFront can match exactly and the site's config.js can carry as is.
var socketPath = regexp.MustCompile(`^/[A-Za-z0-9._~-]+$`)

// NewSiteDistribution defines the distribution, its policies, the socket function and the log
// bucket.
func NewSiteDistribution(scope constructs.Construct, id *string, props *SiteDistributionProps) *SiteDistribution {
	p, err := props.validate(scope)
	if err != nil {
		panic(fmt.Errorf("SiteDistribution %s: %w", *id, err))
	}
	this := constructs.NewConstruct(scope, id)
	// CloudFront's standard logs need ACLs: the log delivery writes as the object's owner.
	logs := newLogBucket(this, "AccessLogs", p.Lifecycle, awss3.ObjectOwnership_OBJECT_WRITER, "distribution")
	site := newSiteOrigin(this, p.LoadBalancer)
	cache := newSiteCachePolicy(this, p.Name)
	headers := newHstsPolicy(this, p.Name, p.HstsMaxAge)
	fn, sockets := newSocketBehaviors(this, &p, headers)
	distProps := &awscloudfront.DistributionProps{
		Comment: named(p.Name, "site and socket"),
		DefaultBehavior: &awscloudfront.BehaviorOptions{
			Origin:                site,
			ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
			AllowedMethods:        awscloudfront.AllowedMethods_ALLOW_GET_HEAD(),
			CachePolicy:           cache,
			ResponseHeadersPolicy: headers,
			Compress:              jsii.Bool(true),
		},
		AdditionalBehaviors: &sockets,
		HttpVersion:         awscloudfront.HttpVersion_HTTP2_AND_3,
		EnableIpv6:          jsii.Bool(true),
		PriceClass:          p.PriceClass,
		EnableLogging:       jsii.Bool(true),
		LogBucket:           logs,
		WebAclId:            p.WebAclArn,
	}
	canonical := useOwnDomain(this, &p, distProps)
	dist := awscloudfront.NewDistribution(this, jsii.String("Resource"), distProps)
	if empty := logs.Node().TryFindChild(jsii.String("AutoDeleteObjectsCustomResource")); empty != nil {
		// Deleted after the distribution, so the bucket is emptied once no more logs come
		// from it.
		dist.Node().AddDependency(empty)
	}
	suppressDistributionNags(dist, &p)
	name := dist.DistributionDomainName()
	if len(p.DomainNames) > 0 {
		name = p.DomainNames[0]
	}
	return &SiteDistribution{
		Construct:         this,
		Distribution:      dist,
		SocketFunction:    fn,
		CanonicalFunction: canonical,
		AccessLogs:        logs,
		DomainName:        name,
		SiteUrl:           awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("https://"), name}),
	}
}

// validate checks props, in a distribution to be defined in scope, and returns a copy with
// every default filled in (the caller's props are never changed).
func (props *SiteDistributionProps) validate(scope constructs.Construct) (SiteDistributionProps, error) {
	if props == nil {
		return SiteDistributionProps{}, errors.New("props are required")
	}
	p := *props
	switch {
	case p.LoadBalancer == nil:
		return p, errors.New("LoadBalancer is required")
	case p.ApiDomainName == nil || p.ApiStageName == nil:
		return p, errors.New("ApiDomainName and ApiStageName are required: the distribution passes sockets to the API")
	case p.ViewerHostHeader == nil || *p.ViewerHostHeader == "":
		return p, errors.New("ViewerHostHeader is required")
	case p.HstsMaxAge == nil:
		return p, errors.New("HstsMaxAge is required")
	case len(p.DomainNames) > 0 && p.Certificate == nil:
		return p, errors.New("DomainNames need a Certificate (in us-east-1) that covers them")
	case len(p.DomainNames) == 0 && p.Certificate != nil:
		return p, errors.New("a Certificate needs the DomainNames it covers")
	}
	if p.SocketPath == nil {
		p.SocketPath = jsii.String(DefaultSocketPath)
	}
	if err := p.validateSockets(); err != nil {
		return p, err
	}
	if p.PriceClass == "" {
		p.PriceClass = DefaultPriceClass
	}
	if region := awscdk.Stack_Of(scope).Region(); !*awscdk.Token_IsUnresolved(region) && noStandardLogs[*region] {
		return p, fmt.Errorf("CloudFront delivers no standard logs to a bucket in %s: deploy the site from another Region, or serve it from the load balancer directly", *region)
	}
	return p, nil
}

// validateSockets checks SocketPath and OtherSockets: each a path CloudFront matches exactly,
// none twice, each with its API.
func (p *SiteDistributionProps) validateSockets() error {
	if !socketPath.MatchString(*p.SocketPath) {
		return fmt.Errorf("SocketPath %q is not a path like /ws", *p.SocketPath)
	}
	for _, o := range p.OtherSockets {
		switch {
		case !socketPath.MatchString(o.Path):
			return fmt.Errorf("OtherSockets: %q is not a path like /ws-eu-central-1", o.Path)
		case o.Path == *p.SocketPath:
			return fmt.Errorf("OtherSockets: %q is SocketPath already", o.Path)
		case o.ApiDomainName == nil:
			return fmt.Errorf("OtherSockets %s: ApiDomainName is required", o.Path)
		}
	}
	return nil
}

// newSiteOrigin is the VPC origin of lb, the site's origin.
//
// CloudFront refuses any change to a VPC origin a distribution uses, so it is never changed
// in place: its ID follows the load balancer's, and a new load balancer gets a new origin (the
// distribution moves over, then the old one is deleted). Its name carries the Region: two
// deployments of one lifecycle in two Regions share an account's CloudFront.
func newSiteOrigin(scope constructs.Construct, lb awselasticloadbalancingv2.IApplicationLoadBalancer) awscloudfront.IOrigin {
	vpcOrigin := awscloudfront.NewVpcOrigin(scope, jsii.String("Origin"+*lb.Node().Id()), &awscloudfront.VpcOriginProps{
		Endpoint:       awscloudfront.VpcOriginEndpoint_ApplicationLoadBalancer(lb),
		ProtocolPolicy: awscloudfront.OriginProtocolPolicy_HTTP_ONLY,
		HttpPort:       jsii.Number(80),
		VpcOriginName:  regionalName(scope, *lb.Node().Id(), MaxVpcOriginName),
	})
	return awscloudfrontorigins.VpcOrigin_WithVpcOrigin(vpcOrigin, nil)
}

// newSiteCachePolicy caches the site as its origin says. Freshness is NGINX's: no minimum, so
// no-store (the entry page, config.js, instance.json) is never kept, and s-maxage keeps an
// asset as long as NGINX says.
func newSiteCachePolicy(scope constructs.Construct, name *string) awscloudfront.CachePolicy {
	return awscloudfront.NewCachePolicy(scope, jsii.String("SiteCache"), &awscloudfront.CachePolicyProps{
		Comment:                    named(name, "site: the origin's Cache-Control decides; compressed variants kept apart"),
		MinTtl:                     awscdk.Duration_Seconds(jsii.Number(0)),
		DefaultTtl:                 awscdk.Duration_Seconds(jsii.Number(0)),
		MaxTtl:                     awscdk.Duration_Days(jsii.Number(1)),
		EnableAcceptEncodingGzip:   jsii.Bool(true),
		EnableAcceptEncodingBrotli: jsii.Bool(true),
		QueryStringBehavior:        awscloudfront.CacheQueryStringBehavior_None(),
		HeaderBehavior:             awscloudfront.CacheHeaderBehavior_None(),
		CookieBehavior:             awscloudfront.CacheCookieBehavior_None(),
	})
}

// newHstsPolicy sends HSTS with maxAge on every response, pages and sockets.
func newHstsPolicy(scope constructs.Construct, name *string, maxAge awscdk.Duration) awscloudfront.ResponseHeadersPolicy {
	return awscloudfront.NewResponseHeadersPolicy(scope, jsii.String("Headers"), &awscloudfront.ResponseHeadersPolicyProps{
		ResponseHeadersPolicyName: regionalName(scope, "Headers", MaxPolicyName),
		Comment:                   named(name, "site: HSTS on every response (NGINX sends the other security headers)"),
		SecurityHeadersBehavior: &awscloudfront.ResponseSecurityHeadersBehavior{
			StrictTransportSecurity: &awscloudfront.ResponseHeadersStrictTransportSecurity{
				AccessControlMaxAge: maxAge,
				IncludeSubdomains:   jsii.Bool(false),
				Override:            jsii.Bool(true),
			},
		},
	})
}

// newSocketBehaviors defines the socket function and returns it with the behaviours of
// SocketPath and OtherSockets, by path: each passes sockets to its API, uncached.
func newSocketBehaviors(scope constructs.Construct, p *SiteDistributionProps, headers awscloudfront.IResponseHeadersPolicy) (awscloudfront.Function, map[string]*awscloudfront.BehaviorOptions) {
	fn := awscloudfront.NewFunction(scope, jsii.String("SocketFunction"), &awscloudfront.FunctionProps{
		Comment: named(p.Name, "socket: to the API's stage, naming the viewer's host"),
		Runtime: awscloudfront.FunctionRuntime_JS_2_0(),
		Code:    awscloudfront.FunctionCode_FromInline(jsii.String(socketFunctionCode(*p.ViewerHostHeader, stringOr(p.ViewerAddressHeader), *p.ApiStageName))),
	})
	behavior := func(apiDomainName *string) *awscloudfront.BehaviorOptions {
		return &awscloudfront.BehaviorOptions{
			Origin: awscloudfrontorigins.NewHttpOrigin(apiDomainName, &awscloudfrontorigins.HttpOriginProps{
				ProtocolPolicy:     awscloudfront.OriginProtocolPolicy_HTTPS_ONLY,
				OriginSslProtocols: &[]awscloudfront.OriginSslPolicy{awscloudfront.OriginSslPolicy_TLS_V1_2},
				CustomHeaders:      &p.ApiHeaders,
			}),
			// wss:// only: a socket never starts on plain HTTP.
			ViewerProtocolPolicy: awscloudfront.ViewerProtocolPolicy_HTTPS_ONLY,
			AllowedMethods:       awscloudfront.AllowedMethods_ALLOW_GET_HEAD(),
			CachePolicy:          awscloudfront.CachePolicy_CACHING_DISABLED(),
			// The handshake's headers (Sec-WebSocket-*, Origin) reach the API; Host must be
			// the API's own.
			OriginRequestPolicy:   awscloudfront.OriginRequestPolicy_ALL_VIEWER_EXCEPT_HOST_HEADER(),
			ResponseHeadersPolicy: headers,
			FunctionAssociations: &[]*awscloudfront.FunctionAssociation{{
				Function: fn, EventType: awscloudfront.FunctionEventType_VIEWER_REQUEST,
			}},
		}
	}
	sockets := map[string]*awscloudfront.BehaviorOptions{*p.SocketPath: behavior(p.ApiDomainName)}
	for _, o := range p.OtherSockets {
		sockets[o.Path] = behavior(o.ApiDomainName)
	}
	return fn, sockets
}

// useOwnDomain puts the deployment's own names and Certificate on the distribution, with a
// function that sends players from any other name to the first; without a Certificate it
// changes nothing and returns nil.
//
// Without a certificate of the deployer's, the distribution answers on its *.cloudfront.net
// name with CloudFront's default certificate, whose security policy is CloudFront's own
// (TLSv1, which browsers no longer offer below 1.2) and cannot be set: Control Tower's rule on
// the minimum TLS version flags it, and only a domain of your own (domainName) raises it, to
// TLS 1.2 (2021). docs/deploy.md recommends one for production.
func useOwnDomain(scope constructs.Construct, p *SiteDistributionProps, dist *awscloudfront.DistributionProps) awscloudfront.Function {
	if p.Certificate == nil {
		return nil
	}
	dist.DomainNames = &p.DomainNames
	dist.Certificate = p.Certificate
	dist.MinimumProtocolVersion = awscloudfront.SecurityPolicyProtocol_TLS_V1_2_2021
	// One name for players: a page opened on the distribution's own name would open its socket
	// on the domain (config.js names it), which the same-site check refuses.
	canonical := awscloudfront.NewFunction(scope, jsii.String("CanonicalFunction"), &awscloudfront.FunctionProps{
		Comment: named(p.Name, "site: redirect other names to "+*p.DomainNames[0]),
		Runtime: awscloudfront.FunctionRuntime_JS_2_0(),
		Code:    awscloudfront.FunctionCode_FromInline(jsii.String(canonicalFunctionCode(*p.DomainNames[0]))),
	})
	dist.DefaultBehavior.FunctionAssociations = &[]*awscloudfront.FunctionAssociation{{
		Function: canonical, EventType: awscloudfront.FunctionEventType_VIEWER_REQUEST,
	}}
	return canonical
}

// suppressDistributionNags says why the distribution is as it is where cdk-nag would ask
// otherwise.
func suppressDistributionNags(dist awscloudfront.Distribution, p *SiteDistributionProps) {
	if p.Certificate == nil {
		SuppressNag(dist, "AwsSolutions-CFR4", "With no domain of its own the site is on the distribution's *.cloudfront.net name, whose certificate and TLS policy CloudFront sets; with a domain the minimum is TLS 1.2 (2021)")
	}
	SuppressNag(dist, "AwsSolutions-CFR1", "A site open to visitors anywhere: no country is blocked")
	if p.WebAclArn == nil {
		SuppressNag(dist, "AwsSolutions-CFR2", "The web application firewall is a setting (waf, on by default in prod) at $10 a month; without it stage throttling, the per-connection rate limit and the connect function's checks bound the API")
	}
	SuppressNag(dist, "AwsSolutions-CFR5", "The site's origin is an internal load balancer reached over HTTP inside the VPC (a VPC origin, no public route); the API's origin takes TLS 1.2 only")
}

// socketFunctionCode is the viewer-request function of the socket path: the request goes to
// the API's stage (a WebSocket API serves its stage's path only), carrying the host the player
// connected to in hostHeader (CloudFront sends the API's own host in Host). A viewer's header
// of that name is overwritten.
func socketFunctionCode(hostHeader, addressHeader, stage string) string {
	lines := []string{
		"function handler(event) {",
		"  var request = event.request;",
		fmt.Sprintf("  request.headers[%q] = { value: request.headers.host.value };", strings.ToLower(hostHeader)),
	}
	if addressHeader != "" {
		lines = append(lines, fmt.Sprintf("  request.headers[%q] = { value: event.viewer.ip };", strings.ToLower(addressHeader)))
	}
	return strings.Join(append(lines,
		fmt.Sprintf("  request.uri = %q;", "/"+stage),
		"  return request;",
		"}",
	), "\n")
}

// stringOr is the value of an optional string prop, "" when unset.
func stringOr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// canonicalFunctionCode is the viewer-request function of the site's pages when the deployment
// has a domain: a request for any other host name is redirected (301) to the same path and
// query on host.
func canonicalFunctionCode(host string) string {
	return strings.Join([]string{
		"function handler(event) {",
		"  var request = event.request;",
		fmt.Sprintf("  var host = %q;", host),
		"  if (request.headers.host && request.headers.host.value === host) return request;",
		"  var query = [];",
		"  for (var key in request.querystring) {",
		"    var q = request.querystring[key];",
		"    var values = q.multiValue ? q.multiValue : [q];",
		"    for (var i = 0; i < values.length; i++) {",
		"      query.push(encodeURIComponent(key) + (values[i].value === '' ? '' : '=' + encodeURIComponent(values[i].value)));",
		"    }",
		"  }",
		"  var location = 'https://' + host + request.uri + (query.length ? '?' + query.join('&') : '');",
		"  return { statusCode: 301, statusDescription: 'Moved Permanently', headers: { location: { value: location } } };",
		"}",
	}, "\n")
}

// cloudFrontMetric is one of the distribution's metrics: CloudFront publishes them in
// us-east-1 with the dimension Region=Global, whatever the Region of the reader.
func (s *SiteDistribution) cloudFrontMetric(name string, statistic *string, opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return withOptions(awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String("AWS/CloudFront"),
		MetricName:    jsii.String(name),
		DimensionsMap: &map[string]*string{"DistributionId": s.Distribution.DistributionId(), "Region": jsii.String("Global")},
		Statistic:     statistic,
		Period:        fiveMinutes(),
		Region:        jsii.String("us-east-1"),
	}), opts)
}

// MetricRequests is the requests the distribution served, pages and socket handshakes.
// Default statistic: sum.
func (s *SiteDistribution) MetricRequests(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return s.cloudFrontMetric("Requests", awscloudwatch.Stats_SUM(), opts)
}

// Metric5xxErrorRate is the percentage of responses with a 5xx status: the origin failing, or
// CloudFront unable to reach it. Default statistic: average.
func (s *SiteDistribution) Metric5xxErrorRate(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return s.cloudFrontMetric("5xxErrorRate", awscloudwatch.Stats_AVERAGE(), opts)
}

// Metric4xxErrorRate is the percentage of responses with a 4xx status (including the
// firewall's blocks). Default statistic: average.
func (s *SiteDistribution) Metric4xxErrorRate(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return s.cloudFrontMetric("4xxErrorRate", awscloudwatch.Stats_AVERAGE(), opts)
}

// MetricBytesDownloaded is what players downloaded. Default statistic: sum.
func (s *SiteDistribution) MetricBytesDownloaded(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return s.cloudFrontMetric("BytesDownloaded", awscloudwatch.Stats_SUM(), opts)
}

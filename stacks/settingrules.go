package stacks

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/serverless-tictactoe/tictactoe/blocks"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
)

// The rules between settings, each a function of the settings the table read. Each reports
// its problems under the key the deployer would change.

// accountRules: what needs the account and Region at synth.
func accountRules(r *reader, c *Config) {
	if c.Region != "" {
		return
	}
	if c.TableKey != nil && *c.TableKey {
		r.needsAccount(KeyTableKey, "a customer managed key for the global table", "CDK renders the key per replica Region")
	}
	if c.MaxAzs != nil && *c.MaxAzs > 2 {
		r.needsAccount(KeyMaxAzs, fmt.Sprintf("spanning %v availability zones", *c.MaxAzs), "an environment-agnostic stack spans 2")
	}
}

// edgeRules: the distribution, its domain and certificate.
func edgeRules(r *reader, c *Config) {
	if c.HostedZoneId != "" && c.DomainName == "" {
		r.bad(KeyHostedZoneId, "needs domainName: the name to make records for in the zone")
	}
	if certificateArnRE.MatchString(c.CertificateArn) {
		region := strings.Split(c.CertificateArn, ":")[3]
		switch {
		case c.UsesCloudFront() && region != EdgeRegion:
			r.bad(KeyCertificateArn, "the certificate is in %s: CloudFront takes certificates from %s only (or set cloudFront=false to put it on the load balancer)", region, EdgeRegion)
		case c.UsesCloudFront() && c.DomainName == "":
			r.bad(KeyCertificateArn, "needs domainName: the name the certificate covers, served by the distribution")
		case !c.UsesCloudFront() && c.Region != "" && region != c.Region:
			r.bad(KeyCertificateArn, "the certificate is in %s but the stacks deploy to %s: a load balancer needs a certificate from its own region", region, c.Region)
		}
	}
	if !c.UsesCloudFront() {
		for key, set := range map[string]bool{KeyDomainName: c.DomainName != "", KeyHostedZoneId: c.HostedZoneId != "", KeyWaf: c.Waf != nil && *c.Waf} {
			if set {
				r.bad(key, "needs the CloudFront distribution, which cloudFront=false turns off (with a direct load balancer, point your DNS at it and give certificateArn)")
			}
		}
	}
	if c.UsesCloudFront() && c.DomainName != "" && c.HostedZoneId == "" && c.CertificateArn == "" {
		r.bad(KeyDomainName, "needs hostedZoneId (the certificate and records are made in that zone) or certificateArn (a us-east-1 certificate you made; you then point the name at the distribution)")
	}
}

// sizeRules: a throttle of the deployer's, checked with the capacity model's other half and
// against the account's quota.
func sizeRules(r *reader, c *Config) {
	if c.ThrottleRate == nil && c.ThrottleBurst == nil {
		return
	}
	key := KeyThrottleRate
	if c.ThrottleRate == nil {
		key = KeyThrottleBurst
	}
	r.badErr(key, blocks.ValidateThrottle(c.StageThrottle()))
	if c.ThrottleRate != nil {
		r.badErr(KeyThrottleRate, c.Capacity().ValidateStageRate(*c.ThrottleRate))
	}
}

// regionRules: a multi-Region deployment's Regions (the primary first) and the zones named
// for them.
func regionRules(r *reader, c *Config) {
	if s, _ := r.get(KeyRegions); s != "" {
		switch {
		case len(c.Regions) == 1:
			r.bad(KeyRegions, "lists one Region: for one, leave regions unset (the stacks go to CDK_DEFAULT_REGION)")
		case len(c.Regions) > maxRegions:
			r.bad(KeyRegions, "lists %d Regions, more than %d", len(c.Regions), maxRegions)
		case c.Account == "":
			r.needsAccount(KeyRegions, "a multi-Region deployment", "its stacks name their Regions")
		}
		if c.TableKey != nil && *c.TableKey {
			r.bad(KeyRegions, "tableKey is not supported with several Regions yet: each replica would need a key of its own Region")
		}
		if len(c.Regions) > 1 && c.Account != "" {
			c.Region = c.Regions[0] // the primary
		}
	}
	if s, _ := r.get(KeyAvailabilityZones); s != "" {
		c.Zones = zonesByRegion(r, s, *c)
	}
}

// zoneRE is an availability zone's name: its Region's and a letter.
var zoneRE = regexp.MustCompile(`^([a-z]{2}(-gov)?-[a-z]+-\d+)[a-z]$`)

// zonesByRegion reads availabilityZones: zone names, each of one of the deployment's Regions,
// grouped by Region. A Region's zones replace its first maxAzs, so the two must agree.
func zonesByRegion(r *reader, s string, c Config) map[string][]string {
	regions := c.Regions
	if len(regions) == 0 && c.Region != "" {
		regions = []string{c.Region}
	}
	if len(regions) == 0 {
		r.needsAccount(KeyAvailabilityZones, "naming zones", "a zone belongs to one Region")
		return nil
	}
	zones := map[string][]string{}
	for _, z := range strings.Split(s, ",") {
		z = strings.TrimSpace(z)
		m := zoneRE.FindStringSubmatch(z)
		switch {
		case m == nil:
			r.bad(KeyAvailabilityZones, "%q is not an availability zone's name like us-east-1b", z)
		case !slices.Contains(regions, m[1]):
			r.bad(KeyAvailabilityZones, "%s is in %s, which this deployment does not use (%s)", z, m[1], strings.Join(regions, ", "))
		case slices.Contains(zones[m[1]], z):
			r.bad(KeyAvailabilityZones, "%s is listed twice", z)
		default:
			zones[m[1]] = append(zones[m[1]], z)
		}
	}
	for _, region := range regions {
		n := len(zones[region])
		if n == 0 {
			continue
		}
		if err := blocks.ValidateMaxAzs(float64(n)); err != nil {
			r.bad(KeyAvailabilityZones, "%s: %v", region, err)
		}
		if c.MaxAzs != nil && *c.MaxAzs != float64(n) {
			r.bad(KeyAvailabilityZones, "names %d zones in %s but maxAzs is %v: leave maxAzs unset (the zones named decide)", n, region, *c.MaxAzs)
		}
	}
	return zones
}

// pipelineSettings reads the pipeline's keys: all or none of them, with pipeline=true.
func pipelineSettings(r *reader, c Config) *PipelineSettings {
	var on *bool
	s, given := r.get(KeyPipeline)
	if given {
		flag(func(*Config) **bool { return &on }, "")(r, nil, KeyPipeline, s)
	}
	p := &PipelineSettings{Branch: DefaultBranch}
	for _, f := range []struct {
		key, form, example string
		re                 *regexp.Regexp
		to                 *string
	}{
		{KeyRepository, "a repository", "owner/name", repositoryRE, &p.Repository},
		{KeyBranch, "a branch name", "main", branchRE, &p.Branch},
		{KeyConnectionArn, "a CodeConnections connection ARN", "arn:aws:codeconnections:eu-west-1:123456789012:connection/0a1b2c3d-...", connectionArnRE, &p.ConnectionArn},
		{KeyProdAccount, "an AWS account ID", "123456789012", accountRE, &p.ProdAccount},
	} {
		s, ok := r.get(f.key)
		if !ok || s == "" {
			continue
		}
		switch {
		case !f.re.MatchString(s):
			r.bad(f.key, "%q is not %s like %s", s, f.form, f.example)
		case (on == nil && !given) || (on != nil && !*on): // not when pipeline itself is malformed
			r.bad(f.key, "is a setting of the delivery pipeline: give pipeline=true with it (docs/pipeline.md)")
		}
		*f.to = s
	}
	if on == nil || !*on {
		return nil
	}
	for key, missing := range map[string]bool{KeyRepository: p.Repository == "", KeyConnectionArn: p.ConnectionArn == ""} {
		if missing {
			r.bad(key, "the pipeline needs it: the source it follows (docs/pipeline.md)")
		}
	}
	if c.Account == "" {
		r.needsAccount(KeyPipeline, "the pipeline", "where it runs")
	}
	if p.ProdAccount == c.Account {
		p.ProdAccount = ""
	}
	return p
}

// githubRules: the deploy role's OIDC provider, which needs the repository it trusts.
func githubRules(r *reader, c *Config) {
	arn, _ := r.get(KeyGitHubOidcProviderArn)
	switch {
	case arn == "":
	case !oidcProviderRE.MatchString(arn):
		r.bad(KeyGitHubOidcProviderArn, "%q is not the ARN of an OIDC provider for %s like arn:aws:iam::123456789012:oidc-provider/%s", arn, GitHubTokenHost, GitHubTokenHost)
	case c.GitHub == nil:
		r.bad(KeyGitHubOidcProviderArn, "needs githubRepository: the repository whose workflows may assume the role")
	default:
		c.GitHub.ProviderArn = arn
	}
}

// functionEnv maps the function settings that are set to lambda/config's variables and has
// lambda/config validate them, each problem reported under its context key; valid says
// whether it found none.
func functionEnv(r *reader) (env map[string]string, valid bool) {
	env = map[string]string{}
	keyOf := map[string]string{}
	for _, s := range settings {
		if s.env == "" {
			continue
		}
		keyOf[s.env] = s.key
		if v, ok := r.get(s.key); ok && v != "" {
			env[s.env] = v
		}
	}
	parsed, err := config.FromEnv(func(k string) string { return env[k] })
	problems := config.SettingErrors(err)
	for _, se := range problems {
		r.bad(keyOf[se.Var], "%s", se.Problem)
	}
	if err != nil && len(problems) == 0 {
		r.errs = append(r.errs, fmt.Errorf("context: the functions would refuse these settings: %w", err))
	}
	if err != nil {
		return env, false
	}
	// Written as lambda/config reads them back: origins normalized, the level in lower case.
	if _, ok := env[config.EnvAllowedOrigins]; ok {
		env[config.EnvAllowedOrigins] = strings.Join(parsed.AllowedOrigins, ",")
	}
	if _, ok := env[config.EnvLogLevel]; ok {
		env[config.EnvLogLevel] = strings.ToLower(parsed.LogLevel.String())
	}
	return env, true
}

// originRules: behind the distribution a list of origins replaces the same-site rule, so one
// without the domain would refuse every player on it.
func originRules(r *reader, c Config, valid bool) {
	list, ok := c.FunctionEnv[config.EnvAllowedOrigins]
	if ok && valid && c.UsesCloudFront() && c.DomainName != "" && !slices.Contains(strings.Split(list, ","), "https://"+c.DomainName) {
		r.bad(KeyAllowedOrigins, "lacks https://%s: behind the distribution the list replaces the same-site rule, so players on your domain would be refused (leave allowedOrigins unset to accept the site's own pages)", c.DomainName)
	}
}

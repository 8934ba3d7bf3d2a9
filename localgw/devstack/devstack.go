// Package devstack runs the whole game on one machine: dynalite with the game table, the
// Lambda handlers in-process behind the local WebSocket gateway (localgw), and the static site
// with a config.js pointing it at the gateway. It is what `make dev` starts (cmd/dev) and what
// the end-to-end tests drive. The handlers are built exactly as on AWS (lambda/app.New, one
// per route function of lambda/catalog), from the same environment variables; only the values
// differ: the table's endpoint is dynalite and the @connections endpoint is the gateway.
package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/serverless-tictactoe/tictactoe/frontend"
	"github.com/serverless-tictactoe/tictactoe/frontend/sitebuild"
	"github.com/serverless-tictactoe/tictactoe/internal/dynalite"
	"github.com/serverless-tictactoe/tictactoe/lambda/capacity"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
	"github.com/serverless-tictactoe/tictactoe/localgw"
	"github.com/serverless-tictactoe/tictactoe/localgw/stream"
)

// Defaults.
const (
	DefaultAddr      = "127.0.0.1:8080"
	DefaultTableName = "tictactoe"
)

// Options configures Start. The zero value runs a fresh in-memory stack on DefaultAddr.
type Options struct {
	// Addr is where the site, /config.js and the WebSocket endpoint listen. Default:
	// 127.0.0.1:8080; port 0 picks a free one. On an address other than loopback, the
	// @connections API gets its own loopback-only listener.
	Addr string
	// DynamoDBEndpoint is a running DynamoDB-compatible server to use. Default: start dynalite.
	DynamoDBEndpoint string
	// DynalitePort is the port of the dynalite started. Default: a free one.
	DynalitePort int
	// DataDir keeps dynalite's data there across runs. Default: in memory.
	DataDir string
	// TableName is the game table, created if missing. Default: "tictactoe".
	TableName string
	// Getenv reads the functions' other settings (GRACE_PERIOD, ROOM_TTL, ALLOWED_ORIGINS,
	// RATE_LIMIT_*, LOG_LEVEL, PRESENCE_LOG: lambda/config). Default: os.Getenv. PRESENCE_LOG
	// defaults to true here: dynalite has no stream to feed the presence function.
	Getenv func(string) string
	// Limits are the gateway's quotas; zero fields take API Gateway's.
	Limits localgw.Limits
	// Games sizes the gateway's throttles as a deployment's for that many games (the games
	// setting, docs/capacity.md). Default: capacity.DefaultGames.
	Games int
	// Unthrottled turns the gateway's throttling off. Default: the stage and $connect are
	// throttled as a deployment's for Games are (the capacity model's, lambda/capacity).
	Unthrottled bool
	// Site is the static site served at /, as it is. Default: the game's site as it ships,
	// built from frontend.Site() by package frontend/sitebuild (scripts and styles minified).
	Site fs.FS
	// Logger receives the gateway's lines (connect, route, disconnect, @connections).
	// Default: slog.Default().
	Logger *slog.Logger
	// LambdaLogger receives what the handlers log. Default: Logger.
	LambdaLogger *slog.Logger
	// DynaliteLog receives dynalite's own output. Default: discarded.
	DynaliteLog io.Writer
	// Regions is how many local "Regions" to run (docs/regions.md): each with its own gateway,
	// @connections endpoint, function set and DynamoDB endpoint, over the one local table
	// standing in for the global table. 0 or 1: one, as a single-Region deployment.
	Regions int
	// Middleware, if set, wraps every HTTP handler of the stack (site, WebSocket endpoint and
	// @connections): the benchmark counts @connections calls with it.
	Middleware func(http.Handler) http.Handler
	// RecordStream puts a stream recorder (localgw/stream) in front of the table: every
	// change any Region makes is kept as a stream record, in Stack.Stream. Default: off.
	RecordStream bool
}

// Stack is a running local game.
type Stack struct {
	// URL is the site's address, e.g. http://localhost:8080/.
	URL string
	// WebSocketURL is the socket's address, e.g. ws://localhost:8080/dev: the site's
	// config.js names its path (/dev), on the page's own host, as behind the CloudFront
	// distribution in production.
	WebSocketURL string
	// CallbackURL is the @connections endpoint the handlers post to (loopback).
	CallbackURL string
	// DynamoDBEndpoint and TableName are where the game's data is.
	DynamoDBEndpoint string
	TableName        string
	// Gateway is the WebSocket gateway (the first Region's).
	Gateway *localgw.Gateway
	// Regions are the local stand-ins for a multi-Region deployment's Regions (Options.Regions),
	// or the one gateway's, with an empty Name.
	Regions []*Region
	// Stream is the table's recorded stream, with Options.RecordStream; nil without.
	Stream *stream.Recorder

	dyn     *dynalite.Server // nil when DynamoDBEndpoint was given
	servers []*http.Server
	failed  chan error
}

// LocalAWSEnv is the AWS SDK environment the handlers need in this process: dummy credentials
// and a region (dynalite and the gateway check that requests are signed, not by whom), and
// no shared config, profile or instance metadata, so that nothing can reach a real AWS
// account. An empty value unsets. cmd/dev applies it with os.Setenv, tests with t.Setenv.
var LocalAWSEnv = map[string]string{
	"AWS_ACCESS_KEY_ID":           "local",
	"AWS_SECRET_ACCESS_KEY":       "local",
	"AWS_SESSION_TOKEN":           "",
	"AWS_REGION":                  "us-east-1",
	"AWS_PROFILE":                 "",
	"AWS_DEFAULT_PROFILE":         "",
	"AWS_CONFIG_FILE":             os.DevNull,
	"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
	"AWS_EC2_METADATA_DISABLED":   "true",
	// The SDK reads endpoint overrides from the environment too; the stack sets its own.
	"AWS_ENDPOINT_URL": "",
}

// Start runs the stack. Stop it with Stop, which ends everything Start started.
func Start(ctx context.Context, o Options) (_ *Stack, err error) {
	if err := checkAWSEnv(); err != nil {
		return nil, err
	}
	if err := o.fill(); err != nil {
		return nil, err
	}
	site, mgmt, err := listen(o.Addr)
	if err != nil {
		return nil, err
	}
	s := &Stack{TableName: o.TableName, failed: make(chan error, 2)}
	defer func() {
		if err != nil { // undo what was started
			site.Close()
			if mgmt != site {
				mgmt.Close()
			}
			s.dyn.Stop()
		}
	}()
	s.URL = "http://" + browserAddr(site.Addr()) + "/"
	s.Regions = regions(o.Regions, site.Addr(), mgmt.Addr())
	s.CallbackURL, s.WebSocketURL = s.Regions[0].CallbackURL, s.Regions[0].WebSocketURL
	if err := s.startTable(ctx, o); err != nil {
		return nil, err
	}
	if len(s.Regions) > 1 {
		if err := s.regionEndpoints(); err != nil {
			return nil, err
		}
	}
	pages, gateways, err := s.routes(ctx, o)
	if err != nil {
		return nil, err
	}
	s.serve(site, o.Middleware(pages))
	if mgmt != site {
		s.serve(mgmt, o.Middleware(gateways))
	}
	return s, nil
}

// fill checks o and fills in the defaults its fields' comments name.
func (o *Options) fill() error {
	if o.Regions < 0 || o.Regions > MaxRegions {
		return fmt.Errorf("%d local Regions: run 1 to %d", o.Regions, MaxRegions)
	}
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	if o.TableName == "" {
		o.TableName = DefaultTableName
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Games == 0 {
		o.Games = capacity.DefaultGames
	}
	if err := (capacity.Model{Games: o.Games}).Validate(); err != nil {
		return fmt.Errorf("devstack: %w", err)
	}
	if o.Site == nil {
		site, err := sitebuild.Build(frontend.Site())
		if err != nil {
			return fmt.Errorf("devstack: %w", err)
		}
		o.Site = site
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.LambdaLogger == nil {
		o.LambdaLogger = o.Logger
	}
	if o.Middleware == nil {
		o.Middleware = func(h http.Handler) http.Handler { return h }
	}
	return nil
}

// listen opens the site's listener on addr. @connections shares it on loopback; on an address
// reachable from elsewhere, it gets a loopback-only listener of its own.
func listen(addr string) (site, mgmt net.Listener, err error) {
	site, err = net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("listening on %s (is another `make dev` running? pick another address with -addr): %w", addr, err)
	}
	host, _ := splitAddr(site.Addr())
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return site, site, nil
	}
	if mgmt, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		site.Close()
		return nil, nil, fmt.Errorf("listening on loopback for @connections: %w", err)
	}
	return site, mgmt, nil
}

// startTable starts dynalite unless o names a DynamoDB endpoint, puts the stream recorder in
// front of it with o.RecordStream, and creates the game table.
func (s *Stack) startTable(ctx context.Context, o Options) (err error) {
	s.DynamoDBEndpoint = o.DynamoDBEndpoint
	if s.DynamoDBEndpoint == "" {
		s.dyn, err = dynalite.Start(ctx, dynalite.Options{Port: o.DynalitePort, Dir: o.DataDir, Log: o.DynaliteLog})
		if err != nil {
			return fmt.Errorf("starting dynalite: %w", err)
		}
		go func(died <-chan error) {
			if err, ok := <-died; ok {
				s.fail(fmt.Errorf("%w: the game can no longer read or write rooms; start make dev again", err))
			}
		}(s.dyn.Died())
		s.DynamoDBEndpoint = s.dyn.Endpoint
	}
	if o.RecordStream {
		if s.Stream, err = stream.NewRecorder(s.DynamoDBEndpoint); err != nil {
			return err
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("listening for the stream recorder: %w", err)
		}
		s.serve(l, s.Stream)
		s.DynamoDBEndpoint = "http://" + l.Addr().String()
	}
	tableCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := store.EnsureTable(tableCtx, dynamoClient(s.DynamoDBEndpoint), o.TableName); err != nil {
		return fmt.Errorf("creating the game table in %s: %w", s.DynamoDBEndpoint, err)
	}
	return nil
}

// routes builds every Region's gateway and the handlers to serve: pages is the site, its
// config.js and every stage; gateways is the stages alone, for a separate @connections
// listener.
func (s *Stack) routes(ctx context.Context, o Options) (pages, gateways http.Handler, err error) {
	mux := http.NewServeMux()
	stagesOnly := http.NewServeMux()
	var stages []string
	for _, r := range s.Regions {
		if r.Gateway, err = s.regionGateway(ctx, o, r); err != nil {
			return nil, nil, err
		}
		for _, m := range []*http.ServeMux{mux, stagesOnly} {
			m.Handle("/"+r.Stage, r.Gateway)
			m.Handle("/"+r.Stage+"/", r.Gateway)
		}
		stages = append(stages, r.Stage)
	}
	s.Gateway = s.Regions[0].Gateway
	mux.Handle("/"+frontend.ConfigFile, configJS(stages))
	// The instance's facts exist on EC2 only (the user data writes them): here there are none,
	// said without an error status, so a clean page load logs no error.
	mux.HandleFunc("/"+frontend.InstanceFile, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNoContent)
	})
	mux.Handle("/", noCache(http.FileServerFS(o.Site)))
	if pages, err = securityHeaders(mux); err != nil {
		return nil, nil, err
	}
	return pages, stagesOnly, nil
}

// Failed delivers an error if a part of the stack stops on its own: an HTTP server, or
// dynalite.
func (s *Stack) Failed() <-chan error { return s.failed }

// fail reports a failure on Failed; past the first few, one is enough to stop for.
func (s *Stack) fail(err error) {
	select {
	case s.failed <- err:
	default:
	}
}

// Stop ends the stack: the gateway closes every connection (running their $disconnect), then
// the HTTP servers stop, then dynalite. It returns when all have, or ctx ends.
func (s *Stack) Stop(ctx context.Context) error {
	var errs []error
	for _, r := range s.Regions {
		if r.Gateway == nil {
			continue
		}
		if err := r.Gateway.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if err := s.stopServers(ctx); err != nil {
		errs = append(errs, err)
	}
	for _, r := range s.Regions {
		if r.proxy != nil {
			if err := r.proxy.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("stopping %s's DynamoDB endpoint: %w", r.Name, err))
			}
		}
	}
	s.dyn.Stop()
	return errors.Join(errs...)
}

func (s *Stack) serve(l net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	s.servers = append(s.servers, srv)
	go func() {
		if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
			s.fail(fmt.Errorf("serving %s: %w", l.Addr(), err))
		}
	}()
}

func (s *Stack) stopServers(ctx context.Context) error {
	var errs []error
	for _, srv := range s.servers {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stopping the HTTP server: %w", err))
		}
	}
	return errors.Join(errs...)
}

// configJS serves the site's settings. The socket is a path on the page's own host, as the
// distribution serves it in production, so the site works by any name that reaches it
// (localhost, 127.0.0.1, a LAN address) and the browser tests take the production path. With
// more than one Region, webSocketUrls lists every Region's, in the order the page tries them.
func configJS(stages []string) http.Handler {
	settings := map[string]any{"webSocketUrl": "/" + stages[0]}
	if len(stages) > 1 {
		var urls []string
		for _, st := range stages {
			urls = append(urls, "/"+st)
		}
		settings["webSocketUrls"] = urls
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := json.Marshal(settings)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprintf(w, "window.TICTACTOE_CONFIG = %s;\n", b)
	})
}

// securityHeaders adds the headers NGINX sends in production behind the distribution
// (frontend.SecurityHeaders with no other socket origin: the CSP's 'self' covers the socket on
// the page's own host), so CSP mistakes show under make dev. The WebSocket endpoint and
// @connections get them too; they are harmless there.
func securityHeaders(next http.Handler) (http.Handler, error) {
	h, err := frontend.SecurityHeaders("")
	if err != nil {
		return nil, err
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, vals := range h {
			w.Header()[k] = vals
		}
		next.ServeHTTP(w, r)
	}), nil
}

// noCache makes the browser revalidate every file, so a restarted `make dev` serves the
// current site.
func noCache(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		h.ServeHTTP(w, r)
	})
}

// dynamoClient is the client that creates the table: the same dummy credentials.
func dynamoClient(endpoint string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       LocalAWSEnv["AWS_REGION"],
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
}

// checkAWSEnv makes sure the handlers' SDK clients find credentials and a region in the
// environment (LocalAWSEnv), rather than a profile or instance metadata.
func checkAWSEnv() error {
	var missing []string
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"} {
		if os.Getenv(k) == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("devstack: %v not set: apply devstack.LocalAWSEnv to the environment first (dummy values: nothing here calls AWS)", missing)
	}
	return nil
}

func splitAddr(a net.Addr) (host, port string) {
	t := a.(*net.TCPAddr)
	return t.IP.String(), strconv.Itoa(t.Port)
}

// browserAddr is host:port to print for a listening address.
func browserAddr(a net.Addr) string {
	host, port := splitAddr(a)
	return net.JoinHostPort(browserHost(host), port)
}

// browserHost is the host name to print for a listening address.
func browserHost(host string) string {
	ip := net.ParseIP(host)
	if ip == nil || ip.IsLoopback() || ip.IsUnspecified() {
		return "localhost"
	}
	return host
}

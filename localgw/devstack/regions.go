package devstack

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/app"
	"github.com/serverless-tictactoe/tictactoe/lambda/capacity"
	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
	"github.com/serverless-tictactoe/tictactoe/lambda/handler"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
	"github.com/serverless-tictactoe/tictactoe/localgw"
)

// Region is one local stand-in for a Region of a multi-Region deployment (docs/regions.md):
// its gateway with its own stage, @connections endpoint and function set, and its own
// DynamoDB endpoint, a proxy to the one local table (the global table's stand-in).
type Region struct {
	// Name is the Region's name (local-1, local-2…), "" in a single-Region stack.
	Name string
	// Stage is the gateway's stage: the socket is /Stage on the site's host.
	Stage string
	// WebSocketURL and CallbackURL are its socket and @connections endpoint.
	WebSocketURL, CallbackURL string
	// DynamoDBEndpoint is its replica's endpoint ("" in a single-Region stack: the table's).
	DynamoDBEndpoint string
	// Gateway is its gateway.
	Gateway *localgw.Gateway

	proxy *http.Server
}

// RegionNames are the local Regions' names for n Regions: none for one.
func RegionNames(n int) []string {
	if n <= 1 {
		return nil
	}
	names := make([]string, n)
	for i := range names {
		names[i] = "local-" + strconv.Itoa(i+1)
	}
	return names
}

// MaxRegions bounds Options.Regions.
const MaxRegions = 3

// stageOf is the stage of the i-th Region: the first keeps the single-Region stack's.
func stageOf(i int) string {
	if i == 0 {
		return localgw.DefaultStage
	}
	return localgw.DefaultStage + "-" + strconv.Itoa(i+1)
}

// regions are the n local Regions (one, named by nothing, for n ≤ 1), each with its stage's
// socket on the site's address and its @connections endpoint on mgmt's.
func regions(n int, site, mgmt net.Addr) []*Region {
	_, mgmtPort := splitAddr(mgmt)
	names := RegionNames(n)
	if len(names) == 0 {
		names = []string{""} // one Region, named by nothing
	}
	var out []*Region
	for i, name := range names {
		stage := stageOf(i)
		out = append(out, &Region{
			Name: name, Stage: stage,
			WebSocketURL: fmt.Sprintf("ws://%s/%s", browserAddr(site), stage),
			CallbackURL:  fmt.Sprintf("http://127.0.0.1:%s/%s", mgmtPort, stage),
		})
	}
	return out
}

// regionEndpoints starts each Region's DynamoDB endpoint: a proxy to the table's server, which
// Kill stops, so that the other Regions find that Region's replica gone, as in an outage.
func (s *Stack) regionEndpoints() error {
	target, err := url.Parse(s.DynamoDBEndpoint)
	if err != nil {
		return fmt.Errorf("the DynamoDB endpoint %q: %w", s.DynamoDBEndpoint, err)
	}
	for _, r := range s.Regions {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("listening for %s's DynamoDB endpoint: %w", r.Name, err)
		}
		r.DynamoDBEndpoint = "http://" + l.Addr().String()
		r.proxy = &http.Server{Handler: httputil.NewSingleHostReverseProxy(target), ReadHeaderTimeout: 10 * time.Second}
		go func(srv *http.Server, name string) {
			if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
				s.fail(fmt.Errorf("serving %s's DynamoDB endpoint: %w", name, err))
			}
		}(r.proxy, r.Name)
	}
	return nil
}

// regionGateway builds r's functions from the environment, with r's endpoints, and its gateway.
func (s *Stack) regionGateway(ctx context.Context, o Options, r *Region) (*localgw.Gateway, error) {
	var names, callbacks, endpoints []string
	for _, other := range s.Regions {
		names = append(names, other.Name)
		callbacks = append(callbacks, other.Name+"="+other.CallbackURL)
		endpoints = append(endpoints, other.Name+"="+other.DynamoDBEndpoint)
	}
	sourceKey := rand.Text() // the deployment's secret, as Secrets Manager makes one per Region
	cfg, err := config.FromEnv(func(name string) string {
		switch name {
		case config.EnvSourceKeySecret:
			if v := o.Getenv(name); v != "" {
				return v
			}
			return sourceKey
		case config.EnvTableName:
			return o.TableName
		case config.EnvCallbackURL:
			return r.CallbackURL
		case config.EnvDynamoEndpoint:
			if r.DynamoDBEndpoint != "" {
				return r.DynamoDBEndpoint
			}
			return s.DynamoDBEndpoint
		case config.EnvPresenceLog:
			if v := o.Getenv(name); v != "" {
				return v
			}
			return "true" // dynalite has no streams: the game functions log presence events
		}
		if r.Name != "" {
			switch name {
			case config.EnvRegion:
				return r.Name
			case config.EnvRegions:
				return strings.Join(names, ",")
			case config.EnvCallbackURLs:
				return strings.Join(callbacks, ",")
			case config.EnvDynamoDBEndpoints:
				return strings.Join(endpoints, ",")
			}
		}
		return o.Getenv(name)
	})
	if err != nil {
		return nil, fmt.Errorf("function settings: %w", err)
	}
	fns := map[string]handler.Func{}
	for _, fn := range catalog.RouteFunctionNames() {
		log := o.LambdaLogger.With("function", fn)
		if r.Name != "" {
			log = log.With("region", r.Name)
		}
		if fns[fn], err = app.New(ctx, fn, cfg, log); err != nil {
			return nil, fmt.Errorf("building function %s: %w", fn, err)
		}
	}
	gw := localgw.Options{Functions: fns, Stage: r.Stage, Limits: o.Limits, Logger: o.Logger}
	if r.Name != "" {
		gw.Logger = o.Logger.With("region", r.Name)
	}
	if !o.Unthrottled {
		m := capacity.Model{Games: o.Games}
		gw.Throttle = &localgw.Throttle{Rate: m.StageRate(), Burst: m.StageBurst()}
		rate, burst := m.ConnectWithin(m.StageRate(), m.StageBurst())
		gw.RouteThrottles = map[string]localgw.Throttle{catalog.Connect: {Rate: rate, Burst: burst}}
	}
	return localgw.New(gw)
}

// Kill fails Region name as an outage would: its gateway drops every connection with no
// $disconnect and answers nothing more, and its DynamoDB endpoint stops. It then marks the
// Region failed, as the runbook's operator (or automation on the health check) does on AWS;
// the other Regions' players reconnect to theirs and rejoin, and rooms homed in it are taken
// over.
func (s *Stack) Kill(ctx context.Context, name string) error {
	for _, r := range s.Regions {
		if r.Name != name || name == "" {
			continue
		}
		r.Gateway.Kill()
		if r.proxy != nil {
			if err := r.proxy.Shutdown(ctx); err != nil {
				return err
			}
		}
		st := store.NewDynamoStore(dynamoClient(s.DynamoDBEndpoint), s.TableName, time.Now, store.Expiry{Room: time.Hour})
		return st.MarkRegion(ctx, name, true)
	}
	return fmt.Errorf("no local Region %q (the stack has %d)", name, len(s.Regions))
}
